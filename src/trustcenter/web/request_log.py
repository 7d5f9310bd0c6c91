"""Every HTTP request gets an id and, when it ends, one access-log line (both given by the
outermost middleware, ``web.request_frame``).

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

from starlette.types import Scope

from trustcenter.auth.principal import PERSON_PREFIX
from trustcenter.observability.context import RequestContext
from trustcenter.web.authentication import PrincipalUser

log = logging.getLogger("trustcenter.access")

HEADER = b"x-request-id"
#: the longest path an access line repeats (a hostile client's path may be very long)
PATH_CHARS = 256


def _caller(scope: Scope, context: RequestContext) -> str | None:
    user = scope.get("user")
    if not isinstance(user, PrincipalUser) or not user.principal.authenticated:
        return context.client_id
    principal = user.principal
    in_person = principal.client_id is None or principal.client_id.startswith(PERSON_PREFIX)
    if in_person and principal.staff_id is not None:
        return f"person:{principal.staff_id}"
    return principal.client_id


def access_line(scope: Scope, context: RequestContext, status: int, seconds: float) -> None:
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
