"""Shared fixtures: a migrated database per backend (SQLite always, PostgreSQL when it
answers), a fresh container per test, and an HTTP client on the ASGI app.

PostgreSQL: ``TRUSTCENTER_TEST_POSTGRES_URL`` (default the local server's ``test`` database).
When it does not answer the PostgreSQL half is skipped with the reason, except in CI
(``CI`` set) or with ``TRUSTCENTER_REQUIRE_POSTGRES=1``, where that is a failure.

The suite runs on several processes (pytest-xdist, ``make test``); each has its own session:
its own migrated SQLite file (in a folder of its own in memory where the machine has
``/dev/shm``, else in its temporary folder: tests/support/ram_folder.py), its own PostgreSQL schema
``tc_test_<worker>_<pid>_<random>`` (dropped at its end, whatever happened; one left behind by
a process that was killed is dropped by the next run on this machine), and its own rate-limit
key prefix in a shared Redis. See docs/testing.md.
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import event, make_url, text
from sqlalchemy.exc import DisconnectionError

from tests.helpers import World
from tests.support import hypothesis_profiles
from tests.support.demo_copy import template_schema
from tests.support.ram_folder import gone, ram_folder
from tests.support.state_copy import copy_schemas
from trustcenter.auth import passwords
from trustcenter.bootstrap import Container, build
from trustcenter.clock import FixedClock
from trustcenter.config import Settings
from trustcenter.db import migrate
from trustcenter.db.models import Base
from trustcenter.db.session import Database
from trustcenter.domain.audit import GENESIS
from trustcenter.web.app import create_app
from trustcenter.web.gc_tuning import tune_for_serving

POSTGRES_URL = os.environ.get(
    "TRUSTCENTER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = bool(os.environ.get("CI") or os.environ.get("TRUSTCENTER_REQUIRE_POSTGRES"))
START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
#: one 32-byte AES key, id "k1", for disclosure packages in tests
TEST_DISCLOSURE_KEYS = "k1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
#: this process under pytest-xdist (``gw0``, ``gw1`` …), ``main`` when the suite runs in one
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
#: this process's PostgreSQL schemas: ``tc_test_<worker>_<pid>_<random>``
SCHEMA_PREFIX = "tc_test_"
#: … and beside it the demo's snapshot (tests/support/demo_copy.py), what a start-up writes and
#: the fixtures' copies (tests/support/state_copy.py)
_OURS = re.compile(rf"^{SCHEMA_PREFIX}(?:gw\d+|main)_(\d+)_[0-9a-f]+(?:_demo|_started|_copy\d+)?$")

hypothesis_profiles.register()
#: Argon2id at a low cost for the suite's thousands of hashes (the product's own parameters
#: are proven in tests/unit/test_passwords.py)
TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)
passwords.use_hasher(TEST_HASHER)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's, which reads the marks set here
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under ``--dist loadgroup``: the tests that share a module-scoped fixture (a served app, a
    browser, a loaded demo) or the OpenID provider run on one worker, one group per database,
    so what they share is set up once; every other test goes wherever a worker is free."""
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        if fixtures is None:
            continue
        shared = [
            name
            for name, defs in fixtures.name2fixturedefs.items()
            if defs and defs[-1].scope in ("module", "package", "class")
        ]
        if shared or "oidc_provider" in fixtures.names_closure:
            group = item.nodeid.split("::", 1)[0] if shared else "oidc_provider"
            backend = getattr(getattr(item, "callspec", None), "params", {}).get("migrated")
            name = f"{group}[{backend}]" if backend else group
            item.add_marker(pytest.mark.xdist_group(name))


def pytest_collection_finish(session: pytest.Session) -> None:
    """The garbage collector as a serving process has it (``web.gc_tuning``): what the
    collection made (every test module, every item: most of a worker's objects) frozen, young
    collections rarer. Untuned, every full collection walks it all again: on 117 API tests,
    2.0 s of 14-16 s CPU went to the collector, tuned 0.9 s. Cycles are still collected."""
    tune_for_serving()


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


async def _drop_left_behind(admin: Database) -> None:
    """Drop the schemas of suite processes of this machine that no longer run (killed before
    their own clean-up); on a server elsewhere the process ids say nothing, so nothing is."""
    host = make_url(POSTGRES_URL).host
    if host not in (None, "", "127.0.0.1", "localhost", "::1"):
        return
    async with admin.engine.begin() as conn:
        names = (
            await conn.execute(
                text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                {"p": f"{SCHEMA_PREFIX}%"},
            )
        ).scalars()
        for name in names:
            found = _OURS.match(name)
            if found and gone(int(found[1])):
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))


def _settings(url: str, schema: str | None) -> Settings:
    """The tests' containers' settings on the database at ``url`` (and ``schema``)."""
    return Settings.from_env(
        {},
        database_url=url,
        database_schema=schema,
        issuer="http://localhost",
        disclosure_keys=TEST_DISCLOSURE_KEYS,
        plugins="",  # no auto-loading in the suite: tests register the plugins they need
        # budgets per minute no test reaches (their own tests set small ones)
        graphql_cost_per_minute=10_000_000,
        graphql_requests_per_minute=100_000,
        graphql_anonymous_cost_per_minute=10_000_000,
        graphql_anonymous_requests_per_minute=100_000,
        # this process's own keys where the rate limits are kept in a shared Redis
        rate_limit_prefix=f"{SCHEMA_PREFIX}{WORKER}_{os.getpid()}",
    )


#: what a container's start-up writes to an empty database: its first signing key and that
#: key's audit event. Written once per process, at the suite's clock, by a real start-up, and
#: copied into every test's database, where ``start`` then finds the key instead of making one
#: (SQLite: in the migrated template; PostgreSQL: from the schema ``<schema>_started``).
STARTED_TABLES = ("signing_keys", "audit_events")


def started_schema(schema: str) -> str:
    return f"{schema}_started"


async def _start_once(url: str, schema: str | None) -> None:
    c = build(_settings(url, schema), FixedClock(START))
    await c.start(upgrade=False)
    await c.close()


def _commits_not_waited_for(dbapi_connection: Any, _record: Any) -> None:
    """The tests' connections do not wait for each commit to reach the disk (``fsync``, a few
    milliseconds each here): what a commit makes visible, and when, is the same; only a crash
    of the server could lose it, and the tests' schemas are thrown away then anyway."""
    cursor = dbapi_connection.cursor()
    cursor.execute("SET synchronous_commit = off")
    cursor.close()


def _closed_ones_replaced(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """The tests' pool outlives each test: a pooled connection an earlier test had closed (its
    server process killed) is replaced before the next test takes it — after the product's own
    check (``db.session.ping_idle_connections``), which its tests watch."""
    if dbapi_connection.driver_connection.is_closed():
        raise DisconnectionError("a pooled connection was closed by an earlier test")


class MigratedDatabase:
    """This process's migrated, empty database for one backend, and ``live``: the one
    ``Database`` (engine, pool, compiled statements) every test's container on it uses.

    SQLite: ``url`` is the migrated template; each test gets a fresh copy of it at ``live``'s
    path (``fresh``). PostgreSQL: ``url`` and ``schema`` are the process's schema, emptied for
    each test (``empty_postgres``)."""

    def __init__(self, url: str, schema: str | None, live: Database) -> None:
        self.url = url
        self.schema = schema
        self.live = live

    @property
    def backend(self) -> str:
        return "postgresql" if self.url.startswith("postgresql") else "sqlite"

    async def fresh(self) -> Database:
        """``live`` on an empty database: on SQLite its connections closed and the template
        copied in under a new inode (a connection some test left open keeps the old file), on
        PostgreSQL every table emptied."""
        if self.backend == "postgresql":
            await empty_postgres(self.live)
            return self.live
        await self.live.dispose()
        path = Path(self.live_path)
        for leftover in (path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            leftover.unlink(missing_ok=True)
        incoming = path.with_name(path.name + ".incoming")
        shutil.copyfile(self.url.split(":///", 1)[1], incoming)
        os.replace(incoming, path)
        return self.live

    @property
    def live_path(self) -> str:
        return str(make_url(self.live.url).database)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def migrated(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[MigratedDatabase]:
    if request.param == "sqlite":
        with ram_folder(tmp_path_factory.mktemp("db")) as folder:
            path = folder / "trustcenter.db"
            url = f"sqlite+aiosqlite:///{path}"
            db = Database(url)
            await migrate.upgrade(db.engine, db.url)
            await db.dispose()
            await _start_once(url, None)
            live = Database(f"sqlite+aiosqlite:///{path.with_name('live.db')}")
            try:
                yield MigratedDatabase(url, None, live)
            finally:
                await live.dispose()
        return
    reason = await _postgres_answers()
    if reason is not None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"{reason}, and this run requires PostgreSQL (CI)")
        pytest.skip(f"{reason}: the PostgreSQL half of the suite did not run")
    schema = f"{SCHEMA_PREFIX}{WORKER}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = Database(POSTGRES_URL)
    db: Database | None = None
    try:
        await _drop_left_behind(admin)
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        db = Database(POSTGRES_URL, schema=schema)
        event.listen(db.engine.sync_engine, "connect", _commits_not_waited_for)
        event.listen(db.engine.sync_engine, "checkout", _closed_ones_replaced)
        await migrate.upgrade(db.engine, db.url, schema)
        await _start_once(POSTGRES_URL, schema)
        async with admin.engine.begin() as conn:
            target = started_schema(schema)
            await conn.execute(text(f'CREATE SCHEMA "{target}"'))
            for table in STARTED_TABLES:
                await conn.execute(
                    text(f'CREATE TABLE "{target}"."{table}" AS TABLE "{schema}"."{table}"')
                )
        _STARTED[schema] = started_schema(schema)
        yield MigratedDatabase(POSTGRES_URL, schema, db)
    finally:
        if db is not None:
            await db.dispose()
        async with admin.engine.begin() as conn:
            beside = (template_schema(schema), started_schema(schema), *copy_schemas(schema))
            for name in (schema, *beside):
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        await admin.dispose()


#: every table the tests fill, children before parents (the audit head is reset, not emptied;
#: the auth epoch's one row stays: only its moving matters)
_KEPT = ("audit_head", "auth_epoch")
_TABLES = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in _KEPT]
#: the sequences behind those tables' generated ids, per schema
_SEQUENCES: dict[str | None, list[str]] = {}
#: per schema, the schema holding what a start-up writes (``STARTED_TABLES``)
_STARTED: dict[str | None, str] = {}


async def empty_postgres(db: Database) -> None:
    """Empty every table and restart their id sequences, as the superuser the suite runs as: the
    audit log's append-only triggers are bypassed for this (session_replication_role) and only
    for this; then put back what a start-up writes (``STARTED_TABLES``), the events' sequence
    where that start-up left it. One script, one round trip (DELETE, not TRUNCATE: on tables
    this small it is many times faster)."""
    if db.schema not in _SEQUENCES:
        async with db.engine.connect() as conn:
            found = await conn.execute(
                text(
                    "SELECT pg_get_serial_sequence(quote_ident(table_name), column_name) "
                    "FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND (column_default LIKE 'nextval(%' OR is_identity = 'YES') "
                    "AND table_name <> 'audit_head'"
                )
            )
            _SEQUENCES[db.schema] = [s for s in found.scalars() if s]
    assert re.fullmatch("[0-9a-f]+", GENESIS)
    script = "".join(
        [
            "BEGIN; SET LOCAL session_replication_role = replica;",
            *(f'DELETE FROM "{table}";' for table in _TABLES),  # noqa: S608 (the models)
            *(f"ALTER SEQUENCE {sequence} RESTART;" for sequence in _SEQUENCES[db.schema]),
            *_restore_started(db.schema),
            f"UPDATE audit_head SET seq = 0, hash = '{GENESIS}'; COMMIT;",  # noqa: S608
        ]
    )
    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.execute(script)  # type: ignore[union-attr]


def _restore_started(schema: str | None) -> list[str]:
    started = _STARTED.get(schema)
    if started is None:
        return []
    return [
        *(f'INSERT INTO "{t}" SELECT * FROM "{started}"."{t}";' for t in STARTED_TABLES),  # noqa: S608
        "SELECT setval(pg_get_serial_sequence('audit_events', 'seq'), "
        "(SELECT max(seq) FROM audit_events));",
    ]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
async def container(migrated: MigratedDatabase, clock: FixedClock) -> AsyncIterator[Container]:
    """A started container on an empty database. Its ``Database`` is the process's one for
    the backend (``MigratedDatabase.live``): a new engine per test would compile every statement
    again and, on PostgreSQL, open new connections (a server process each) — a good part of what
    a short test costs."""
    db = await migrated.fresh()
    settings = _settings(db.url, migrated.schema)
    c = build(settings, clock, db=db)
    await c.start(upgrade=False)
    yield c
    # the engine stays for the next test; on SQLite its connections close before the next
    # test's copy replaces the file (``MigratedDatabase.fresh``)


@pytest.fixture
async def http(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(container)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


@pytest.fixture
def world(container: Container, http: httpx.AsyncClient) -> World:
    return World(container, http)
