"""SQLite's writers of one process take turns (``db.writer_turns``): sixteen submits at once
never have two write units open together, so none sleeps in SQLite's busy handler while the
lock is free, and every one is stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tests.helpers import Flow
from trustcenter.bootstrap import Container


async def test_sixteen_submits_at_once_take_turns_on_sqlite(
    flow: Flow, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = container.db
    if db.dialect != "sqlite":
        pytest.skip("PostgreSQL's writers lock rows, not the database: they do not take turns")
    open_now, most = 0, 0
    sessions = db.write_sessions

    @asynccontextmanager
    async def counted() -> AsyncIterator[Any]:
        nonlocal open_now, most
        async with sessions() as session:
            open_now += 1
            most = max(most, open_now)
            try:
                yield session
            finally:
                open_now -= 1

    monkeypatch.setattr(db, "write_sessions", counted)
    done = await asyncio.gather(*(flow.agency.submit() for _ in range(16)))
    assert len({r["id"] for r in done}) == 16
    assert most == 1, f"{most} write units were open at once"
