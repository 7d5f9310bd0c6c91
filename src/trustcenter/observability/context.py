"""The HTTP request being served, as logs and the audit see it.

The web layer's request-log middleware (``web.request_log``) opens one :class:`RequestContext`
per request; the authentication and the GraphQL view fill in who called and which operation;
every log line of the request carries its id (``logs``), and so does every audit event the
request writes (``db.repositories.audit``). Outside a request (a worker, the command line) there
is none.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

#: an incoming ``X-Request-ID`` kept as given: a proxy's or a client's id, in the characters
#: ids are made of, at most 128 of them. Anything else is replaced by a fresh id (a header
#: cannot smuggle a line break or a JSON fragment into the logs).
_ACCEPTED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


@dataclass(slots=True)
class RequestContext:
    request_id: str
    #: the OAuth client or the console person's carrier, once authenticated
    client_id: str | None = None
    #: the GraphQL operation's name, when the request is one
    operation: str | None = None


_CURRENT: ContextVar[RequestContext | None] = ContextVar("trustcenter_request", default=None)


def request_id_from(header: str | None) -> str:
    """The id this request goes by: the caller's ``X-Request-ID`` when it is a plausible id,
    otherwise a fresh random one."""
    if header is not None and _ACCEPTED.fullmatch(header):
        return header
    return uuid.uuid4().hex


def begin(request_id: str) -> tuple[RequestContext, object]:
    """Open the context of one request; pass the second value to :func:`end`."""
    context = RequestContext(request_id)
    return context, _CURRENT.set(context)


def end(token: object) -> None:
    _CURRENT.reset(token)  # type: ignore[arg-type]


def current() -> RequestContext | None:
    return _CURRENT.get()


def current_request_id() -> str | None:
    context = _CURRENT.get()
    return context.request_id if context is not None else None
