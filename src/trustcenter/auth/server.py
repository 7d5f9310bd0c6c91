"""The OAuth 2.0 authorization server: client credentials grant at the token endpoint.

authlib's server is synchronous and framework-neutral. The web layer loads the client
asynchronously first and hands it in; authlib then does the protocol work (client
authentication by ``client_secret_basic``, ``client_secret_post`` or ``private_key_jwt``, grant
and scope checks, error responses) without touching the database. Every failed client
authentication leaves here as the one ``invalid_client`` answer (``auth.client_auth``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import unquote

from authlib.oauth2 import AuthorizationServer as _AuthlibServer
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload, OAuth2Request
from authlib.oauth2.rfc6749.util import scope_to_list

from trustcenter.auth.client_auth import (
    DUMMY_DIGEST,
    INVALID_CLIENT_CHALLENGE,
    INVALID_CLIENT_DESCRIPTION,
    PRIVATE_KEY_JWT,
    SECRET_METHODS,
    PrivateKeyJWT,
    assertion_subject,
    failure_reason,
    methods_presented,
)
from trustcenter.auth.scopes import ALL_SCOPES
from trustcenter.auth.tokens import TokenGenerator

AUTH_METHODS = (*SECRET_METHODS, PRIVATE_KEY_JWT)
#: the endpoints where clients authenticate (authlib's endpoint names)
ENDPOINTS = ("token", "revocation", "introspection")

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
    #: the secret before a rotation, while its grace period lasts (else None)
    previous_secret_sha256: str | None = None
    #: "client_secret" or "private_key_jwt": a client authenticates one way only
    auth_method: str = "client_secret"
    #: the public keys of a private_key_jwt client (a JWKS)
    jwks: dict[str, Any] | None = None
    #: why this client may not authenticate at all (unknown, revoked, agency suspended): it is
    #: still checked like any other, so the failure costs the same and answers the same
    refusal: str | None = None

    @classmethod
    def refused(cls, client_id: str, refusal: str) -> ClientRecord:
        return cls(client_id, DUMMY_DIGEST, (), refusal=refusal)

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
        presented = hash_secret(client_secret)
        current = hmac.compare_digest(presented, self.secret_sha256)
        # both compared every time (a refused or unknown client against a dummy digest), so
        # the answer takes as long whichever matched, and whoever the client is
        previous = hmac.compare_digest(presented, self.previous_secret_sha256 or DUMMY_DIGEST)
        matched = current or (previous and self.previous_secret_sha256 is not None)
        return matched and self.refusal is None and self.auth_method != PRIVATE_KEY_JWT

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        # the same client authentication at the token, revocation and introspection endpoints
        if self.refusal is not None or endpoint not in ENDPOINTS:
            return False
        if self.auth_method == PRIVATE_KEY_JWT:
            return method == PRIVATE_KEY_JWT
        return method in SECRET_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


_current_client: ContextVar[ClientRecord | None] = ContextVar("tc_client", default=None)
#: the (jti, exp) of the client assertion authlib accepted in this request, if any
_accepted_assertion: ContextVar[list[tuple[str, int]] | None] = ContextVar(
    "tc_assertion", default=None
)


def _on_jti(jti: str, exp: int) -> None:
    accepted = _accepted_assertion.get()
    if accepted is not None:
        accepted.append((jti, exp))


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
    #: why client authentication failed (for the log, never for the caller)
    failure: str | None = None
    #: the (jti, exp) of the accepted client assertion, to be recorded against replay
    assertion: tuple[str, int] | None = None


class _ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = list(AUTH_METHODS)


class AuthorizationServer(_AuthlibServer):  # type: ignore[misc]
    def __init__(
        self, generator: TokenGenerator, token_endpoint: str, clock: Callable[[], float]
    ) -> None:
        super().__init__(scopes_supported=list(ALL_SCOPES))
        self.register_grant(_ClientCredentials)
        self.register_token_generator("default", generator)
        self.register_client_auth_method(
            PRIVATE_KEY_JWT, PrivateKeyJWT(token_endpoint, clock, _on_jti)
        )

    def _settle(
        self,
        response: TokenResponse,
        headers: Mapping[str, str],
        form: Mapping[str, str],
        client: ClientRecord | None,
        accepted: list[tuple[str, int]],
    ) -> TokenResponse:
        """Every failed client authentication gives the same answer; the real reason stays
        on the response for the log."""
        if response.body.get("error") != "invalid_client":
            return replace(response, assertion=accepted[-1] if accepted else None)
        reason = failure_reason(
            methods_presented(headers, form),
            client.auth_method if client else None,
            client.refusal if client else "no client id",
            str(response.body.get("error_description", "")),
        )
        others = [(k, v) for k, v in response.headers if k.lower() != "www-authenticate"]
        return TokenResponse(
            401,
            {"error": "invalid_client", "error_description": INVALID_CLIENT_DESCRIPTION},
            [*others, ("WWW-Authenticate", INVALID_CLIENT_CHALLENGE)],
            failure=reason,
        )

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
        accepted: list[tuple[str, int]] = []
        seen = _accepted_assertion.set(accepted)
        try:
            response: TokenResponse = self.create_token_response(
                _Request(method, uri, headers, form)
            )
            return self._settle(response, headers, form, client, accepted)
        finally:
            _accepted_assertion.reset(seen)
            _current_client.reset(token)

    def endpoint_response(
        self,
        name: str,
        method: str,
        uri: str,
        headers: Mapping[str, str],
        form: Mapping[str, str],
        client: ClientRecord | None,
    ) -> TokenResponse:
        """Revocation or introspection (``auth.endpoints``), with the client authenticated
        exactly as at the token endpoint."""
        token = _current_client.set(client)
        accepted: list[tuple[str, int]] = []
        seen = _accepted_assertion.set(accepted)
        try:
            response: TokenResponse = self.create_endpoint_response(
                name, _Request(method, uri, headers, form)
            )
            return self._settle(response, headers, form, client, accepted)
        finally:
            _accepted_assertion.reset(seen)
            _current_client.reset(token)


def presented_client_id(headers: Mapping[str, str], form: Mapping[str, str]) -> str | None:
    """The client id a token request names, from HTTP Basic, the form body or the client
    assertion's (unverified) subject."""
    auth = headers.get("authorization", "")
    if auth[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        if ":" in decoded:
            return unquote(decoded.split(":", 1)[0]) or None
        return None
    return form.get("client_id") or assertion_subject(form) or None
