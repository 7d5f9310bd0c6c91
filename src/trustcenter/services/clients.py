"""OAuth clients: created by admins; turned into principals when their tokens come back."""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from trustcenter.auth.client_auth import PRIVATE_KEY_JWT, jwks_from_uri, storable
from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.auth.scopes import AGENCY_SCOPES, STAFF_SCOPES
from trustcenter.auth.server import ClientRecord, hash_secret
from trustcenter.auth.tokens import AccessClaims
from trustcenter.clock import Clock
from trustcenter.db.models import Agency, OAuthClient
from trustcenter.db.uow import UnitOfWork, UnitOfWorks
from trustcenter.domain.audit import Actor
from trustcenter.domain.enums import VerificationState
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.submission import MAX_NAME
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.view_records import ClientView, client_view

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts


@dataclass(frozen=True, slots=True)
class NewClient:
    client_id: str
    #: None for a private_key_jwt client, which has no secret
    client_secret: str | None
    scopes: tuple[str, ...]
    agency_id: uuid.UUID | None
    #: the client as created
    view: ClientView


async def create_client(
    app: AppParts,
    principal: Principal,
    *,
    scopes: list[str],
    agency_id: uuid.UUID | None,
    name: str | None = None,
    jwks: dict[str, Any] | None = None,
    jwks_uri: str | None = None,
) -> NewClient:
    """Make a client; the secret is returned here once and only its digest is kept.

    With ``jwks`` (its public keys) or ``jwks_uri`` (where it publishes them) the client
    authenticates with private_key_jwt (RFC 7523 assertions) and has no secret at all."""
    authorize(principal, "create_client")
    clock = app.clock
    label = _checked_name(name)
    keys = _public_jwks(jwks, jwks_uri)
    granted = _checked_scopes(scopes, agency_id)
    # a private_key_jwt client gets a random secret digest nobody knows the secret of
    secret = secrets.token_urlsafe(32)
    method = PRIVATE_KEY_JWT if keys or jwks_uri else "client_secret"
    client = OAuthClient(
        client_id=f"tc_{secrets.token_urlsafe(12)}",
        secret_sha256=hash_secret(secret),
        name=label or ("staff client" if agency_id is None else "agency client"),
        agency_id=agency_id,
        scopes=" ".join(granted),
        created_at=clock.now(),
        auth_method=method,
        jwks=keys,
        jwks_uri=jwks_uri,
    )
    async with app.uow() as uow:
        if agency_id is not None and await uow.agencies.get(agency_id) is None:
            raise DomainError.single("agency", "no such agency", ErrorCode.NOT_FOUND)
        uow.add(client)
        await uow.audit.record(
            clock,
            actor_of(principal),
            "client.created",
            ("client", client.client_id),
            data={
                "agency_id": str(agency_id) if agency_id else None,
                "scopes": list(granted),
                "auth_method": method,
                "jwks_uri": jwks_uri,
            },
        )
    shown = secret if method == "client_secret" else None
    return NewClient(client.client_id, shown, granted, agency_id, client_view(client))


def _checked_name(name: str | None) -> str | None:
    """The client's label as given, trimmed (None: the default label)."""
    if name is None:
        return None
    label = name.strip()
    if not label or len(label) > MAX_NAME:
        raise DomainError.single(
            "name", f"is required, at most {MAX_NAME} characters", ErrorCode.INVALID_INPUT
        )
    return label


def _checked_scopes(scopes: list[str], agency_id: uuid.UUID | None) -> tuple[str, ...]:
    """The scopes asked for, each once in the order given: at least one, and only those an
    agency client (with ``agency_id``) or a staff client may hold."""
    if not scopes:
        raise DomainError.single("scopes", "name at least one scope", ErrorCode.INVALID_INPUT)
    allowed = AGENCY_SCOPES if agency_id is not None else STAFF_SCOPES
    wrong = [s for s in scopes if s not in allowed]
    if wrong:
        who = "an agency client" if agency_id is not None else "a staff client"
        raise DomainError.single(
            "scopes",
            f"{' '.join(wrong)} cannot be given to {who}; allowed: {' '.join(allowed)}",
            ErrorCode.INVALID_INPUT,
        )
    return tuple(dict.fromkeys(scopes))


def _public_jwks(jwks: dict[str, Any] | None, jwks_uri: str | None) -> str | None:
    """The client's public keys as stored (JSON), checked: public asymmetric keys only."""
    if jwks is not None and jwks_uri is not None:
        raise DomainError.single(
            "jwks", "give the keys or where to fetch them, not both", ErrorCode.INVALID_INPUT
        )
    if jwks_uri is not None:
        parsed = urlsplit(jwks_uri)
        local = parsed.hostname in ("localhost", "127.0.0.1", "::1")
        if not parsed.hostname or not (
            parsed.scheme == "https" or (parsed.scheme == "http" and local)
        ):
            raise DomainError.single(
                "jwksUri", "an https:// URL is needed", ErrorCode.INVALID_INPUT
            )
        return None
    if jwks is None:
        return None
    keys = jwks.get("keys") if isinstance(jwks, dict) else None
    if not isinstance(keys, list) or not keys:
        raise DomainError.single("jwks", "a JWKS with at least one key", ErrorCode.INVALID_INPUT)
    for key in keys:
        if not isinstance(key, dict) or key.get("kty") not in ("EC", "RSA", "OKP"):
            raise DomainError.single(
                "jwks", "only EC, RSA or OKP public keys", ErrorCode.INVALID_INPUT
            )
        if any(part in key for part in ("d", "p", "q", "dp", "dq", "qi", "k")):
            raise DomainError.single(
                "jwks",
                "a private key was given: register the public key only",
                ErrorCode.INVALID_INPUT,
            )
    try:
        KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise DomainError.single(
            "jwks", "the keys cannot be read", ErrorCode.INVALID_INPUT
        ) from exc
    return json.dumps({"keys": keys})


async def _active_client(
    work: UnitOfWorks, client_id: str, jti: str | None = None
) -> tuple[OAuthClient, Agency | None] | None:
    """The client if it may still act; with ``jti``, also None when that token was revoked
    (asked in the same query)."""
    return (await _standing(work, client_id, jti))[0]


async def _standing(
    work: UnitOfWorks, client_id: str, jti: str | None
) -> tuple[tuple[OAuthClient, Agency | None] | None, int | None]:
    """``_active_client``'s answer and the auth epoch it was read at (one query)."""
    async with work.read() as uow:
        row = await uow.clients.standing(client_id, jti)
    if row is None:
        return None, None
    client, agency, token_revoked, epoch = row
    if client.revoked_at is not None or token_revoked:
        return None, epoch
    if agency is not None and agency.verification == VerificationState.SUSPENDED.value:
        return None, epoch
    return (client, agency), epoch


async def client_for_token_request(
    work: UnitOfWorks, client_id: str | None, now: datetime | None = None
) -> ClientRecord | None:
    """The client a request to an OAuth endpoint names, for authlib to authenticate; with the
    secret before its last rotation while the grace period chosen then lasts (as of ``now``),
    and a private_key_jwt client's public keys.

    A client that may not authenticate (unknown, revoked, agency suspended) comes back as a
    refused record: it is checked like any other, so its failure looks and costs the same."""
    if not client_id:
        return None
    if len(client_id) > 64 or not storable(client_id):  # no client has such an id
        return ClientRecord.refused(client_id, "unknown client")
    async with work.read() as uow:
        row = await uow.clients.with_agency(client_id)
    if row is None:
        return ClientRecord.refused(client_id, "unknown client")
    client, agency = row
    if client.revoked_at is not None:
        return ClientRecord.refused(client_id, "client revoked")
    if agency is not None and agency.verification == VerificationState.SUSPENDED.value:
        return ClientRecord.refused(client_id, "agency suspended")
    until = client.previous_secret_until
    previous = client.previous_secret_sha256 if until and now and now < until else None
    jwks = None
    if client.auth_method == PRIVATE_KEY_JWT:
        if client.jwks:
            jwks = json.loads(client.jwks)
        elif client.jwks_uri:
            jwks = await jwks_from_uri(client.jwks_uri)
    return ClientRecord(
        client.client_id,
        client.secret_sha256,
        tuple(client.scopes.split()),
        previous,
        auth_method=client.auth_method,
        jwks=jwks,
    )


async def principal_for(work: UnitOfWorks, claims: AccessClaims) -> Principal | None:
    """Who a valid token speaks for, as of now: a revoked token or client, or a suspended
    agency, is no one.

    Scopes are those of the token, narrowed to what the client still holds."""
    return (await standing_principal(work, claims))[0]


async def standing_principal(
    work: UnitOfWorks, claims: AccessClaims
) -> tuple[Principal | None, int | None]:
    """:func:`principal_for`'s answer and the auth epoch it holds for (None: no epoch row),
    read in the same query (``services.principals`` remembers the answer until the epoch
    moves)."""
    found, epoch = await _standing(work, claims.client_id, claims.token_id)
    if found is None:
        return None, epoch
    client, agency = found
    held = frozenset(client.scopes.split())
    principal = Principal(
        kind=PrincipalKind.STAFF if agency is None else PrincipalKind.AGENCY,
        client_id=client.client_id,
        client_pk=client.id,
        agency_id=agency.id if agency else None,
        agency_verified=agency is not None
        and agency.verification == VerificationState.VERIFIED.value,
        scopes=claims.scopes & held,
        token_id=claims.token_id,
    )
    return principal, epoch


async def record_token_issued(work: UnitOfWorks, clock: Clock, claims: dict[str, object]) -> None:
    """Every issued token is on record: who, which scopes, its id and expiry (never the token)."""
    client_id = str(claims.get("client_id"))
    async with work() as uow:
        await uow.audit.record(
            clock,
            Actor("client", client_id),
            "token.issued",
            ("client", client_id),
            data={"jti": claims.get("jti"), "scope": claims.get("scope"), "exp": claims.get("exp")},
        )


#: the longest an old secret may stay valid after a rotation
MAX_ROTATION_GRACE_SECONDS = 7 * 24 * 3600


async def list_clients(
    app: AppParts, principal: Principal, *, agency_id: uuid.UUID | None = None
) -> list[OAuthClient]:
    """Every client (or one agency's), oldest first, revoked ones included."""
    authorize(principal, "list_clients")
    async with app.uow.read() as uow:
        return await uow.clients.all(agency_id)


async def _client_for_change(uow: UnitOfWork, client_id: str) -> OAuthClient:
    client = await uow.clients.lock(client_id)
    if client is None:
        raise DomainError.single("clientId", "no such client", ErrorCode.NOT_FOUND)
    if client.revoked_at is not None:
        raise DomainError.single(
            "clientId",
            f"the client was revoked at {client.revoked_at:%Y-%m-%d %H:%M} UTC",
            ErrorCode.CONFLICT,
        )
    return client


async def revoke_client(app: AppParts, principal: Principal, client_id: str) -> OAuthClient:
    """Revoke one client for good: it gets no more tokens, and the tokens it holds stop working
    at once (every call looks its client up)."""
    authorize(principal, "revoke_client")
    actor, clock = actor_of(principal), app.clock
    async with app.uow() as uow:
        client = await _client_for_change(uow, client_id)
        client.revoked_at = clock.now()
        await uow.clients.move_auth_epoch()  # its tokens stop working on the next request
        await uow.audit.record(clock, actor, "client.revoked", ("client", client_id), data={})
    return client


@dataclass(frozen=True, slots=True)
class RotatedSecret:
    client: OAuthClient
    client_secret: str
    #: until when the previous secret still authenticates; None when it stopped at once
    previous_valid_until: datetime | None


async def rotate_secret(
    app: AppParts, principal: Principal, client_id: str, *, grace_seconds: int = 0
) -> RotatedSecret:
    """Give the client a new secret (returned here once); the previous one keeps working for
    ``grace_seconds`` (0: it stops at once), so the client's deployments can be updated."""
    authorize(principal, "rotate_client_secret")
    actor, clock = actor_of(principal), app.clock
    if not 0 <= grace_seconds <= MAX_ROTATION_GRACE_SECONDS:
        raise DomainError.single(
            "graceSeconds",
            f"give between 0 and {MAX_ROTATION_GRACE_SECONDS} seconds (7 days)",
            ErrorCode.INVALID_INPUT,
        )
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    until = now + timedelta(seconds=grace_seconds) if grace_seconds else None
    async with app.uow() as uow:
        client = await _client_for_change(uow, client_id)
        client.previous_secret_sha256 = client.secret_sha256 if until else None
        client.previous_secret_until = until
        client.secret_sha256 = hash_secret(secret)
        client.secret_rotated_at = now
        await uow.audit.record(
            clock,
            actor,
            "client.secret_rotated",
            ("client", client_id),
            data={
                "grace_seconds": grace_seconds,
                "previous_valid_until": until.isoformat() if until else None,
            },
        )
    return RotatedSecret(client, secret, until)
