"""Errors: expected ones in the schema (user errors with a code), the rest masked with an id.

The error id appears in the response and in the server log next to the traceback, so support
can find one from the other; neither ever contains a token or personal data.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from trustcenter.db.repositories.requests import BadCursor
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.plugins.host import PluginFailure
from trustcenter.services.access import AccessDenied, NotAuthenticated

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


class ErrorPolicy(SchemaExtension):
    """Give known refusals a code; replace everything unexpected by a masked error with an id;
    answer an unauthenticated call with HTTP 401 and a ``WWW-Authenticate`` challenge."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if not result or not result.errors:
            return
        result.errors = [self._process(e) for e in result.errors]

    def _process(self, error: GraphQLError) -> GraphQLError:
        original = error.original_error
        if original is None or isinstance(original, GraphQLError):
            # parse, validation and variable errors: about the client's own document
            return error
        code = _code_for(original)
        if code is None:
            error_id = uuid.uuid4().hex[:12]
            log.error("unexpected error %s in %s", error_id, error.path, exc_info=original)
            return GraphQLError(
                f"Unexpected error; reference {error_id}",
                nodes=error.nodes,
                path=error.path,
                extensions={"code": "INTERNAL_SERVER_ERROR", "errorId": error_id},
            )
        if code == "PLUGIN_FAILED":
            error_id = uuid.uuid4().hex[:12]
            log.error("plugin failure %s: %s", error_id, original, exc_info=original)
            return GraphQLError(
                f"{original}; nothing was changed (reference {error_id})",
                nodes=error.nodes,
                path=error.path,
                extensions={
                    "code": code,
                    "errorId": error_id,
                    "plugin": getattr(original, "plugin", None),
                },
            )
        if code == "UNAUTHENTICATED":
            response = getattr(self.execution_context.context, "response", None)
            if response is not None:
                response.status_code = 401
                response.headers["WWW-Authenticate"] = 'Bearer realm="trustcenter"'
            message = "authentication required: send a bearer access token"
        else:
            message = str(original)
        return GraphQLError(message, nodes=error.nodes, path=error.path, extensions={"code": code})
