"""Migration 0014 on a log in use, on SQLite and PostgreSQL: events chained by the earlier
design become sealed at their own numbers and verify as before; going back seals what follows
the head number by number first, and refuses a chain whose order is not its numbers'."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import inspect, select, text

from tests.helpers import OPERATOR
from trustcenter.bootstrap import Container
from trustcenter.db import migrate
from trustcenter.db.models import AuditEvent
from trustcenter.domain.audit import Actor
from trustcenter.services.audit import seal, verify

ACTOR = Actor("system", "migration-test")


async def _add(container: Container, n: int) -> None:
    async with container.uow() as uow:
        for i in range(n):
            await uow.audit.record(container.clock, ACTOR, "test.event", ("test", i))


async def _placed(container: Container) -> list[tuple[int, int | None]]:
    async with container.db.reader() as s:
        rows = await s.execute(select(AuditEvent.seq, AuditEvent.position).order_by("seq"))
        return [(int(a), b) for a, b in rows.all()]


@asynccontextmanager
async def at_0013(container: Container) -> AsyncIterator[None]:
    """The database at revision 0013 inside the block, back at the head after it (always)."""
    db, schema = container.db, container.settings.database_schema
    await db.engine.dispose()
    try:
        await migrate.downgrade(db.engine, db.url, "0013", schema)
        await db.engine.dispose()
        yield
    finally:
        await db.engine.dispose()
        await migrate.upgrade(db.engine, db.url, schema)
        await db.engine.dispose()  # no connection keeps statements prepared on the old table


async def test_down_and_up_again_keeps_one_valid_chain(container: Container) -> None:
    await _add(container, 4)
    await seal(container)
    await _add(container, 3)  # unsealed: the downgrade seals them at their numbers
    async with at_0013(container):
        async with container.db.engine.connect() as conn:
            columns = await conn.run_sync(
                lambda c: [col["name"] for col in inspect(c).get_columns("audit_events")]
            )
            head = (await conn.execute(text("SELECT seq FROM audit_head"))).scalar()
        assert "position" not in columns and head == 8  # the key's event and seven
    placed = await _placed(container)
    assert placed == [(n, n) for n in range(1, 9)]  # every event sealed at its own number
    found = await verify(container, OPERATOR)
    assert found.broken is None and found.checked == 8 and found.unsealed == 0
    await _add(container, 2)  # and the log goes on: numbered after the newest
    assert (await seal(container)).sealed == 2
    assert [s for s, _ in await _placed(container)][-2:] == [9, 10]
    assert (await verify(container, OPERATOR)).broken is None


async def test_a_chain_sealed_out_of_number_order_cannot_go_back(container: Container) -> None:
    if container.db.dialect != "postgresql":
        pytest.skip("SQLite's writers take turns: none commits behind another")
    await seal(container)
    late = container.uow()
    uow = await late.__aenter__()
    try:
        await uow.audit.record(container.clock, ACTOR, "test.late", ("test", 0))
        await uow.flush()
        await _add(container, 1)
        await seal(container)
    finally:
        await late.__aexit__(None, None, None)
    await seal(container)  # the late one at position 3, number 2
    db, schema = container.db, container.settings.database_schema
    await db.engine.dispose()
    with pytest.raises(RuntimeError, match="cannot be downgraded"):
        await migrate.downgrade(db.engine, db.url, "0013", schema)
    await db.engine.dispose()
    assert await migrate.current_revision(db.engine) == migrate.head_revision()
    assert (await verify(container, OPERATOR)).broken is None


async def test_going_below_0017_is_refused_once_an_event_names_its_http_request(
    container: Container,
) -> None:
    from trustcenter.observability.context import begin, end

    _, token = begin("req-0017")
    try:
        await _add(container, 1)
    finally:
        end(token)
    db, schema = container.db, container.settings.database_schema
    await db.engine.dispose()
    try:
        with pytest.raises(RuntimeError, match="cannot go below revision 0017"):
            await migrate.downgrade(db.engine, db.url, "0016", schema)
        assert await migrate.current_revision(db.engine) == migrate.head_revision()
    finally:
        await db.engine.dispose()
    await seal(container)
    assert (await verify(container, OPERATOR)).broken is None  # nothing was dropped
