"""Run Alembic migrations from code (``serve``, the ASGI app's start-up, ``trustcenter db``).

Alembic is imported only when a migration runs: a start whose schema is current reads the
revision with one ``SELECT`` and compares it with the newest revision named in the migration
files (docs/performance.md, start-up).

Several processes may start at once on a database nobody migrated yet (``serve --workers``,
three ``db upgrade`` in a deployment script): each migration runs in one transaction that first
takes a lock, so they run one after the other and the later ones find the work done. On
PostgreSQL the lock is a transaction-scoped advisory lock keyed by the schema
(``pg_advisory_xact_lock``); on SQLite the transaction begins with ``BEGIN IMMEDIATE``, the
file's write lock, which the next writer waits for (the busy timeout) instead of failing with
"database is locked"."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*(None|"([^"]*)")', re.MULTILINE)


def alembic_config(url: str, schema: str | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if schema:
        cfg.set_main_option("trustcenter.schema", schema)
    return cfg


#: the first number of the advisory lock migrations take on PostgreSQL (the second: the schema)
LOCK_CLASS = 0x7C_0016
_LOCK = text("SELECT pg_advisory_xact_lock(:lock_class, hashtext(coalesce(current_schema(), '')))")


@cache
def _files() -> dict[str, tuple[str | None, str]]:
    """Each revision: the one it follows and its title (its docstring's first line), read from
    the files without importing Alembic."""
    found: dict[str, tuple[str | None, str]] = {}
    for path in (MIGRATIONS / "versions").glob("[0-9]*.py"):
        source = path.read_text(encoding="utf-8")
        named = {kind: value or None for kind, _, value in _REVISION.findall(source)}
        revision = named.get("revision")
        if revision:
            title = source.lstrip().removeprefix('"""').split("\n", 1)[0].strip()
            found[revision] = (named.get("down_revision"), title)
    return found


def _parents() -> dict[str, str | None]:
    return {revision: parent for revision, (parent, _) in _files().items()}


def title(revision: str) -> str:
    """What the revision does, in the words of its file's first line."""
    return _files()[revision][1]


@cache
def head_revision() -> str | None:
    """The newest revision: the one no other revision names as its ``down_revision`` (a test
    holds it to Alembic's own answer)."""
    parents = _parents()
    heads = set(parents) - {p for p in parents.values() if p}
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads.pop()


def revisions() -> list[str]:
    """Every revision, oldest first."""
    parents = _parents()
    chain: list[str] = []
    at = head_revision()
    while at is not None:
        chain.append(at)
        at = parents.get(at)
    return chain[::-1]


def _sqlite_foreign_keys(connection: Any, on: bool) -> None:
    """Switch SQLite's foreign-key enforcement; only works outside a transaction, so it goes
    to the driver's connection directly (the engine begins transactions itself)."""
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    cursor.close()


def _sqlite_check_foreign_keys(connection: Any) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"the migration would leave rows without their parents: {broken[:5]}")


async def upgrade(engine: AsyncEngine, url: str, schema: str | None = None) -> None:
    """Bring the database to the newest revision, on the engine's own connection; nothing
    (one ``SELECT``) when it is there already."""
    if await current_revision(engine) == head_revision():
        return
    from alembic import command

    await _migrate(engine, url, schema, lambda cfg: command.upgrade(cfg, "head"))


async def downgrade(
    engine: AsyncEngine, url: str, revision: str, schema: str | None = None
) -> None:
    """Take the database back to ``revision`` (the revisions' ``downgrade`` steps)."""
    from alembic import command

    await _migrate(engine, url, schema, lambda cfg: command.downgrade(cfg, revision))


async def _migrate(
    engine: AsyncEngine, url: str, schema: str | None, step: Callable[[Config], None]
) -> None:
    """Run ``step`` on one connection of ``engine``, in one transaction.

    On SQLite a migration that changes a constraint rebuilds the table (copy, drop, rename);
    with foreign keys enforced, dropping a table that others point to would fail or cascade
    into them. So enforcement is off while migrating, the keys are checked before the commit
    (when a migration ran), and enforcement is back on before the connection returns to the
    pool."""
    cfg = alembic_config(url, schema)

    from alembic.runtime.migration import MigrationContext

    def _run(connection: Any) -> None:
        cfg.attributes["connection"] = connection
        before = MigrationContext.configure(connection).get_current_revision()
        step(cfg)
        # checking every key reads every table (15 s at a million requests): only when a
        # migration actually ran, not at every start of a database that is already current
        ran = MigrationContext.configure(connection).get_current_revision() != before
        if ran and connection.dialect.name == "sqlite":
            _sqlite_check_foreign_keys(connection)

    async with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            await conn.run_sync(_sqlite_foreign_keys, False)
            # BEGIN IMMEDIATE (db.session): the write lock first, so concurrent migrations queue
            await conn.execution_options(tc_write=True)
        try:
            async with conn.begin():
                if conn.dialect.name == "postgresql":
                    await conn.execute(_LOCK, {"lock_class": LOCK_CLASS})
                await conn.run_sync(_run)
        finally:
            if sqlite:
                await conn.run_sync(_sqlite_foreign_keys, True)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision recorded in ``alembic_version``; None for an empty database."""
    async with engine.connect() as conn:
        try:
            rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        except DBAPIError:  # no such table: nothing migrated yet
            return None
        finally:
            await conn.rollback()
    if len(rows) > 1:
        raise RuntimeError(f"alembic_version holds {len(rows)} revisions: {rows}")
    return rows[0][0] if rows else None
