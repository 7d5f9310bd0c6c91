"""PostgreSQL's pooled connections are pinged only after sitting idle, and a dead one is
replaced without the caller noticing (SQLite keeps no such connections: nothing to ping)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from trustcenter.bootstrap import Container
from trustcenter.db import session


def pings(container: Container, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    dialect = container.db.engine.sync_engine.dialect
    seen: list[object] = []
    original = dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        seen.append(dbapi_connection)
        return original(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counting)
    return seen


async def one(container: Container) -> int:
    async with container.db.reader() as s:
        return int(await s.scalar(text("SELECT 1")) or 0)


async def test_a_connection_used_moments_ago_is_not_pinged(container, monkeypatch):
    if container.db.dialect != "postgresql":
        pytest.skip("PostgreSQL's pool only")
    await one(container)
    seen = pings(container, monkeypatch)
    for _ in range(10):
        assert await one(container) == 1
    assert seen == []


async def test_an_idle_connection_that_died_is_replaced_unnoticed(container, monkeypatch):
    if container.db.dialect != "postgresql":
        pytest.skip("PostgreSQL's pool only")
    async with container.db.reader() as s:
        pid = await s.scalar(text("SELECT pg_backend_pid()"))
    killer = create_async_engine(container.db.url, poolclass=NullPool)  # not from the pool
    try:
        async with killer.connect() as other:
            await other.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    finally:
        await killer.dispose()
    monkeypatch.setattr(session, "PING_AFTER_IDLE", 0.0)  # every pooled connection is "idle"
    seen = pings(container, monkeypatch)
    async with container.db.reader() as s:
        assert await s.scalar(text("SELECT pg_backend_pid()")) != pid
    assert seen  # it was pinged, found dead and replaced
