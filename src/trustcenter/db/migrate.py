"""Run Alembic migrations from code (``serve`` on SQLite, ``trustcenter db upgrade``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, schema: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if schema:
        cfg.set_main_option("trustcenter.schema", schema)
    return cfg


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


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
    """Bring the database to the newest revision, on the engine's own connection."""
    await _migrate(engine, url, schema, lambda cfg: command.upgrade(cfg, "head"))


async def downgrade(
    engine: AsyncEngine, url: str, revision: str, schema: str | None = None
) -> None:
    """Take the database back to ``revision`` (the revisions' ``downgrade`` steps)."""
    await _migrate(engine, url, schema, lambda cfg: command.downgrade(cfg, revision))


async def _migrate(
    engine: AsyncEngine, url: str, schema: str | None, step: Callable[[Config], None]
) -> None:
    """Run ``step`` on one connection of ``engine``, in one transaction.

    On SQLite a migration that changes a constraint rebuilds the table (copy, drop, rename);
    with foreign keys enforced, dropping a table that others point to would fail or cascade
    into them. So enforcement is off while migrating, the keys are checked before the commit (when a
    migration ran),
    and enforcement is back on before the connection returns to the pool."""
    cfg = alembic_config(url, schema)

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
        try:
            async with conn.begin():
                await conn.run_sync(_run)
        finally:
            if sqlite:
                await conn.run_sync(_sqlite_foreign_keys, True)


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
