"""Bearer tokens to principals. No token: anonymous. A bad token: 401, whatever the path."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse, Response

from trustcenter.auth.principal import ANONYMOUS, Principal
from trustcenter.auth.tokens import AccessClaims, InvalidToken, TokenValidator

log = logging.getLogger("trustcenter.auth")

#: who a valid token speaks for as of now, None for no one (``services.clients.principal_for``
#: bound to the database)
PrincipalLookup = Callable[[AccessClaims], Awaitable[Principal | None]]


class PrincipalUser(BaseUser):
    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return self.principal.authenticated

    @property
    def display_name(self) -> str:
        return self.principal.client_id or "anonymous"


class BearerBackend(AuthenticationBackend):
    def __init__(self, validator: TokenValidator, principal_for: PrincipalLookup) -> None:
        self.validator = validator
        self.principal_for = principal_for

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        header = conn.headers.get("authorization")
        if header is None or conn.url.path.startswith("/oauth/"):
            # The OAuth endpoints authenticate clients themselves (HTTP Basic or form).
            return AuthCredentials(), PrincipalUser(ANONYMOUS)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
        try:
            claims = await self.validator.validate(token.strip())
        except InvalidToken as exc:
            log.info("token refused: %s", exc.reason)
            raise AuthenticationError("the access token is invalid or expired") from exc
        principal = await self.principal_for(claims)
        if principal is None:
            log.info("token refused: client %s revoked or suspended", claims.client_id)
            raise AuthenticationError("the client of this token may no longer call the service")
        return AuthCredentials(sorted(principal.scopes)), PrincipalUser(principal)


def on_auth_error(conn: HTTPConnection, exc: Exception) -> Response:
    """401 with an RFC 6750 challenge. On /graphql the body is a GraphQL response, so
    GraphQL clients read it like any other error; elsewhere it is the RFC 6750 pair."""
    description = str(exc).replace('"', "'")
    headers = {
        "WWW-Authenticate": f'Bearer realm="trustcenter", error="invalid_token", '
        f'error_description="{description}"'
    }
    if conn.url.path.rstrip("/") == "/graphql":
        body: dict[str, object] = {
            "errors": [{"message": str(exc), "extensions": {"code": "UNAUTHENTICATED"}}]
        }
    else:
        body = {"error": "invalid_token", "error_description": description}
    return JSONResponse(body, status_code=401, headers=headers)


def principal_of(conn: HTTPConnection) -> Principal:
    user = conn.scope.get("user")
    return user.principal if isinstance(user, PrincipalUser) else ANONYMOUS
