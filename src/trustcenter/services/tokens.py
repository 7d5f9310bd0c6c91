"""Access tokens presented back to the authorization server: looked up for introspection
(RFC 7662) and revoked (RFC 7009). A revoked token's ``jti`` is kept until the token would have
expired anyway; every request's token is checked against it (``services.clients``)."""

from __future__ import annotations

from datetime import UTC, datetime

from trustcenter.auth.endpoints import PresentedToken
from trustcenter.auth.tokens import InvalidToken, TokenValidator
from trustcenter.clock import Clock
from trustcenter.db.models import RevokedToken
from trustcenter.db.uow import Conflict, UnitOfWorks
from trustcenter.domain.audit import Actor
from trustcenter.services.clients import _active_client


async def presented_token(
    work: UnitOfWorks, validator: TokenValidator, token: str, *, issuer: str, audience: str
) -> PresentedToken | None:
    """The token if this server signed it and it has not expired (else None: unknown to us);
    marked inactive when it was revoked or its client may no longer act."""
    if not token or len(token) > 8192:
        return None
    try:
        claims = await validator.validate(token)
    except InvalidToken:
        return None
    standing = await _active_client(work, claims.client_id, claims.token_id)
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


async def revoke(work: UnitOfWorks, clock: Clock, token: PresentedToken) -> None:
    """Revoke one token of the calling client (authlib has checked it is theirs). Revoking it
    again changes nothing and records nothing."""
    now = clock.now()
    try:
        await _store(work, clock, token, now)
    except Conflict:
        return  # revoked at the same moment by a second request: it is revoked either way


async def _store(work: UnitOfWorks, clock: Clock, token: PresentedToken, now: datetime) -> None:
    async with work() as uow:
        # tokens that have expired anyway need no entry any more
        await uow.clients.forget_expired_revocations(now)
        if await uow.clients.revoked_token(token.jti) is not None:
            return
        uow.add(
            RevokedToken(
                jti=token.jti,
                client_id=token.client_id,
                expires_at=datetime.fromtimestamp(token.expires_at, UTC),
                revoked_at=now,
            )
        )
        await uow.clients.move_auth_epoch()  # refused from the next request on
        await uow.audit.record(
            clock,
            Actor("client", token.client_id),
            "token.revoked",
            ("client", token.client_id),
            data={"jti": token.jti, "exp": token.expires_at},
        )
