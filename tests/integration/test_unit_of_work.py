"""The unit of work every service writes through (``trustcenter.db.uow``), on SQLite and
PostgreSQL: what a block does is stored when it ends and forgotten when it raises, an integrity
error is a ``Conflict`` that leaves nothing behind, and an audit event belongs to the unit that
wrote it (a rolled-back change leaves no event in the chain)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Agency, AuditEvent, AuditHead
from trustcenter.db.uow import Conflict
from trustcenter.domain.audit import Actor
from trustcenter.services.audit import seal

ACTOR = Actor("staff", "uow-test")
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _agency(name: str, agency_id: uuid.UUID | None = None) -> Agency:
    return Agency(
        id=agency_id or uuid.uuid4(), name=name, kind="police", country="DE", created_at=START
    )


async def _names(container: Container) -> list[str]:
    async with container.db.reader() as s:
        return sorted((await s.scalars(select(Agency.name))).all())


async def _events(container: Container) -> tuple[int, int]:
    """How many events are stored, and the chain's head once the sealer has been round."""
    await seal(container)
    async with container.db.reader() as s:
        count = await s.scalar(select(func.count()).select_from(AuditEvent))
        head = await s.scalar(select(AuditHead.seq))
    return int(count or 0), int(head or 0)


async def test_a_write_unit_stores_what_its_block_did_when_the_block_ends(
    container: Container,
) -> None:
    count, seq = await _events(container)
    async with container.uow() as uow:
        uow.add(_agency("Landeskriminalamt"))
        await uow.audit.record(FixedClock(START), ACTOR, "agency.created", ("agency", "x"))
        assert await _names(container) == []  # not before the block ends
    assert await _names(container) == ["Landeskriminalamt"]
    assert await _events(container) == (count + 1, seq + 1)


async def test_a_block_that_raises_leaves_no_row_and_no_audit_event(
    container: Container,
) -> None:
    before = await _events(container)
    with pytest.raises(ValueError, match="changed my mind"):
        async with container.uow() as uow:
            uow.add(_agency("Never stored"))
            await uow.audit.record(FixedClock(START), ACTOR, "agency.created", ("agency", "y"))
            await uow.flush()
            raise ValueError("changed my mind")
    assert await _names(container) == []
    assert await _events(container) == before


async def test_an_integrity_error_is_a_conflict_and_nothing_of_the_unit_is_kept(
    container: Container,
) -> None:
    taken = uuid.uuid4()
    async with container.uow() as uow:
        uow.add(_agency("First", taken))
    with pytest.raises(Conflict):
        async with container.uow() as uow:
            uow.add(_agency("Beside the second"))
            uow.add(_agency("Second, same id", taken))
    assert await _names(container) == ["First"]
    # the same refusal when the caller flushes inside the block
    with pytest.raises(Conflict):
        async with container.uow() as uow:
            uow.add(_agency("Third, same id", taken))
            await uow.flush()
    assert await _names(container) == ["First"]


async def test_commit_keeps_what_is_done_and_rollback_forgets_only_what_came_after(
    container: Container,
) -> None:
    async with container.uow() as uow:
        uow.add(_agency("Committed"))
        await uow.commit()
        uow.add(_agency("Rolled back"))
        await uow.rollback()
        uow.add(_agency("After the rollback"))
    assert await _names(container) == ["After the rollback", "Committed"]


async def test_a_read_unit_commits_nothing(container: Container) -> None:
    """Its statements commit themselves (no transaction to roll back), so a flush of what it
    was given is refused rather than written."""
    async with container.uow.read() as uow:
        uow.add(_agency("Written in a read unit"))
        with pytest.raises(RuntimeError, match="read unit writes nothing"):
            await uow.flush()
    assert await _names(container) == []
