"""Errors: expected ones in the schema (user errors with a code), the rest masked with an id.

The error id appears in the response and in the server log next to the traceback, so support
can find one from the other; neither ever contains a token or personal data.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from typing import Any

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.extensions import SchemaExtension
from strawberry.relay.types import GlobalIDValueError

from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.plugins.host import PluginFailure
from trustcenter.services.access import AccessDenied, NotAuthenticated
from trustcenter.services.reads import BadCursor

log = logging.getLogger("trustcenter.graphql")

UserErrorCode = strawberry.enum(ErrorCode, name="UserErrorCode")


@strawberry.type(description="Something wrong with the input; nothing was changed.")
class UserError:
    field: str | None = strawberry.field(description="Path of the input field, if one.")
    message: str
    code: UserErrorCode = strawberry.field(  # type: ignore[valid-type]
        description="Stable code clients can branch on."
    )


def user_errors(error: DomainError) -> list[UserError]:
    return [UserError(field=p.field, message=p.message, code=p.code) for p in error.problems]


class BadInput(Exception):
    """A query argument is out of range (for example a page size above the cap)."""


def _code_for(exc: BaseException | None) -> str | None:
    if isinstance(exc, NotAuthenticated):
        return "UNAUTHENTICATED"
    if isinstance(exc, AccessDenied):
        return "FORBIDDEN"
    if isinstance(exc, BadInput | BadCursor):
        return "BAD_USER_INPUT"
    if isinstance(exc, PluginFailure):
        return "PLUGIN_FAILED"
    if isinstance(exc, DomainError):
        return exc.problems[0].code.name if exc.problems else "BAD_USER_INPUT"
    return None


#: what the parser's and the validation rules' limits say, and the code each answer carries
_LIMIT_MESSAGES: tuple[tuple[str, str], ...] = (
    ("tokens. Parsing aborted", "QUERY_TOO_LARGE"),
    ("code points. Parsing aborted", "QUERY_TOO_LARGE"),
    ("nested too deeply", "QUERY_TOO_DEEP"),
    ("exceeds maximum operation depth", "QUERY_TOO_DEEP"),
    ("aliases found. Allowed", "TOO_MANY_ALIASES"),
)
#: the longest run of one echoed value in a message, and the longest message
MAX_ECHO = 200
MAX_MESSAGE = 600
_LONG_RUN = re.compile(rf"\S{{{MAX_ECHO + 1},}}")


def shorten(message: str) -> str:
    """Cut every echoed value to MAX_ECHO characters and the message to MAX_MESSAGE, so an
    error never carries a large input back."""
    message = _LONG_RUN.sub(lambda m: m.group(0)[:MAX_ECHO] + "…", message)
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "…"


def _limit_code(message: str, default: str) -> str:
    for fragment, code in _LIMIT_MESSAGES:
        if fragment in message:
            return code
    return default


def _client_code(error: GraphQLError, validation: set[int]) -> str | None:
    """The code of an error about the client's own document or variables, else None."""
    original = error.original_error
    if isinstance(error, GraphQLSyntaxError) or isinstance(original, GraphQLSyntaxError):
        return _limit_code(error.message, "GRAPHQL_PARSE_FAILED")
    if id(error) in validation:
        return _limit_code(error.message, "GRAPHQL_VALIDATION_FAILED")
    if isinstance(original, StrawberryInputCoercionError | GlobalIDValueError):
        return "BAD_USER_INPUT"  # a malformed global id, found while reading the arguments
    if error.path is None and (original is None or isinstance(original, GraphQLError)):
        return "BAD_USER_INPUT"  # the variables do not fit their types; no operation named
    return None


def _masked(error: GraphQLError, what: str) -> GraphQLError:
    error_id = uuid.uuid4().hex[:12]
    log.error("%s %s in %s", what, error_id, error.path, exc_info=error.original_error)
    return GraphQLError(
        f"Unexpected error; reference {error_id}",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
    )


def ensure_code(error: GraphQLError) -> GraphQLError:
    """The error itself when it carries a code, else masked as unexpected (logged)."""
    if (error.extensions or {}).get("code"):
        return error
    return _masked(error, "unexpected error outside the error policy")


class ErrorPolicy(SchemaExtension):
    """Give every error a code: the client's own mistakes (parse, validation, variables,
    limits, malformed ids) and known refusals say what they are; everything unexpected is
    replaced by a masked error with an id. An unauthenticated call answers HTTP 401 with a
    ``WWW-Authenticate`` challenge."""

    def on_operation(self) -> Iterator[None]:
        self._validation: set[int] = set()
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        given = result.errors
        result.errors = [self._process(e) for e in given]
        for error in given:  # logged where it had to be: its frames can go (``without_frames``)
            without_frames(error)

    def on_validate(self) -> Iterator[None]:
        yield
        self._validation = {id(e) for e in self.execution_context.pre_execution_errors or ()}

    def _process(self, error: GraphQLError) -> GraphQLError:
        if (error.extensions or {}).get("code"):
            return self._rewrite(error, error.message, dict(error.extensions or {}))
        client = _client_code(error, self._validation)
        if client is not None:
            return self._rewrite(error, error.message, {"code": client})
        original = error.original_error
        code = None if isinstance(original, GraphQLError) else _code_for(original)
        if code is None:
            return _masked(error, "unexpected error")
        if code == "PLUGIN_FAILED":
            error_id = uuid.uuid4().hex[:12]
            log.error("plugin failure %s: %s", error_id, original, exc_info=original)
            return self._rewrite(
                error,
                f"{original}; nothing was changed (reference {error_id})",
                {"code": code, "errorId": error_id, "plugin": getattr(original, "plugin", None)},
            )
        if code == "UNAUTHENTICATED":
            response = getattr(self.execution_context.context, "response", None)
            if response is not None:
                response.status_code = 401
                response.headers["WWW-Authenticate"] = 'Bearer realm="trustcenter"'
            message = "authentication required: send a bearer access token"
        else:
            message = str(original)
        return self._rewrite(error, message, {"code": code})

    @staticmethod
    def _rewrite(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
        return GraphQLError(
            shorten(message),
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions=extensions,
        )


def without_frames(error: GraphQLError) -> GraphQLError:
    """``error`` (and the errors it wraps or was raised from) without a traceback, once what
    is logged of it has been logged.

    An error's traceback holds the frames it passed through, and they hold the request: its
    context, loaders, the views it read. A refused field (``FORBIDDEN``), a malformed id, a
    plugin's failure each left its request in a reference cycle (some 280 objects), so a
    client sending failing requests kept the collector busy. An error a validation rule made
    of a scalar's refusal of a literal carries the frames of the validation, back to
    strawberry's execution context: kept in the table of recent texts (``document_cache``),
    it kept that request alive until a later text pushed the entry out, and then left it in a
    cycle (``tests/api/test_request_garbage.py``). What the client is told — message,
    locations, path, extensions — and the error policy's code need none of it."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        exc.__traceback__ = None
        pending += [getattr(exc, "original_error", None), exc.__cause__, exc.__context__]
    return error
