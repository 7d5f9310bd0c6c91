"""Access tokens: RFC 9068 JWTs signed with the store's current key, checked strictly.

Issuing plugs into authlib's authorization server as its token generator. Checking is
stricter than authlib's own validator: the ``typ`` header must say ``at+jwt``, only the
asymmetric algorithm we sign with is accepted (so ``none`` and HMAC tricks fail), unknown
``crit`` headers are refused, and a token may not live longer than an hour.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwt import JWTClaimsRegistry

from trustcenter.auth.keys import ALG, KeyStore

MAX_TOKEN_LIFETIME = 3600
ACCEPTED_TYP = {"at+jwt", "application/at+jwt"}


class InvalidToken(Exception):
    """The token cannot be used; ``reason`` is safe to log (it never contains the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenGenerator:
    """Makes the token response body for authlib's authorization server.

    The claims follow RFC 9068 section 2.2; ``sub`` is the client itself, since the client
    credentials grant has no resource owner.
    """

    def __init__(
        self, keys: KeyStore, issuer: str, audience: str, lifetime: int, clock: Callable[[], float]
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._lifetime = min(lifetime, MAX_TOKEN_LIFETIME)
        self._clock = clock

    def __call__(
        self,
        grant_type: str,
        client: Any,
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = False,
    ) -> dict[str, Any]:
        granted = client.get_allowed_scope(scope)
        now = int(self._clock())
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": client.get_client_id(),
            "client_id": client.get_client_id(),
            "iat": now,
            "exp": now + self._lifetime,
            "jti": secrets.token_urlsafe(16),
            "scope": granted,
        }
        header = {"alg": ALG, "typ": "at+jwt", "kid": self._keys.signing_key.kid}
        token = jwt.encode(header, claims, self._keys.signing_key, algorithms=[ALG])
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self._lifetime,
            "scope": granted,
        }


@dataclass(frozen=True, slots=True)
class AccessClaims:
    subject: str
    client_id: str
    scopes: frozenset[str]
    token_id: str
    expires_at: int
    issued_at: int = 0


class TokenValidator:
    """Checks a token's form, signature and claims. Whether it was revoked (RFC 7009) or its
    client may still call is asked of the database where the client is looked up anyway
    (``services.clients.principal_for``), in the same query."""

    def __init__(
        self, keys: KeyStore, issuer: str, audience: str, clock: Callable[[], float]
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._clock = clock

    async def validate(self, token: str) -> AccessClaims:
        try:
            header = jws.extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeEncodeError) as exc:
            raise InvalidToken("malformed token") from exc
        if str(header.get("typ", "")).lower() not in ACCEPTED_TYP:
            raise InvalidToken("typ header is not at+jwt")
        if header.get("alg") != ALG:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        if "crit" in header:
            raise InvalidToken("unknown critical header")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("no key id")
        if not self._keys.knows(kid):
            await self._keys.refresh()
            if not self._keys.knows(kid):
                raise InvalidToken("unknown key id")
        try:
            decoded = jwt.decode(token, self._keys.verification_keys(), algorithms=[ALG])
        except (JoseError, ValueError) as exc:
            raise InvalidToken("bad signature or encoding") from exc
        claims = decoded.claims
        registry = JWTClaimsRegistry(
            now=lambda: int(self._clock()),
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": self._audience},
            exp={"essential": True},
            iat={"essential": True},
            sub={"essential": True},
            client_id={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidToken(f"claims rejected: {exc.error}") from exc
        if int(claims["exp"]) - int(claims["iat"]) > MAX_TOKEN_LIFETIME:
            raise InvalidToken("token lives longer than allowed")
        if int(claims["iat"]) > self._clock() + 60:
            raise InvalidToken("token issued in the future")
        scope = claims.get("scope") or ""
        return AccessClaims(
            subject=str(claims["sub"]),
            client_id=str(claims["client_id"]),
            scopes=frozenset(str(scope).split()),
            token_id=str(claims["jti"]),
            expires_at=int(claims["exp"]),
            issued_at=int(claims["iat"]),
        )


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token this process has just signed itself (no checks: never use this on
    a token that came from outside)."""
    payload = token.split(".")[1]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    claims: dict[str, Any] = json.loads(decoded)
    return claims
