"""Reading and verifying the audit chain (appending lives in db.repositories.audit)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import AUDIT
from trustcenter.db.models import AuditEvent, AuditHead
from trustcenter.db.repositories.audit import HEAD_ID, as_record
from trustcenter.db.repositories.audit import record as record
from trustcenter.db.session import Database
from trustcenter.domain.audit import SYSTEM as SYSTEM
from trustcenter.domain.audit import Actor, Break, ChainVerifier
from trustcenter.services.access import require_scope


def actor_of(principal: Principal) -> Actor:
    return Actor(principal.kind.value, principal.client_id or "anonymous")


@dataclass(frozen=True, slots=True)
class Verification:
    checked: int
    broken: Break | None


async def verify(db: Database) -> Verification:
    """Recompute the whole chain, streaming it in order."""
    verifier = ChainVerifier()
    async with db.reader() as session:
        head_row = await session.get(AuditHead, HEAD_ID)
        head = (head_row.seq, head_row.hash) if head_row and head_row.seq else None
        result = await session.stream_scalars(
            select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=1000)
        )
        async for row in result:
            broken = verifier.feed(as_record(row))
            if broken is not None:
                return Verification(verifier.checked, broken)
    return Verification(verifier.checked, verifier.finish(head))


async def trails(
    db: Database, principal: Principal, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AuditEvent]]:
    """Each request's events, oldest first (staff with the audit scope)."""
    require_scope(principal, AUDIT)
    out: dict[uuid.UUID, list[AuditEvent]] = {i: [] for i in request_ids}
    async with db.reader() as session:
        stmt = select(AuditEvent).where(AuditEvent.request_id.in_(request_ids))
        for event in (await session.scalars(stmt.order_by(AuditEvent.seq))).all():
            if event.request_id is not None:
                out[event.request_id].append(event)
    return out
