"""Engine and session factory for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from trustcenter.db.facts_tracking import TrackedSession


def normalise_url(url: str) -> str:
    """Accept plain ``sqlite:///`` and ``postgresql://`` URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event below start transactions, not the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # so that INSERT OR REPLACE runs delete triggers too (the audit log's append-only guard)
    cursor.execute("PRAGMA recursive_triggers=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """Write transactions take SQLite's write lock at once (BEGIN IMMEDIATE), so two writers
    queue instead of failing when the second one upgrades from reading to writing."""
    if conn.get_execution_options().get("tc_write"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


#: seconds a pooled PostgreSQL connection may sit idle and still be used without a ping first
PING_AFTER_IDLE = 10.0
_RETURNED = "tc_returned_at"


def ping_idle_connections(engine: AsyncEngine) -> None:
    """Before a pooled connection is handed out, ping it only if it sat idle for longer than
    :data:`PING_AFTER_IDLE` (a restarted server, or an idle timeout on the way, may have closed
    it); a dead one is replaced by the pool (``DisconnectionError``). A connection returned
    moments ago is handed out as it is — ``pool_pre_ping`` would ping it on every checkout, a
    round trip for every unit of work."""
    sync = engine.sync_engine
    dialect = sync.dialect

    def fresh(_dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the driver's own error for a closed connection
            raise DisconnectionError("a pooled connection did not answer its ping") from exc
        if not alive:
            raise DisconnectionError("a pooled connection did not answer its ping")

    event.listen(sync, "connect", fresh)
    event.listen(sync, "checkin", fresh)
    event.listen(sync, "checkout", checkout)


class Database:
    """One engine and its session factory. Each unit of work opens its own session."""

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        self.url = normalise_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.dialect == "postgresql" and schema:
            kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
        self.schema = schema
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        if self.dialect == "postgresql":
            ping_idle_connections(self.engine)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        # the sessions keep the report's facts as they commit (db.facts_tracking)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=TrackedSession
        )
        self.write_sessions = async_sessionmaker(
            self.engine.execution_options(tc_write=True),
            expire_on_commit=False,
            sync_session_class=TrackedSession,
        )

    @property
    def dialect(self) -> str:
        return make_url(self.url).get_backend_name()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one write transaction: committed on success, rolled back on
        error. On SQLite it holds the write lock from the start; on PostgreSQL rows are locked
        as they are read ``FOR UPDATE``."""
        async with self.write_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A short-lived session for reads."""
        async with self.sessions() as session:
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()
