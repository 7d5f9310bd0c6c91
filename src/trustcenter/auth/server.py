"""The OAuth 2.0 authorization server: client credentials grant at the token endpoint.

authlib's server is synchronous and framework-neutral. The web layer loads the client
asynchronously first and hands it in; authlib then does the protocol work (client
authentication by ``client_secret_basic`` or ``client_secret_post``, grant and scope checks,
error responses) without touching the database.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from authlib.oauth2 import AuthorizationServer as _AuthlibServer
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.util import scope_to_list

from trustcenter.auth.scopes import ALL_SCOPES
from trustcenter.auth.tokens import TokenGenerator

AUTH_METHODS = ("client_secret_basic", "client_secret_post")

# authlib logs issued tokens and client details at DEBUG; tokens never go to our logs.
logging.getLogger("authlib").setLevel(logging.INFO)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ClientRecord:
    """What the token endpoint needs to know of a client (authlib's ClientMixin)."""

    client_id: str
    secret_sha256: str
    scopes: tuple[str, ...]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        if not scope:
            return " ".join(self.scopes)
        asked = scope_to_list(scope) or []
        refused = [s for s in asked if s not in self.scopes]
        if refused:
            raise InvalidScopeError(f"scope not granted to this client: {' '.join(refused)}")
        return " ".join(s for s in self.scopes if s in asked)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(hash_secret(client_secret), self.secret_sha256)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return endpoint == "token" and method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


_current_client: ContextVar[ClientRecord | None] = ContextVar("tc_client", default=None)


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(
        self, method: str, uri: str, headers: Mapping[str, str], form: Mapping[str, str]
    ) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = BasicOAuth2Payload(dict(form))
        self._form = dict(form)

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


@dataclass(frozen=True, slots=True)
class TokenResponse:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]]


class _ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)


class AuthorizationServer(_AuthlibServer):  # type: ignore[misc]
    def __init__(self, generator: TokenGenerator) -> None:
        super().__init__(scopes_supported=list(ALL_SCOPES))
        self.register_grant(_ClientCredentials)
        self.register_token_generator("default", generator)

    # authlib's integration points -------------------------------------------------------
    def query_client(self, client_id: str) -> ClientRecord | None:
        client = _current_client.get()
        return client if client is not None and client.client_id == client_id else None

    def save_token(self, token: dict[str, Any], request: Any) -> None:
        """JWT access tokens are self-contained: nothing to store."""

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> TokenResponse:
        return TokenResponse(status, dict(body), list(headers))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    # our entry point -----------------------------------------------------------------------
    def token_response(
        self,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        form: Mapping[str, str],
        client: ClientRecord | None,
    ) -> TokenResponse:
        token = _current_client.set(client)
        try:
            response: TokenResponse = self.create_token_response(
                _Request(method, uri, headers, form)
            )
            return response
        finally:
            _current_client.reset(token)


def presented_client_id(headers: Mapping[str, str], form: Mapping[str, str]) -> str | None:
    """The client id a token request names, from HTTP Basic or from the form body."""
    auth = headers.get("authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        if ":" in decoded:
            return unquote(decoded.split(":", 1)[0]) or None
        return None
    return form.get("client_id") or None
