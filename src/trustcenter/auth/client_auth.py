"""Client authentication at the OAuth endpoints: one method per request, one answer for every
failure, and ``private_key_jwt`` (RFC 7523 client assertions).

A client authenticates with exactly one of HTTP Basic, ``client_secret`` in the form, or a
signed client assertion; two at once is ``invalid_request`` (RFC 6749 section 2.3). Every
failed authentication, whatever its cause (unknown, revoked or suspended client, wrong secret,
bad assertion), answers the same ``invalid_client`` with the same text and status, after the
same work: an unknown client's secret is compared against a digest no secret hashes to.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import secrets
import time
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

from authlib.oauth2.rfc6749 import InvalidClientError
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

log = logging.getLogger("trustcenter.auth")

INVALID_CLIENT_DESCRIPTION = "client authentication failed"
INVALID_CLIENT_CHALLENGE = 'Basic realm="trustcenter", error="invalid_client"'
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PRIVATE_KEY_JWT = "private_key_jwt"
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
#: asymmetric algorithms only: ``none`` and HMAC (which a public key would "verify") never pass
ASSERTION_ALGORITHMS = ["ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384"]
#: an assertion may not be valid for longer than this (seconds from now)
MAX_ASSERTION_LIFETIME = 300
#: tolerated clock difference between the client and this server (seconds)
ASSERTION_LEEWAY = 30
#: how long a JWKS fetched from a client's ``jwks_uri`` is kept, and how long a fetch may take
JWKS_CACHE_SECONDS = 300
JWKS_FETCH_TIMEOUT = 3.0
JWKS_MAX_BYTES = 64 * 1024

#: a digest no secret is known to hash to: a refused or unknown client's secret is compared
#: against it, so that every failure costs the same work as a wrong secret
DUMMY_DIGEST = hashlib.sha256(secrets.token_bytes(32)).hexdigest()


def storable(value: str) -> bool:
    """Whether a caller's string may go to the database as it is: no control characters (NUL
    is refused by PostgreSQL) and no lone surrogates."""
    return value.isprintable() and value.encode("utf-8", "replace").decode() == value


def cut(value: str | None, length: int = 64) -> str:
    """A claimed client id as it may be logged and stored: at most ``length`` characters, any
    control character or lone surrogate replaced."""
    text = (value or "")[:length]
    if storable(text):
        return text
    return "".join(c if storable(c) else "\ufffd" for c in text)


def methods_presented(headers: Mapping[str, str], form: Mapping[str, str]) -> list[str]:
    """The client authentication methods a request uses (more than one is refused)."""
    used = []
    if headers.get("authorization", "")[:6].lower() == "basic ":
        used.append("client_secret_basic")
    if "client_secret" in form:
        used.append("client_secret_post")
    if "client_assertion" in form or "client_assertion_type" in form:
        used.append(PRIVATE_KEY_JWT)
    return used


def assertion_subject(form: Mapping[str, str]) -> str | None:
    """The client id a client assertion names (``sub``), unverified: only to look the client
    up, whose keys then verify the assertion."""
    assertion = form.get("client_assertion", "")
    parts = assertion.split(".")
    if len(parts) != 3 or len(assertion) > 8192:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    sub = claims.get("sub") if isinstance(claims, dict) else None
    return sub if isinstance(sub, str) and sub else None


def failure_reason(
    methods: list[str], auth_method: str | None, refusal: str | None, description: str
) -> str:
    """Why an authentication failed, for the log and never for the caller."""
    if refusal:
        return refusal
    if not methods:
        return "no client authentication"
    if methods[0] in SECRET_METHODS:
        if auth_method == PRIVATE_KEY_JWT:
            return "a secret presented by a private_key_jwt client"
        return "wrong secret"
    if auth_method != PRIVATE_KEY_JWT:
        return "an assertion presented by a client_secret client"
    return f"assertion refused: {description}"[:200]


class PrivateKeyJWT(JWTBearerClientAssertion):  # type: ignore[misc]
    """authlib's RFC 7523 client assertion, registered as ``private_key_jwt``; this server's
    rules: the audience is the token endpoint, ``exp`` is required and short, asymmetric
    algorithms only, and ``jti`` is recorded so a replay is refused (``on_jti`` stores it once
    the request has otherwise succeeded, across processes)."""

    CLIENT_AUTH_METHOD = PRIVATE_KEY_JWT

    def __init__(
        self,
        token_endpoint: str,
        clock: Callable[[], float],
        on_jti: Callable[[str, int], None],
    ) -> None:
        super().__init__(validate_jti=True, leeway=ASSERTION_LEEWAY)
        self._token_endpoint = token_endpoint
        self._clock = clock
        self._on_jti = on_jti

    def get_audiences(self) -> list[str]:
        return [self._token_endpoint]

    def resolve_client_public_key(self, client: Any) -> KeySet:
        jwks = getattr(client, "jwks", None)
        keys = jwks.get("keys") if isinstance(jwks, dict) else None
        try:
            return KeySet.import_key_set({"keys": keys if isinstance(keys, list) else []})
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidClientError(description="the client's keys are unusable") from exc

    def process_assertion_claims(self, assertion: str, resolve_key: Any) -> dict[str, Any]:
        try:
            token = jwt.decode(assertion, resolve_key, algorithms=ASSERTION_ALGORITHMS)
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidClientError(description=f"signature: {type(exc).__name__}") from exc
        self.verify_claims(token.claims)
        return token.claims

    def verify_claims(self, claims: dict[str, Any]) -> None:
        now = int(self._clock())
        registry = jwt.JWTClaimsRegistry(
            now=lambda: now,
            leeway=self.leeway,
            iss={"essential": True},
            sub={"essential": True},
            aud={"essential": True, "values": self.get_audiences()},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidClientError(description=f"claims: {exc.description or exc.error}") from exc
        if claims["sub"] != claims["iss"]:
            raise InvalidClientError(description="iss and sub differ")
        exp, jti = claims["exp"], claims["jti"]
        if not isinstance(exp, int) or exp > now + MAX_ASSERTION_LIFETIME + self.leeway:
            raise InvalidClientError(description="exp too far in the future")
        if not isinstance(jti, str) or not 0 < len(jti) <= 255 or not storable(jti):
            raise InvalidClientError(description="jti missing, too long or not printable")
        self._on_jti(jti, exp)


_jwks_cache: dict[str, tuple[float, dict[str, Any]]] = {}


def _fetch(uri: str) -> dict[str, Any]:
    request = urllib.request.Request(uri, headers={"Accept": "application/json"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=JWKS_FETCH_TIMEOUT) as response:  # noqa: S310
        body = response.read(JWKS_MAX_BYTES + 1)
    if len(body) > JWKS_MAX_BYTES:
        raise ValueError("JWKS too large")
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise ValueError("not a JWKS")
    return data


async def jwks_from_uri(uri: str) -> dict[str, Any] | None:
    """A client's public keys from its ``jwks_uri``: fetched with a short timeout, kept for a
    few minutes; None when they cannot be had (the authentication then fails)."""
    cached = _jwks_cache.get(uri)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    if not uri.startswith(("https://", "http://")):
        return None
    try:
        data = await asyncio.wait_for(asyncio.to_thread(_fetch, uri), JWKS_FETCH_TIMEOUT + 1)
    except (OSError, ValueError, TimeoutError) as exc:
        log.warning("jwks_uri %s could not be fetched: %s", uri[:200], type(exc).__name__)
        return None
    _jwks_cache[uri] = (time.monotonic() + JWKS_CACHE_SECONDS, data)
    return data
