"""``/metrics`` in the Prometheus text format, and the timing of every HTTP request.

Never public by default. On the main port ``/metrics`` answers only when
``TRUSTCENTER_METRICS_TOKEN`` is set, and then only to ``Authorization: Bearer <token>``
(compared in constant time; 401 otherwise); without a token it answers 404 like any unknown
path. ``TRUSTCENTER_METRICS_ADDR=host:port`` opens a separate listener that serves ``/metrics``
without a token, for a scraper on a private network only (:func:`metrics_listener`).

:func:`answer_metrics` answers ``/metrics`` before the bearer-token authentication (the
metrics token is no access token) and :func:`observe_request` times every other request by
route template (never the raw path: no ids in labels), method and status class; both are
called by the outermost middleware (``web.request_frame``).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from trustcenter.bootstrap import Container
from trustcenter.config import metrics_address
from trustcenter.observability import exposition
from trustcenter.observability.metrics import HTTP_CHILDREN, install, observe_pool
from trustcenter.services.work_metrics import work_snapshot

log = logging.getLogger("trustcenter.metrics")

PATH = "/metrics"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_STATUS = {1: "1xx", 2: "2xx", 3: "3xx", 4: "4xx", 5: "5xx"}

Scrape = Callable[[], Awaitable[bytes]]


def scraper(container: Container) -> Scrape:
    """The scrape for this application: the instruments, then the work read from its
    database (the pool's connections counted from now on)."""
    install()
    observe_pool(container.db.engine)

    async def scrape() -> bytes:
        try:
            work = await work_snapshot(container)
        except Exception:  # the database is down: the instruments still answer
            log.warning("metrics: the work could not be read from the database", exc_info=True)
            work = None
        return exposition.scrape(work)

    return scrape


async def _answer(scrape: Scrape) -> Response:
    return Response(
        await scrape(),
        media_type=exposition.CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )


def _authorized(scope: Scope, token: bytes) -> bool:
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, presented = value.partition(b" ")
            if scheme.lower() != b"bearer":
                return False
            return hmac.compare_digest(presented.strip(), token)
    return False


def observe_request(scope: Scope, status: int, seconds: float) -> None:
    """Time one HTTP request by route template (never the raw path), method and status
    class."""
    route = scope.get("route")
    method = scope["method"]
    HTTP_CHILDREN(
        getattr(route, "path", None) or "unmatched",
        method if method in _METHODS else "other",
        _STATUS.get(status // 100, "other"),
    ).observe(seconds)


async def answer_metrics(
    scope: Scope, receive: Receive, send: Send, scrape: Scrape, token: bytes
) -> None:
    """``/metrics`` on the main port: GET (or HEAD) with the metrics bearer token."""
    if scope["method"] not in ("GET", "HEAD"):
        answer: Response = PlainTextResponse("use GET", status_code=405, headers={"Allow": "GET"})
    elif not _authorized(scope, token):
        answer = PlainTextResponse(
            "metrics need the metrics bearer token",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    else:
        answer = await _answer(scrape)
    await answer(scope, receive, send)


def listener_app(scrape: Scrape) -> Starlette:
    """The separate listener's application: ``/metrics`` without a token, nothing else."""

    async def metrics(request: Request) -> Response:
        return await _answer(scrape)

    return Starlette(routes=[Route(PATH, metrics, methods=["GET"])])


@asynccontextmanager
async def metrics_listener(address: str, scrape: Scrape) -> AsyncIterator[None]:
    """Serve ``/metrics`` on ``address`` (host:port) while the block runs. The socket is bound
    with ``SO_REUSEPORT``, so each of several worker processes may open it and any of them
    answers (the figures are summed over the processes either way)."""
    import uvicorn

    host, port = metrics_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    # no log configuration of its own: uvicorn's would reset the main server's loggers
    config = uvicorn.Config(listener_app(scrape), log_config=None, log_level=None, lifespan="off")
    config.access_log = False  # set after: passing it would take the main server's handlers
    config.load()
    server = uvicorn.Server(config)
    # uvicorn's own steps without its signal handlers: the main server keeps those
    server.lifespan = config.lifespan_class(config)
    await server.startup(sockets=[sock])
    loop = asyncio.create_task(server.main_loop())
    try:
        yield
    finally:
        server.should_exit = True
        await loop
        await server.shutdown(sockets=[sock])
        sock.close()
