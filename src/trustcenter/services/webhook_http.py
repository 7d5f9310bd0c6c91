"""One webhook delivery over HTTP: signed as the Standard Webhooks specification says, sent
only to an address that passed the SSRF rules, with short timeouts, no redirects followed and
at most 64 KiB of the answer read.

No SSRF:

* The endpoint's URL is checked again (``domain.webhooks.check_url``: ``https://``, or in
  development ``http://`` to 127.0.0.1, ::1 or localhost).
* Its host is resolved at every delivery; if ANY address it resolves to is refused
  (``domain.webhooks.refused_address``: private, loopback, link-local with the cloud metadata
  address, multicast, reserved …) nothing is sent, unless an admin allowed private addresses
  for the endpoint. Outside production a URL whose host is literally ``127.0.0.1``, ``::1`` or
  ``localhost`` may reach loopback addresses (a local receiver), and only those.
* The request goes to the address that was checked, never to the name again (no DNS
  rebinding between the check and the connection): the URL carries the IP, the ``Host``
  header the name, and TLS is verified for the name (``sni_hostname``).
* No proxy from the environment is used (a proxy would resolve the name itself).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from standardwebhooks import Webhook

from trustcenter.domain.webhooks import MAX_RESPONSE_BYTES, check_url, refused_address
from trustcenter.services.outbound_tls import default_trust

if TYPE_CHECKING:  # loaded when the first delivery is sent: a worker with none loads no HTTP client
    import httpx

#: resolves a host name to its addresses (as text); tests put their own in its place
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
EXCERPT_CHARS = 200
_LOCAL_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})
_MAX_CLIENTS = 1024
_UNPRINTABLE = re.compile(r"[^\x20-\x7e]+")


async def resolve(host: str, port: int) -> list[str]:
    """The host's addresses, as the system resolver gives them, without duplicates."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What one delivery sends: the body exactly as stored, signed with every secret given
    (the current one first, then a rotated-out one still in its overlap)."""

    url: str
    private_allowed: bool
    message_id: str
    payload: str
    secrets: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """How a try went: acknowledged (2xx) or not, the HTTP status if there was one, and why
    it failed (a short, cleaned excerpt of the answer at most)."""

    acknowledged: bool
    status: int | None = None
    error: str | None = None


def sign(secrets: Sequence[str], message_id: str, at: datetime, payload: str) -> str:
    """The ``webhook-signature`` header: ``v1,<base64>`` per secret, separated by spaces."""
    return " ".join(Webhook(s).sign(message_id, at, payload) for s in secrets)


def signed_headers(out: Outgoing, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": out.message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": sign(out.secrets, out.message_id, at, out.payload),
        "content-type": "application/json",
        "user-agent": "trustcenter-webhooks",
    }


def excerpt(raw: bytes) -> str:
    """The start of an answer, as printable text on one line."""
    text = _UNPRINTABLE.sub(" ", raw.decode("utf-8", "replace")).strip()
    return text[:EXCERPT_CHARS]


class WebhookSender:
    """Sends deliveries; keeps one connection pool per host name (a pooled TLS connection is
    only ever reused for the name its certificate was verified for)."""

    def __init__(
        self,
        *,
        production: bool,
        resolver: Resolver = resolve,
        connect_timeout: float = CONNECT_TIMEOUT,
        total_timeout: float = TOTAL_TIMEOUT,
        trust: ssl.SSLContext | None = None,
    ) -> None:
        self.production = production
        self.resolver = resolver
        #: the certificate authorities TLS is verified against (None: the system's bundle)
        self.trust = trust
        self.connect_timeout = connect_timeout
        self.total_timeout = total_timeout
        self._clients: dict[tuple[str, int], httpx.AsyncClient] = {}

    def _refused(self, host: str, address: str, private_allowed: bool) -> str | None:
        why = refused_address(address, private_allowed=private_allowed)
        if why is None:
            return None
        local = not self.production and host in _LOCAL_NAMES
        if local and ipaddress.ip_address(address).is_loopback:
            return None  # a local receiver in development and tests
        return why

    async def _checked_address(self, host: str, port: int, out: Outgoing) -> str | Answer:
        """The address to connect to, or why nothing is sent."""
        try:
            async with asyncio.timeout(self.connect_timeout):
                addresses = list(await self.resolver(host, port))
        except (OSError, TimeoutError) as exc:
            return Answer(False, error=f"{host} does not resolve: {type(exc).__name__}")
        if not addresses:
            return Answer(False, error=f"{host} does not resolve")
        for address in addresses:
            why = self._refused(host, address, out.private_allowed)
            if why is not None:
                return Answer(False, error=f"refused: {host} resolves to {address}, {why}")
        return addresses[0]

    async def _client(self, host: str, lane: int) -> httpx.AsyncClient:
        import httpx

        client = self._clients.get((host, lane))
        if client is None:
            if len(self._clients) >= _MAX_CLIENTS:  # the least recently made one goes
                await self._clients.pop(next(iter(self._clients))).aclose()
            client = httpx.AsyncClient(
                follow_redirects=False,
                trust_env=False,  # no proxy: the checked address is the one connected to
                verify=self.trust if self.trust is not None else default_trust(trust_env=False),
                timeout=httpx.Timeout(self.total_timeout, connect=self.connect_timeout),
            )
            self._clients[(host, lane)] = client
        return client

    async def send(self, out: Outgoing, at: datetime, lane: int = 0) -> Answer:
        """Try one delivery now; never raises for what the receiver or the network does.
        ``lane``: which of the caller's concurrent sends this is; each lane has its own pool
        per host, of one connection at a time (a pool's bookkeeping grows with its size)."""
        import httpx

        refusal = check_url(out.url, production=self.production)
        if refusal is not None:
            return Answer(False, error=f"refused: the URL {refusal.reason}")
        parts = urlsplit(out.url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        checked = await self._checked_address(host, port, out)
        if isinstance(checked, Answer):
            return checked
        literal = f"[{checked}]" if ":" in checked else checked
        target = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
        headers = signed_headers(out, at)
        headers["host"] = parts.netloc
        extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
        try:
            async with asyncio.timeout(self.total_timeout):
                client = await self._client(host, lane)
                return await self._post(client, target, out, headers, extensions)
        except TimeoutError:
            return Answer(False, error=f"no answer within {self.total_timeout:g} s")
        except httpx.HTTPError as exc:
            return Answer(False, error=excerpt(f"{type(exc).__name__}: {exc}".encode()))

    async def _post(
        self,
        client: httpx.AsyncClient,
        target: str,
        out: Outgoing,
        headers: dict[str, str],
        extensions: dict[str, str],
    ) -> Answer:
        request = client.build_request(
            "POST", target, content=out.payload.encode(), headers=headers, extensions=extensions
        )
        response = await client.send(request, stream=True)
        try:
            start = await _read_at_most(response, MAX_RESPONSE_BYTES)
        finally:
            await response.aclose()  # the rest is never read (the connection is dropped)
        code = response.status_code
        if 200 <= code < 300:
            return Answer(True, code)
        if 300 <= code < 400:
            return Answer(False, code, f"HTTP {code}: redirects are not followed")
        said = excerpt(start)
        return Answer(False, code, f"HTTP {code}" + (f": {said}" if said else ""))

    async def close(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    """Read the answer as it comes (undecoded) and stop at ``limit`` bytes; its start."""
    start = b""
    read = 0
    async for chunk in response.aiter_raw():
        if len(start) < EXCERPT_CHARS:
            start += chunk[: EXCERPT_CHARS - len(start)]
        read += len(chunk)
        if read >= limit:
            break
    return start
