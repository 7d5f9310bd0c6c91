"""Status webhooks for tests: a real HTTP receiver on 127.0.0.1, and endpoint and delivery rows
written straight into the outbox (what the enqueueing in each change's transaction writes).

The receiver is ``http.server`` in a thread: it verifies every request's signature with the
``standardwebhooks`` library, once per secret it was given, records what it got and answers
as the test scripts it (status, body size, headers)."""

from __future__ import annotations

import base64
import json
import secrets as random_secrets
import ssl
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import insert, select
from standardwebhooks import Webhook, WebhookVerificationError

from trustcenter.auth.secret_box import seal_secret
from trustcenter.bootstrap import Container
from trustcenter.db.models import WebhookDelivery, WebhookEndpoint
from trustcenter.domain.webhooks import EventType, encode_event_types


def new_secret() -> str:
    return "whsec_" + base64.b64encode(random_secrets.token_bytes(24)).decode()


@dataclass(frozen=True)
class Hit:
    """One request as the receiver got it."""

    path: str
    webhook_id: str
    host: str
    headers: dict[str, str]
    body: bytes
    #: per secret the receiver knows, in order: did the request verify with it alone
    verified: tuple[bool, ...]


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body_bytes: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering


def verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


class _Server(ThreadingHTTPServer):
    #: a worker opens up to 16 connections at once: the default backlog of 5 would drop some
    request_queue_size = 128


class Receiver:
    """An HTTP server on 127.0.0.1 (a free port) that records and verifies webhooks."""

    def __init__(
        self,
        secrets: Sequence[str] = (),
        reply: Callable[[Hit, int], Reply] | None = None,
        *,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.secrets = list(secrets)
        self.reply = reply or (lambda hit, n: Reply())
        self.hits: list[Hit] = []
        self.bytes_sent = 0
        self.write_errors = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self.scheme = "https" if tls else "http"
        self.port = self._server.server_address[1]

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def ids(self) -> Counter[str]:
        with self._lock:
            return Counter(h.webhook_id for h in self.hits)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                hit = Hit(
                    self.path,
                    headers.get("webhook-id", ""),
                    headers.get("host", ""),
                    headers,
                    body,
                    tuple(verifies(s, body, headers) for s in receiver.secrets),
                )
                with receiver._lock:
                    receiver.hits.append(hit)
                    n = len(receiver.hits)
                reply = receiver.reply(hit, n)
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(reply.body_bytes))
                self.end_headers()
                receiver._write(self.wfile, reply.body_bytes)

        return Handler

    def _write(self, out: Any, size: int) -> None:
        chunk = b"x" * 65536
        try:
            while size > 0:
                piece = chunk[: min(size, len(chunk))]
                out.write(piece)
                out.flush()
                with self._lock:
                    self.bytes_sent += len(piece)
                size -= len(piece)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            with self._lock:
                self.write_errors += 1

    @contextmanager
    def running(self) -> Iterator[Receiver]:
        # shutdown() waits for the serving loop to look again: every 20 ms, not the default 0.5 s
        thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(5)


@dataclass(frozen=True)
class Endpoint:
    id: uuid.UUID
    agency_id: uuid.UUID
    secret: str


async def add_endpoint(
    container: Container,
    agency_id: uuid.UUID,
    url: str,
    *,
    secret: str | None = None,
    previous_secret: str | None = None,
    previous_until: datetime | None = None,
    private_allowed: bool = False,
    sealed_with: bytes | None = None,
) -> Endpoint:
    """An enabled endpoint of the agency for every event type, its secrets stored as the
    endpoint API stores them (sealed when ``sealed_with`` is a secret key)."""
    endpoint_id = uuid.uuid4()
    secret = secret or new_secret()
    now = container.clock.now()
    row = {
        "id": endpoint_id,
        "agency_id": agency_id,
        "url": url,
        "event_types": encode_event_types(EventType),
        "secret": seal_secret(sealed_with, endpoint_id, secret),
        "previous_secret": (
            seal_secret(sealed_with, endpoint_id, previous_secret) if previous_secret else None
        ),
        "previous_until": previous_until,
        "private_allowed": private_allowed,
        "created_at": now,
        "updated_at": now,
    }
    async with container.db.transaction() as s:
        await s.execute(insert(WebhookEndpoint), [row])
    return Endpoint(endpoint_id, agency_id, secret)


async def add_deliveries(
    container: Container, endpoint: Endpoint, n: int, *, created_at: datetime | None = None
) -> list[str]:
    """``n`` pending deliveries to the endpoint, due at once; their ``webhook-id`` values."""
    when = created_at or container.clock.now()
    rows = []
    for i in range(n):
        message_id = f"msg_{uuid.uuid4().hex}"
        request_id = uuid.uuid4()
        payload = {
            "type": EventType.DECIDED.value,
            "timestamp": when.isoformat(),
            "data": {"request_id": str(request_id), "status": "decided", "n": i},
        }
        rows.append(
            {
                "id": uuid.uuid4(),
                "endpoint_id": endpoint.id,
                "agency_id": endpoint.agency_id,
                "message_id": message_id,
                "event_type": EventType.DECIDED.value,
                "request_id": request_id,
                "payload": json.dumps(payload, separators=(",", ":")),
                "status": "pending",
                "attempts": 0,
                "available_at": when,
                "created_at": when,
            }
        )
    async with container.db.transaction() as s:
        for start in range(0, len(rows), 1000):
            await s.execute(insert(WebhookDelivery), rows[start : start + 1000])
    return [r["message_id"] for r in rows]


async def deliveries(container: Container) -> dict[str, WebhookDelivery]:
    """Every delivery row, by ``webhook-id``."""
    async with container.db.reader() as s:
        rows = (await s.scalars(select(WebhookDelivery))).all()
    return {r.message_id: r for r in rows}


async def endpoint_row(container: Container, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    async with container.db.reader() as s:
        row = await s.get(WebhookEndpoint, endpoint_id)
    assert row is not None
    return row
