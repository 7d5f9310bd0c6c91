"""Access tokens presented back to the authorization server: looked up for introspection
(RFC 7662) and revoked (RFC 7009). A revoked token's ``jti`` is kept until the token would have
expired anyway; every request's token is checked against it (``services.clients``)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from trustcenter.auth.endpoints import PresentedToken
from trustcenter.auth.tokens import InvalidToken, TokenValidator
from trustcenter.clock import Clock
from trustcenter.db.models import RevokedToken
from trustcenter.db.session import Database
from trustcenter.domain.audit import Actor
from trustcenter.services.audit import record
from trustcenter.services.clients import _active_client


async def presented_token(
    db: Database, validator: TokenValidator, token: str, *, issuer: str, audience: str
) -> PresentedToken | None:
    """The token if this server signed it and it has not expired (else None: unknown to us);
    marked inactive when it was revoked or its client may no longer act."""
    if not token or len(token) > 8192:
        return None
    try:
        claims = await validator.validate(token)
    except InvalidToken:
        return None
    standing = await _active_client(db, claims.client_id, claims.token_id)
    return PresentedToken(
        jti=claims.token_id,
        client_id=claims.client_id,
        subject=claims.subject,
        scope=" ".join(sorted(claims.scopes)),
        issued_at=claims.issued_at,
        expires_at=claims.expires_at,
        issuer=issuer,
        audience=audience,
        inactive=standing is None,
    )


async def revoke(db: Database, clock: Clock, token: PresentedToken) -> None:
    """Revoke one token of the calling client (authlib has checked it is theirs). Revoking it
    again changes nothing and records nothing."""
    now = clock.now()
    try:
        await _store(db, clock, token, now)
    except IntegrityError:
        return  # revoked at the same moment by a second request: it is revoked either way


async def _store(db: Database, clock: Clock, token: PresentedToken, now: datetime) -> None:
    async with db.transaction() as session:
        # tokens that have expired anyway need no entry any more
        await session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))
        if await session.get(RevokedToken, token.jti) is not None:
            return
        session.add(
            RevokedToken(
                jti=token.jti,
                client_id=token.client_id,
                expires_at=datetime.fromtimestamp(token.expires_at, UTC),
                revoked_at=now,
            )
        )
        await record(
            session,
            clock,
            Actor("client", token.client_id),
            "token.revoked",
            ("client", token.client_id),
            data={"jti": token.jti, "exp": token.expires_at},
        )
