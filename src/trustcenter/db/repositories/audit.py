"""Appending to the audit chain inside the caller's transaction, and reading it back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar, cast

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from trustcenter.clock import Clock
from trustcenter.db.models import AuditEvent, AuditHead
from trustcenter.db.repositories import Repository, Rider, core_connection
from trustcenter.db.session import is_write_session
from trustcenter.db.tables_audit import EVENT_NUMBERS
from trustcenter.db.write_batch import queue_rows
from trustcenter.domain.audit import (
    GENESIS,
    UNSEALED,
    Actor,
    AuditRecord,
    Break,
    chain_hash,
    seal,
    tail_break,
)
from trustcenter.observability.context import current_request_id

HEAD_ID = 1
#: ``session.info`` key of a number reserved for the transaction's next event: (the
#: session's transaction when it was reserved, the number)
_RESERVED = "tc_audit_reserved"

T = TypeVar("T")

#: a check over the whole log: the sealed records in chain order, the head (position, hash) or
#: None, and the unsealed records in number order
ChainCheck = Callable[[Iterator[AuditRecord], tuple[int, str] | None, Iterator[AuditRecord]], T]

_EVENTS = cast(Table, AuditEvent.__table__)
#: sealing one event: its place, the hash before it and its chain hash, set once
_SEAL = (
    update(_EVENTS)
    .where(_EVENTS.c.seq == bindparam("s"), _EVENTS.c.position.is_(None))
    .values(position=bindparam("p"), prev_hash=bindparam("ph"), hash=bindparam("h"))
)
#: SQLite's next event number: one above the highest (it holds under the write lock only)
_ABOVE_HIGHEST = func.coalesce(func.max(_EVENTS.c.seq), 0) + 1


@dataclass(frozen=True, slots=True)
class SealRound:
    """One sealing transaction: how many events it chained, the head it left (position,
    hash), and an unsealed event whose own hash does not hold (sealing stops before it: it
    would be laundered into the chain)."""

    sealed: int
    head: tuple[int, str]
    stuck: Break | None = None


async def record(
    session: AsyncSession,
    clock: Clock,
    actor: Actor,
    action: str,
    subject: tuple[str, object],
    *,
    request_id: uuid.UUID | None = None,
    data: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """Add one unsealed event inside the caller's transaction: numbered by the database and
    hashed over its own content. No shared row is read or locked (the sealer chains it
    later). Its row is a Core INSERT queued with the transaction's others
    (``db.write_batch``: the event is never changed in the unit, so the ORM's bookkeeping
    would buy nothing); what is returned is the event as recorded, not a row of the
    session."""
    payload = json.loads(json.dumps(dict(data or {}), default=str))
    event = AuditRecord(
        seq=await _next_number(session),
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
        prev_hash=UNSEALED,
        correlation_id=current_request_id(),
    )
    values = {
        "seq": event.seq,
        "occurred_at": event.occurred_at,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "actor_via": event.actor_via,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "request_id": request_id,
        "data": json.dumps(payload, sort_keys=True),
        "prev_hash": UNSEALED,
        "hash": (own_hash := chain_hash(event)),
        "position": None,
        "correlation_id": event.correlation_id,
    }
    queue_rows(await core_connection(session), _EVENTS, [values])
    return replace(event, hash=own_hash)


async def _next_number(session: AsyncSession) -> int:
    """The number reserved in this transaction (:meth:`AuditRepository.number_rider`), once;
    else PostgreSQL: the next value of the events' sequence (no lock; numbers of transactions
    that roll back are skipped). SQLite: one above the highest, under the write lock every
    SQLite writer holds (this transaction's own events are inserted already)."""
    reserved = session.info.pop(_RESERVED, None)
    if reserved is not None and reserved[0] is session.sync_session.get_transaction():
        return int(reserved[1])
    if session.get_bind().dialect.name == "postgresql":
        return int(await session.scalar(select(EVENT_NUMBERS.next_value())) or 0)
    return int(await session.scalar(select(_ABOVE_HIGHEST)) or 1)


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
        position=row.position,
        correlation_id=row.correlation_id,
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
    ) -> AuditRecord:
        """Append one event to the chain; it is committed with the unit's other changes."""
        return await record(
            self._session, clock, actor, action, subject, request_id=request_id, data=data
        )

    def number_rider(self) -> Rider | None:
        """The number of the transaction's next event, to be read along with a statement the
        transaction runs anyway (a submission's read of its agency), so that the event costs
        one statement, its INSERT, instead of two. None outside a write unit: nothing is
        reserved there.

        PostgreSQL: the sequence's next value. SQLite: one above the highest number, which
        holds because a write unit's transaction has the database's write lock from its BEGIN
        (``BEGIN IMMEDIATE``, ``db.session``): no other writer inserts an event before this
        one commits, wherever in the transaction the read runs.

        The next :meth:`record` of the transaction takes the reserved number (once); later
        ones number as usual, and above it: the sequence only grows, and on SQLite the
        reserved event is inserted by then. So the transaction's events stay numbered in the
        order they were recorded, whichever comes first (the documents a submission attaches
        before its own event). A number reserved and not used (the submission refused after
        the read) is a gap on PostgreSQL, like a rolled-back transaction's (the chain links
        positions, not numbers), and nothing on SQLite. A reservation belongs to the
        transaction that read it: after a commit or rollback it is ignored."""
        session = self._session
        if not is_write_session(session):
            return None
        if session.get_bind().dialect.name == "postgresql":
            column = select(EVENT_NUMBERS.next_value()).scalar_subquery()
        else:
            column = select(_ABOVE_HIGHEST).scalar_subquery()
        return Rider(column, self._reserve)

    def _reserve(self, number: int) -> None:
        session = self._session
        session.info[_RESERVED] = (session.sync_session.get_transaction(), int(number))

    async def seal(self, limit: int) -> SealRound:
        """Chain up to ``limit`` committed unsealed events, in number order, after the head.
        The head is locked first (``FOR UPDATE``; SQLite's writers hold its write lock), so a
        second sealer waits, then finds what this one left: never a fork, never an event
        sealed twice. Commit with the unit; nothing is held beyond it."""
        session = self._session
        head = (
            await session.scalars(
                select(AuditHead).where(AuditHead.id == HEAD_ID).with_for_update()
            )
        ).first()
        if head is None:
            head = AuditHead(id=HEAD_ID, seq=0, hash=GENESIS)
            session.add(head)
        rows = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.position.is_(None))
                .order_by(AuditEvent.seq)
                .limit(limit)
            )
        ).all()
        position, prev = head.seq, head.hash
        sealed: list[dict[str, Any]] = []
        stuck = None
        for row in rows:
            event = as_record(row)
            stuck = tail_break(event)
            if stuck is not None:
                break
            position += 1
            linked = seal(event, position, prev)
            sealed.append({"s": row.seq, "p": position, "ph": prev, "h": linked.hash})
            prev = linked.hash
        for row in rows:
            session.expunge(row)  # written by the statement below, not by the unit
        if sealed:
            await session.execute(_SEAL, sealed)
            head.seq, head.hash = position, prev
        return SealRound(len(sealed), (head.seq, head.hash), stuck)

    async def check_chain(self, check: ChainCheck[T]) -> T:
        """Run ``check`` over the sealed events in chain order and the unsealed ones in number
        order, streamed (memory stays flat), with the head, all read in one snapshot."""
        return await self._session.run_sync(_check_stored, check)

    async def events_of(self, request_ids: Sequence[uuid.UUID]) -> list[AuditEvent]:
        """The events about these requests, oldest first."""
        stmt = select(AuditEvent).where(AuditEvent.request_id.in_(request_ids))
        return list((await self._session.scalars(stmt.order_by(AuditEvent.seq))).all())


def _check_stored(session: Session, check: ChainCheck[T]) -> T:
    if session.get_bind().dialect.name == "postgresql":
        # one snapshot for the head and both reads: a seal committed meanwhile is not half seen
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    head_row = session.get(AuditHead, HEAD_ID)
    head = (head_row.seq, head_row.hash) if head_row and head_row.seq else None
    opened: list[Any] = []

    def stream(sealed: bool) -> Iterator[AuditRecord]:
        where = AuditEvent.position.is_not(None) if sealed else AuditEvent.position.is_(None)
        order = AuditEvent.position if sealed else AuditEvent.seq
        stmt = select(AuditEvent).where(where).order_by(order)
        rows = session.scalars(stmt.execution_options(yield_per=1000))
        opened.append(rows)
        for row in rows:
            yield as_record(row)
            session.expunge(row)

    try:
        return check(stream(True), head, stream(False))
    finally:
        for rows in opened:
            rows.close()
