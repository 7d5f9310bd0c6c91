"""Appending to the audit chain inside the caller's transaction, and reading it back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from trustcenter.clock import Clock
from trustcenter.db.models import AuditEvent, AuditHead
from trustcenter.db.repositories import Repository
from trustcenter.domain.audit import GENESIS, Actor, AuditRecord, chain_hash

HEAD_ID = 1

T = TypeVar("T")

#: a check over the whole chain: the records in order, and the head (seq, hash) or None
ChainCheck = Callable[[Iterator[AuditRecord], tuple[int, str] | None], T]


async def record(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    action: str,
    subject: tuple[str, object],
    *,
    request_id: uuid.UUID | None = None,
    data: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction."""
    head = (
        await session.scalars(select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update())
    ).first()
    if head is None:
        head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS)
        session.add(head)
    payload = json.loads(json.dumps(dict(data or {}), default=str))
    event = AuditRecord(
        seq=head.seq + 1,
        occurred_at=clock.now(),
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_name=actor.name,
        actor_via=actor.via,
        action=action,
        subject_type=subject[0],
        subject_id=str(subject[1]),
        request_id=str(request_id) if request_id else None,
        data=payload,
        prev_hash=head.hash,
    )
    digest = chain_hash(event)
    row = AuditEvent(
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_kind=event.actor_kind,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        actor_via=event.actor_via,
        action=event.action,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        request_id=request_id,
        data=json.dumps(payload, sort_keys=True),
        prev_hash=event.prev_hash,
        hash=digest,
    )
    session.add(row)
    head.seq, head.hash = event.seq, digest
    await session.flush()
    return row


def as_record(row: AuditEvent) -> AuditRecord:
    return AuditRecord(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor_kind=row.actor_kind,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        actor_via=row.actor_via,
        action=row.action,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        request_id=str(row.request_id) if row.request_id else None,
        data=json.loads(row.data),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class AuditRepository(Repository):
    """The audit chain, appended to inside the unit of work's transaction."""

    async def record(
        self,
        clock: Clock,
        actor: Actor,
        action: str,
        subject: tuple[str, object],
        *,
        request_id: uuid.UUID | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """Append one event to the chain; it is committed with the unit's other changes."""
        return await record(
            self._session, clock, actor, action, subject, request_id=request_id, data=data
        )

    async def check_chain(self, check: ChainCheck[T]) -> T:
        """Run ``check`` over every event in order, streamed (memory stays flat), and the head."""
        return await self._session.run_sync(_check_stored, check)

    async def events_of(self, request_ids: Sequence[uuid.UUID]) -> list[AuditEvent]:
        """The events about these requests, oldest first."""
        stmt = select(AuditEvent).where(AuditEvent.request_id.in_(request_ids))
        return list((await self._session.scalars(stmt.order_by(AuditEvent.seq))).all())


def _check_stored(session: Session, check: ChainCheck[T]) -> T:
    head_row = session.get(AuditHead, HEAD_ID)
    head = (head_row.seq, head_row.hash) if head_row and head_row.seq else None
    rows = session.scalars(
        select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
    )
    try:
        return check((as_record(row) for row in rows), head)
    finally:
        rows.close()
