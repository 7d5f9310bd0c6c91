"""Bearer tokens and console sessions to principals.

- A bearer token (``Authorization``) wins: a bad one is 401, whatever the path.
- Without one, the console's session cookie (:data:`SESSION_COOKIE`) speaks for the person
  signed in (``services.sign_in.session_principal``), on ``/graphql`` with the same operations
  as a token. A cookie that opens no live session is anonymous — never a 401: a browser keeps
  an old cookie after its session ended, and the console answers it with the sign-in page.
- A request the cookie carries that changes something (any method but GET, HEAD and OPTIONS)
  must prove it comes from the console (:class:`SessionCsrfGuard`): the session's CSRF token in
  the ``X-CSRF-Token`` header, and no cross-site ``Origin``/``Sec-Fetch-Site``; otherwise 403
  and nothing runs. The console's own forms (``/console/…``) are checked by their routes, which
  also accept the token as the form field ``csrf_token`` (``web.console_auth``).
"""

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
from starlette.types import ASGIApp, Receive, Scope, Send

from trustcenter.auth.principal import ANONYMOUS, Principal
from trustcenter.auth.tokens import AccessClaims, InvalidToken
from trustcenter.services.sessions import csrf_matches

log = logging.getLogger("trustcenter.auth")

#: a bearer token's claims and who it speaks for as of now, None for no one; raises
#: ``InvalidToken`` (``services.principals.Principals.of_token``)
TokenLookup = Callable[[str], Awaitable[tuple[AccessClaims, Principal | None]]]
#: who a console session token speaks for as of now (``services.sign_in.session_principal``)
SessionLookup = Callable[[str], Awaitable[Principal | None]]

#: the console's session cookie: ``__Host-`` so only this origin, over HTTPS, may set it
SESSION_COOKIE = "__Host-trustcenter-session"
#: where the authentication puts the session token of a request the cookie authenticated
SESSION_TOKEN = "trustcenter.session_token"  # noqa: S105 (a scope key, not a secret)
#: methods that change nothing (RFC 9110 §9.2.1)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


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
    def __init__(
        self,
        token_principal: TokenLookup,
        session_for: SessionLookup | None = None,
    ) -> None:
        self.token_principal = token_principal
        self.session_for = session_for

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        header = conn.headers.get("authorization")
        if conn.url.path.startswith("/oauth/"):
            # The OAuth endpoints authenticate clients themselves (HTTP Basic or form).
            return AuthCredentials(), PrincipalUser(ANONYMOUS)
        if header is None:
            return await self._session(conn)
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthenticationError("the Authorization header must be 'Bearer <token>'")
        try:
            claims, principal = await self.token_principal(token.strip())
        except InvalidToken as exc:
            log.info("token refused: %s", exc.reason)
            raise AuthenticationError("the access token is invalid or expired") from exc
        if principal is None:
            log.info("token refused: client %s revoked or suspended", claims.client_id)
            raise AuthenticationError("the client of this token may no longer call the service")
        return AuthCredentials(sorted(principal.scopes)), PrincipalUser(principal)

    async def _session(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser]:
        """The person the session cookie speaks for; anonymous when it speaks for no one."""
        token = conn.cookies.get(SESSION_COOKIE)
        principal = None
        if token and self.session_for is not None:
            principal = await self.session_for(token)
        if principal is None:
            return AuthCredentials(), PrincipalUser(ANONYMOUS)
        conn.scope[SESSION_TOKEN] = token
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


def session_token(conn: HTTPConnection) -> str | None:
    """The session token when the session cookie authenticated this request."""
    token = conn.scope.get(SESSION_TOKEN)
    return token if isinstance(token, str) else None


def own_origins(conn: HTTPConnection, issuer: str) -> set[str]:
    """The origins this service answers as: the one the request was sent to, and the issuer's
    (behind a proxy that terminates TLS the first says http, the browser https)."""
    scheme, _, rest = issuer.partition("://")
    return {f"{conn.url.scheme}://{conn.url.netloc}", f"{scheme}://{rest.split('/', 1)[0]}"}


def cross_site(conn: HTTPConnection, issuer: str) -> bool:
    """Whether the browser says the request comes from another site: ``Sec-Fetch-Site`` other
    than same-origin (or none: typed by the user), or an ``Origin`` that is not ours (``null``
    included: what a sandboxed or no-referrer page sends). A request without either (an old
    browser, a program) is judged by its CSRF token alone."""
    site = conn.headers.get("sec-fetch-site")
    if site is not None and site.strip().lower() not in ("same-origin", "none"):
        return True
    origin = conn.headers.get("origin")
    return origin is not None and origin.strip().lower() not in own_origins(conn, issuer)


class SessionCsrfGuard:
    """403 for a state-changing request the session cookie authenticated, unless it carries the
    session's CSRF token in ``X-CSRF-Token`` and does not come from another site. Runs inside
    the authentication middleware; ``/console/`` is left to its routes (they read the token
    from the form too, and answer with a page). A bearer token needs none of this: a browser
    never sends one by itself."""

    def __init__(self, app: ASGIApp, issuer: str, own_paths: tuple[str, ...] = ("/console",)):
        self.app = app
        self.issuer = issuer
        self.own_paths = own_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = scope.get(SESSION_TOKEN)
        # a bearer token or none (most requests): nothing to check, and no URL made
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS and token:
            conn = HTTPConnection(scope)
            path = conn.url.path
            own = any(path == p or path.startswith(f"{p}/") for p in self.own_paths)
            if isinstance(token, str) and not own:
                refusal = self._refusal(conn, token)
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
        await self.app(scope, receive, send)

    def _refusal(self, conn: HTTPConnection, token: str) -> Response | None:
        if cross_site(conn, self.issuer):
            message = "a request from another site may not use the console's session"
        elif not csrf_matches(token, conn.headers.get(CSRF_HEADER)):
            message = "send the session's CSRF token in the X-CSRF-Token header"
        else:
            return None
        log.info("session request refused on %s: %s", conn.url.path, message)
        if conn.url.path.rstrip("/") == "/graphql":
            body: dict[str, object] = {
                "errors": [{"message": message, "extensions": {"code": "FORBIDDEN"}}]
            }
        else:
            body = {"error": "forbidden", "error_description": message}
        return JSONResponse(body, status_code=403, headers={"Cache-Control": "no-store"})
