"""Reading and writing OAuth clients, issued tokens and client-authentication records."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from trustcenter.db.models import (
    Agency,
    AuthEpoch,
    ClientAuthFailures,
    OAuthClient,
    RevokedToken,
    UsedClientAssertion,
)
from trustcenter.db.repositories import Repository


def _unaudited_before(minute: datetime) -> ColumnElement[bool]:
    return (ClientAuthFailures.audited_at.is_(None)) & (ClientAuthFailures.window_start < minute)


_EPOCH = select(AuthEpoch.epoch).where(AuthEpoch.id == 1)


class ClientRepository(Repository):
    """OAuth clients, issued tokens and client-authentication records."""

    async def with_agency(self, client_id: str) -> tuple[OAuthClient, Agency | None] | None:
        """The client and its agency (None for a staff client), in one query."""
        row = (
            await self._session.execute(
                select(OAuthClient, Agency)
                .outerjoin(Agency, Agency.id == OAuthClient.agency_id)
                .where(OAuthClient.client_id == client_id)
            )
        ).first()
        return None if row is None else (row[0], row[1])

    async def standing(
        self, client_id: str, jti: str | None
    ) -> tuple[OAuthClient, Agency | None, bool, int | None] | None:
        """The client, its agency, whether token ``jti`` was revoked and the auth epoch as of
        this read, in one query."""
        revoked = (
            exists().where(RevokedToken.jti == jti) if jti is not None else literal(False)
        ).label("revoked")
        row = (
            await self._session.execute(
                select(OAuthClient, Agency, revoked, _EPOCH.scalar_subquery())
                .outerjoin(Agency, Agency.id == OAuthClient.agency_id)
                .where(OAuthClient.client_id == client_id)
            )
        ).first()
        return None if row is None else (row[0], row[1], bool(row[2]), row[3])

    async def auth_epoch(self) -> int | None:
        """The auth epoch (``AuthEpoch``); None when its row is missing."""
        return await self.epoch_on(await self._session.connection())

    @staticmethod
    async def epoch_on(connection: AsyncConnection) -> int | None:
        """The auth epoch read on ``connection`` with Core: no session, no ORM."""
        found: int | None = await connection.scalar(_EPOCH)
        return found

    async def move_auth_epoch(self) -> None:
        """Move the auth epoch, in this unit's transaction: what a token may do changes with it."""
        await self._session.execute(
            update(AuthEpoch).where(AuthEpoch.id == 1).values(epoch=AuthEpoch.epoch + 1)
        )

    async def all(self, agency_id: uuid.UUID | None = None) -> list[OAuthClient]:
        """Every client (or one agency's), oldest first."""
        query = select(OAuthClient).order_by(OAuthClient.created_at, OAuthClient.client_id)
        if agency_id is not None:
            query = query.where(OAuthClient.agency_id == agency_id)
        return list(await self._session.scalars(query))

    async def lock(self, client_id: str) -> OAuthClient | None:
        """The client, locked for update."""
        return (
            await self._session.scalars(
                select(OAuthClient).where(OAuthClient.client_id == client_id).with_for_update()
            )
        ).first()

    async def revoked_token(self, jti: str) -> RevokedToken | None:
        """The revocation of token ``jti``, if any."""
        return await self._session.get(RevokedToken, jti)

    async def forget_expired_revocations(self, now: datetime) -> None:
        """Delete the revocations of tokens that have expired by ``now``."""
        await self._session.execute(delete(RevokedToken).where(RevokedToken.expires_at < now))

    async def forget_expired_assertions(self, now: datetime) -> None:
        """Delete the used client assertions that have expired by ``now``."""
        await self._session.execute(
            delete(UsedClientAssertion).where(UsedClientAssertion.expires_at < now)
        )

    async def count_auth_failure(self, client_id: str, minute: datetime) -> None:
        """Add one failure to the count of ``client_id`` in ``minute`` (an upsert)."""
        dialect = self._session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        await self._session.execute(
            insert(ClientAuthFailures)
            .values(client_id=client_id, window_start=minute, failures=1)
            .on_conflict_do_update(
                index_elements=[ClientAuthFailures.client_id, ClientAuthFailures.window_start],
                set_={"failures": ClientAuthFailures.failures + 1},
            )
        )

    async def any_unaudited_failures(self, before: datetime) -> bool:
        """Whether a minute before ``before`` has failures not yet audited."""
        row = (
            await self._session.execute(
                select(ClientAuthFailures.client_id).where(_unaudited_before(before)).limit(1)
            )
        ).first()
        return row is not None

    async def unaudited_failures(
        self, before: datetime, limit: int
    ) -> Sequence[ClientAuthFailures]:
        """The first ``limit`` unaudited failure counts of minutes before ``before``."""
        return (
            await self._session.scalars(
                select(ClientAuthFailures)
                .where(_unaudited_before(before))
                .order_by(ClientAuthFailures.window_start, ClientAuthFailures.client_id)
                .limit(limit)
            )
        ).all()

    async def claim_failures(self, failures: ClientAuthFailures, now: datetime) -> bool:
        """Mark one minute's failures audited at ``now``; False when already marked."""
        claimed = await self._session.execute(
            update(ClientAuthFailures)
            .where(
                ClientAuthFailures.client_id == failures.client_id,
                ClientAuthFailures.window_start == failures.window_start,
                ClientAuthFailures.audited_at.is_(None),
            )
            .values(audited_at=now)
            .execution_options(synchronize_session=False)
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]
