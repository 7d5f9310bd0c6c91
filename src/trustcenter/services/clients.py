"""OAuth clients: created by admins; turned into principals when their tokens come back."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass

from sqlalchemy import select

from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.auth.scopes import AGENCY_SCOPES, STAFF_SCOPES
from trustcenter.auth.server import ClientRecord, hash_secret
from trustcenter.auth.tokens import AccessClaims
from trustcenter.clock import Clock
from trustcenter.db.models import Agency, OAuthClient
from trustcenter.db.session import Database
from trustcenter.domain.audit import Actor
from trustcenter.domain.enums import VerificationState
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.services.audit import record


@dataclass(frozen=True, slots=True)
class NewClient:
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]
    agency_id: uuid.UUID | None


async def create_client(
    db: Database,
    clock: Clock,
    *,
    scopes: list[str],
    agency_id: uuid.UUID | None,
    name: str | None = None,
    actor: Actor | None = None,
) -> NewClient:
    """Make a client; the secret is returned here once and only its digest is kept."""
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
    client_id = f"tc_{secrets.token_urlsafe(12)}"
    secret = secrets.token_urlsafe(32)
    async with db.transaction() as session:
        if agency_id is not None and await session.get(Agency, agency_id) is None:
            raise DomainError.single("agency", "no such agency", ErrorCode.NOT_FOUND)
        session.add(
            OAuthClient(
                client_id=client_id,
                secret_sha256=hash_secret(secret),
                name=name or ("staff client" if agency_id is None else "agency client"),
                agency_id=agency_id,
                scopes=" ".join(dict.fromkeys(scopes)),
                created_at=clock.now(),
            )
        )
        await record(
            session,
            clock,
            actor or Actor.operator(),
            "client.created",
            ("client", client_id),
            data={
                "agency_id": str(agency_id) if agency_id else None,
                "scopes": list(dict.fromkeys(scopes)),
            },
        )
    return NewClient(client_id, secret, tuple(dict.fromkeys(scopes)), agency_id)


async def _active_client(db: Database, client_id: str) -> tuple[OAuthClient, Agency | None] | None:
    async with db.reader() as session:
        row = (
            await session.execute(
                select(OAuthClient, Agency)
                .outerjoin(Agency, Agency.id == OAuthClient.agency_id)
                .where(OAuthClient.client_id == client_id)
            )
        ).first()
    if row is None:
        return None
    client, agency = row
    if client.revoked_at is not None:
        return None
    if agency is not None and agency.verification == VerificationState.SUSPENDED.value:
        return None
    return client, agency


async def client_for_token_request(db: Database, client_id: str | None) -> ClientRecord | None:
    """The client a token request names, if it may be issued tokens at all."""
    if not client_id:
        return None
    found = await _active_client(db, client_id)
    if found is None:
        return None
    client, _ = found
    return ClientRecord(client.client_id, client.secret_sha256, tuple(client.scopes.split()))


async def principal_for(db: Database, claims: AccessClaims) -> Principal | None:
    """Who a valid token speaks for, as of now: a revoked client or suspended agency is no one.

    Scopes are those of the token, narrowed to what the client still holds."""
    found = await _active_client(db, claims.client_id)
    if found is None:
        return None
    client, agency = found
    held = frozenset(client.scopes.split())
    return Principal(
        kind=PrincipalKind.STAFF if agency is None else PrincipalKind.AGENCY,
        client_id=client.client_id,
        client_pk=client.id,
        agency_id=agency.id if agency else None,
        agency_verified=agency is not None
        and agency.verification == VerificationState.VERIFIED.value,
        scopes=claims.scopes & held,
        token_id=claims.token_id,
    )


async def record_token_issued(db: Database, clock: Clock, claims: dict[str, object]) -> None:
    """Every issued token is on record: who, which scopes, its id and expiry (never the token)."""
    client_id = str(claims.get("client_id"))
    async with db.transaction() as session:
        await record(
            session,
            clock,
            Actor("client", client_id),
            "token.issued",
            ("client", client_id),
            data={"jti": claims.get("jti"), "scope": claims.get("scope"), "exp": claims.get("exp")},
        )
