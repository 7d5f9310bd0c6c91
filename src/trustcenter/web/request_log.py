"""Every HTTP request gets an id and, when it ends, one access-log line.

The id is the caller's ``X-Request-ID`` when that is a plausible id (a proxy's, a client's),
otherwise a fresh one (``observability.context.request_id_from``); it is returned in the
response's ``X-Request-ID``, carried by every log line of the request and written on every
audit event the request causes. The access line (logger ``trustcenter.access``) names the
method, the path (never the query string: it may carry a code or a state), the status, the
duration, the caller (an OAuth client's id; a person as ``person:<staff id>``, never their
address) and the GraphQL operation's name.
"""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustcenter.auth.principal import PERSON_PREFIX
from trustcenter.observability.context import RequestContext, begin, end, request_id_from
from trustcenter.web.authentication import PrincipalUser

log = logging.getLogger("trustcenter.access")

HEADER = b"x-request-id"
#: the longest path an access line repeats (a hostile client's path may be very long)
PATH_CHARS = 256


class RequestLog:
    def __init__(self, app: ASGIApp, *, access_log: bool = True) -> None:
        self.app = app
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), None)
        context, token = begin(request_id_from(given.decode("latin-1") if given else None))
        stamp = context.request_id.encode()
        status = 500  # what the client gets when the app fails before it answers
        started = time.perf_counter()

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0] != HEADER]
                message = {**message, "headers": [*headers, (HEADER, stamp)]}
            await send(message)

        try:
            await self.app(scope, receive, answer)
        finally:
            if self.access_log:
                _access_line(scope, context, status, time.perf_counter() - started)
            end(token)


def _caller(scope: Scope, context: RequestContext) -> str | None:
    user = scope.get("user")
    if not isinstance(user, PrincipalUser) or not user.principal.authenticated:
        return context.client_id
    principal = user.principal
    in_person = principal.client_id is None or principal.client_id.startswith(PERSON_PREFIX)
    if in_person and principal.staff_id is not None:
        return f"person:{principal.staff_id}"
    return principal.client_id


def _access_line(scope: Scope, context: RequestContext, status: int, seconds: float) -> None:
    if not log.isEnabledFor(logging.INFO):
        return
    method = scope.get("method", "")
    path = scope.get("path", "")[:PATH_CHARS]
    client = _caller(scope, context)
    duration_ms = round(seconds * 1000, 1)
    log.info(
        "%s %s %s %.1fms client=%s operation=%s",
        method,
        path,
        status,
        duration_ms,
        client or "-",
        context.operation or "-",
        extra={
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
            "client_id": client,
            "operation": context.operation,
        },
    )
