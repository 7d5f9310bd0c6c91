"""The auth epoch's kept connection (``db.epoch_reads``) on a real server: when PostgreSQL
ends it (a restart, an administrator, a proxy), the next request's epoch is still read — on a
pooled connection — and a revocation still counts from the next request on."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from trustcenter.bootstrap import Container
from trustcenter.db.session import application_name


async def test_an_epoch_connection_the_server_ended_is_replaced(container: Container) -> None:
    db = container.db
    if db.dialect != "postgresql":
        pytest.skip("SQLite has no server that could end the connection")
    work = container.uow
    before = await work.auth_epoch()
    assert before is not None
    async with db.engine.connect() as admin:
        ended = await admin.scalar(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE pid <> pg_backend_pid() AND datname = current_database() "
                "AND application_name = :name AND query LIKE '%auth_epoch%'"
            ),
            {"name": application_name(db.schema)},  # this test's backends, no other worker's
        )
        await admin.commit()
    assert ended >= 1  # the kept connection, whose last statement read the epoch
    async with work() as uow:
        await uow.clients.move_auth_epoch()  # a revocation, committed
    assert await work.auth_epoch() == before + 1  # read on a pooled connection
    assert await work.auth_epoch() == before + 1  # and on a new kept one
