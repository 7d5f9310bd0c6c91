"""Reading the audit log directly, for the audit tests."""

from __future__ import annotations

from sqlalchemy import func, select

from trustcenter.bootstrap import Container
from trustcenter.db.models import AuditEvent, AuditHead
from trustcenter.services.audit import seal


async def event_count(container: Container) -> int:
    async with container.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def head(container: Container) -> tuple[int, str]:
    """The chain's head (newest sealed position, its hash) once what is committed is sealed."""
    assert (await seal(container)).stuck is None
    return await stored_head(container)


async def stored_head(container: Container) -> tuple[int, str]:
    """The head as it stands, nothing sealed first."""
    async with container.db.reader() as session:
        row = await session.get(AuditHead, 1)
        assert row is not None
        return row.seq, row.hash


async def all_events(container: Container) -> list[AuditEvent]:
    """Every event, in number order, as the sealer leaves them: what is committed is sealed
    first (serve seals every few seconds; the tests' app runs no sealer)."""
    assert (await seal(container)).stuck is None
    async with container.db.reader() as session:
        return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all())
