"""Shared fixtures: a migrated database per backend (SQLite always, PostgreSQL when it
answers), a fresh container per test, and an HTTP client on the ASGI app.

PostgreSQL: ``TRUSTCENTER_TEST_POSTGRES_URL`` (default the local server's ``test`` database).
When it does not answer the PostgreSQL half is skipped with the reason, except in CI
(``CI`` set) or with ``TRUSTCENTER_REQUIRE_POSTGRES=1``, where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.helpers import World
from trustcenter.bootstrap import Container, build
from trustcenter.clock import FixedClock
from trustcenter.config import Settings
from trustcenter.db import migrate
from trustcenter.db.models import Base
from trustcenter.db.session import Database
from trustcenter.domain.audit import GENESIS
from trustcenter.web.app import create_app

POSTGRES_URL = os.environ.get(
    "TRUSTCENTER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = bool(os.environ.get("CI") or os.environ.get("TRUSTCENTER_REQUIRE_POSTGRES"))
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
#: one 32-byte AES key, id "k1", for disclosure packages in tests
TEST_DISCLOSURE_KEYS = "k1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="


async def _postgres_answers() -> str | None:
    """None when PostgreSQL answers, else why not."""
    db = Database(POSTGRES_URL)
    try:
        async with asyncio.timeout(5):
            if await db.ping():
                return None
        return f"PostgreSQL does not answer at {POSTGRES_URL}"
    except TimeoutError:
        return f"PostgreSQL timed out at {POSTGRES_URL}"
    finally:
        await db.dispose()


class MigratedDatabase:
    def __init__(self, url: str, schema: str | None) -> None:
        self.url = url
        self.schema = schema

    @property
    def backend(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[MigratedDatabase]:
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "trustcenter.db"
        url = f"sqlite+aiosqlite:///{path}"
        db = Database(url)
        await migrate.upgrade(db.engine, db.url)
        await db.dispose()
        yield MigratedDatabase(url, None)
        return
    reason = await _postgres_answers()
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason}, and this run requires PostgreSQL (CI)")
        pytest.skip(f"{reason}: the PostgreSQL half of the suite did not run")
    schema = f"tc_test_{secrets.token_hex(4)}"
    admin = Database(POSTGRES_URL)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(POSTGRES_URL, schema=schema)
    await migrate.upgrade(db.engine, db.url, schema)
    await db.dispose()
    try:
        yield MigratedDatabase(POSTGRES_URL, schema)
    finally:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


async def empty_postgres(db: Database) -> None:
    """Empty every table, as the superuser the suite runs as: the audit log's append-only
    triggers are bypassed for this (session_replication_role) and only for this."""
    tables = [t.name for t in Base.metadata.sorted_tables if t.name != "audit_head"]
    async with db.engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        await conn.execute(text("UPDATE audit_head SET seq = 0, hash = :h"), {"h": GENESIS})


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def container(
    migrated: MigratedDatabase, clock: FixedClock, tmp_path: Path
) -> AsyncIterator[Container]:
    url = migrated.url
    if migrated.backend == "sqlite":  # a private copy of the migrated, empty file
        copy = tmp_path / "trustcenter.db"
        shutil.copyfile(migrated.url.split(":///", 1)[1], copy)
        url = f"sqlite+aiosqlite:///{copy}"
    settings = Settings.from_env(
        {},
        database_url=url,
        database_schema=migrated.schema,
        issuer="http://localhost",
        disclosure_keys=TEST_DISCLOSURE_KEYS,
        plugins="",  # no auto-loading in the suite: tests register the plugins they need
        # budgets per minute no test reaches (their own tests set small ones)
        graphql_cost_per_minute=10_000_000,
        graphql_requests_per_minute=100_000,
        graphql_anonymous_cost_per_minute=10_000_000,
        graphql_anonymous_requests_per_minute=100_000,
    )
    c = build(settings, clock)
    if migrated.backend == "postgresql":
        await empty_postgres(c.db)
    await c.start(upgrade=False)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
async def http(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


@pytest.fixture
def world(container: Container, http: httpx.AsyncClient) -> World:
    return World(container, http)
