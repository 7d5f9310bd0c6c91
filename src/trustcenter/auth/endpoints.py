"""Token revocation (RFC 7009) and introspection (RFC 7662) on authlib's endpoint classes.

authlib's endpoints are synchronous, like the rest of its server: the web layer looks the
presented token up first (signature, claims, revocation, its client's standing) and hands the
result in as a :class:`PresentedToken`; authlib then authenticates the calling client exactly as
at the token endpoint and applies the protocol rules. A revocation is only marked on the token
here; the web layer stores it once authlib has accepted the request.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from trustcenter.auth.scopes import INTROSPECT
from trustcenter.auth.server import AUTH_METHODS, AuthorizationServer


@dataclass(slots=True)
class PresentedToken:
    """A token this server signed, with its standing as of now (authlib's TokenMixin)."""

    jti: str
    client_id: str
    subject: str
    scope: str
    issued_at: int
    expires_at: int
    issuer: str
    audience: str
    #: revoked, or its client revoked or suspended since it was issued
    inactive: bool = False
    #: set by the revocation endpoint once the request is accepted
    revoke: bool = False

    def check_client(self, client: Any) -> bool:
        return bool(client.get_client_id() == self.client_id)

    def get_scope(self) -> str:
        return self.scope

    def get_expires_in(self) -> int:
        return self.expires_at - self.issued_at

    def is_expired(self) -> bool:
        # the web layer only hands in tokens the validator accepted, so not expired
        return False

    def is_revoked(self) -> bool:
        return self.inactive


_presented: ContextVar[PresentedToken | None] = ContextVar("tc_presented", default=None)


class InsufficientScopeError(OAuth2Error):  # type: ignore[misc]
    error = "insufficient_scope"
    status_code = 403


class Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        return _presented.get()

    def revoke_token(self, token: PresentedToken, request: Any) -> None:
        token.revoke = True


class Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def check_params(self, request: Any, client: Any) -> None:
        # asked before the token is looked at, so a client without the scope learns nothing
        if INTROSPECT not in client.scopes:
            raise InsufficientScopeError(
                description=f"introspection needs the {INTROSPECT!r} scope"
            )
        super().check_params(request, client)

    def query_token(self, token_string: str, token_type_hint: str | None) -> PresentedToken | None:
        return _presented.get()

    def check_permission(self, token: PresentedToken, client: Any, request: Any) -> bool:
        return True

    def introspect_token(self, token: PresentedToken) -> dict[str, Any]:
        return {
            "active": True,
            "scope": token.scope,
            "client_id": token.client_id,
            "sub": token.subject,
            "exp": token.expires_at,
            "iat": token.issued_at,
            "iss": token.issuer,
            "aud": token.audience,
            "token_type": "Bearer",
            "jti": token.jti,
        }


def install(server: AuthorizationServer) -> None:
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)


class presenting:
    """``with presenting(token): server.endpoint_response(...)``: the token authlib will see."""

    def __init__(self, token: PresentedToken | None) -> None:
        self._token = token

    def __enter__(self) -> None:
        self._reset = _presented.set(self._token)

    def __exit__(self, *exc: object) -> None:
        _presented.reset(self._reset)
