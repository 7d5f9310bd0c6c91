"""Engine and session factory for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session

from trustcenter.db import write_batch
from trustcenter.db.epoch_reads import EpochRead, EpochReads
from trustcenter.db.facts_tracking import TrackedSession
from trustcenter.db.shared_reads import SharedReads
from trustcenter.db.sqlite_driver import one_trip_statements
from trustcenter.db.writer_turns import WriterTurns


def normalise_url(url: str) -> str:
    """Accept plain ``sqlite:///`` and ``postgresql://`` URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    one_trip_statements(dbapi_connection)  # one trip to the driver's thread per statement
    # Let SQLAlchemy's "begin" event below start transactions, not the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # so that INSERT OR REPLACE runs delete triggers too (the audit log's append-only guard)
    cursor.execute("PRAGMA recursive_triggers=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


#: the execution option of the write sessions' engine (``Database.write_sessions``)
WRITE = "tc_write"


def is_write_session(session: AsyncSession) -> bool:
    """Whether the session is a write unit's: on SQLite its transaction holds the database's
    write lock from its BEGIN (``BEGIN IMMEDIATE``, ``_sqlite_begin``) to its end, so what it
    reads of a table no other writer can change until it commits."""
    return bool(session.get_bind().get_execution_options().get(WRITE))


def _sqlite_begin(conn: Any) -> None:
    """Write transactions take SQLite's write lock at once (BEGIN IMMEDIATE), so two writers
    queue instead of failing when the second one upgrades from reading to writing. The read
    engine's connections begin nothing: each SELECT is its own implicit transaction (the
    driver's ``isolation_level`` is None), which spares a read unit its BEGIN and ROLLBACK."""
    options = conn.get_execution_options()
    if options.get(WRITE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    elif not options.get("tc_read"):
        conn.exec_driver_sql("BEGIN")


class ReadSession(Session):
    """The session of a read unit. Its connection commits every statement by itself, so a flush
    would write for good: it never flushes on its own (``autoflush=False``) and refuses to flush
    anything it was given."""

    def flush(self, objects: Any = None) -> None:
        if self.new or self.deleted or any(self.is_modified(o) for o in self.dirty):
            raise RuntimeError("a read unit writes nothing: open a write unit to change rows")
        super().flush(objects)


async def _give_back_shared() -> None:
    shared = SharedReads.current()
    if shared is not None:
        await shared.give_back_if_idle()


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


def application_name(schema: str | None) -> str:
    """What PostgreSQL shows as the ``application_name`` of this service's connections: an
    operator (or a test) tells them from other clients', and one schema's from another's."""
    return ("trustcenter" + (f":{schema}" if schema else ""))[:63]


#: connections a pool keeps open (``TRUSTCENTER_DATABASE_POOL_SIZE``)
POOL_SIZE = 20


class Database:
    """One engine and its session factories. Each unit of work opens its own session; the read
    units of one request may share a connection (:meth:`shared_reads`).

    The pool keeps ``pool_size`` connections open and opens as many again for a burst. A
    connection given back while ``pool_size`` others sit idle is closed, so a pool smaller
    than the requests served at once opens and closes connections all the time (on PostgreSQL
    a server process each, its prepared statements lost; on SQLite a thread each):
    SQLAlchemy's default of 5 did that with 16 concurrent submits."""

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        echo: bool = False,
        pool_size: int = POOL_SIZE,
    ) -> None:
        self.url = normalise_url(url)
        #: "sqlite" or "postgresql" (asked on every unit of work: parsed once)
        self.dialect: str = make_url(self.url).get_backend_name()
        kwargs: dict[str, Any] = {"echo": echo}
        if make_url(self.url).database not in (None, "", ":memory:"):
            kwargs |= {"pool_size": pool_size, "max_overflow": pool_size}
        if self.dialect == "postgresql":  # its backends named in pg_stat_activity
            settings = {"application_name": application_name(schema)}
            if schema:
                settings["search_path"] = schema
            kwargs["connect_args"] = {"server_settings": settings}
        self.schema = schema
        self._epoch_reads: EpochReads | None = None
        #: SQLite's writers of this process queue here before they take its write lock
        self._turns = WriterTurns() if self.dialect == "sqlite" else None
        self.engine: AsyncEngine = create_async_engine(self.url, **kwargs)
        write_batch.install(self.engine.sync_engine)  # rows queued for one statement
        if self.dialect == "postgresql":
            ping_idle_connections(self.engine)
        if self.dialect == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        #: the same pool, for reads: every statement commits by itself, so a read unit pays no
        #: BEGIN and no ROLLBACK (on PostgreSQL AUTOCOMMIT; on SQLite ``_sqlite_begin`` begins
        #: nothing). A read sees what is committed when it runs, as under READ COMMITTED.
        read_options: dict[str, Any] = {"tc_read": True}
        if self.dialect == "postgresql":
            read_options["isolation_level"] = "AUTOCOMMIT"
        self.read_engine: AsyncEngine = self.engine.execution_options(**read_options)
        self.sessions = async_sessionmaker(
            self.read_engine,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=ReadSession,
        )
        #: reads that need one snapshot over several statements (or a server-side cursor,
        #: which PostgreSQL opens only inside a transaction): a transaction, as before
        self.snapshot_sessions = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=ReadSession,
        )
        # the write sessions keep the report's facts as they commit (db.facts_tracking)
        self.write_sessions = async_sessionmaker(
            self.engine.execution_options(**{WRITE: True}),
            expire_on_commit=False,
            sync_session_class=TrackedSession,
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session inside one write transaction: committed on success, rolled back on
        error. On SQLite it holds the write lock from the start; on PostgreSQL rows are locked
        as they are read ``FOR UPDATE``."""
        async with self.writer() as session, session.begin():
            yield session

    @asynccontextmanager
    async def writer(self) -> AsyncIterator[AsyncSession]:
        """A write session (its transaction is the caller's to begin and end). The request's
        shared read connection, if idle, goes back to the pool first (``db.shared_reads``)."""
        await _give_back_shared()
        turn = self._turns.turn() if self._turns else nullcontext()
        async with turn, self.write_sessions() as session:
            yield session

    @asynccontextmanager
    async def reader(self, *, snapshot: bool = False) -> AsyncIterator[AsyncSession]:
        """A short-lived session for reads, on a connection of its own. Each statement sees
        what is committed when it runs; with ``snapshot`` the session reads in one transaction
        instead (several statements that must agree, a streamed result), rolled back at the
        end."""
        await _give_back_shared()
        async with (self.snapshot_sessions if snapshot else self.sessions)() as session:
            yield session

    @asynccontextmanager
    async def shared_reader(self, *, snapshot: bool = False) -> AsyncIterator[AsyncSession]:
        """A short-lived session for reads, on the request's shared read connection when
        there is one (:meth:`shared_reads`), else on a connection of its own (always with
        ``snapshot``: :meth:`reader`)."""
        shared = SharedReads.current()
        if snapshot or shared is None or not shared.available:
            async with self.reader(snapshot=snapshot) as session:
                yield session
            return
        async with shared.turn() as connection:
            if connection is None:  # the request ended meanwhile
                async with self.sessions() as session:
                    yield session
            else:
                # the session joins the connection's (empty) transaction and leaves it open
                async with self.sessions(
                    bind=connection, join_transaction_mode="rollback_only"
                ) as session:
                    yield session

    @asynccontextmanager
    async def shared_connection(self) -> AsyncIterator[AsyncConnection]:
        """The request's shared read connection for one Core read (no session, no ORM: a
        read that needs neither, such as the auth epoch every authenticated request reads),
        else a read connection of its own, as :meth:`shared_reader` decides."""
        shared = SharedReads.current()
        if shared is not None and shared.available:
            async with shared.turn() as connection:
                if connection is not None:
                    yield connection
                    return
        else:
            await _give_back_shared()
        async with self.read_engine.connect() as connection:
            yield connection

    def shared_reads(self) -> AbstractAsyncContextManager[SharedReads]:
        """For the block (a request): its read units share one connection, checked out at the
        first and given back at the end (``db.shared_reads``)."""
        return SharedReads.scope(self.read_engine)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except Exception:
            return False
        return True

    def epoch_reads(
        self, read: EpochRead, fallback: Callable[[], Awaitable[int | None]]
    ) -> EpochReads:
        """The auth epoch's reads on this database (``db.epoch_reads``): one for the database,
        whoever asks (every unit-of-work factory over it shares its kept connection)."""
        if self._epoch_reads is None:
            self._epoch_reads = EpochReads(self.read_engine, read, fallback)
        return self._epoch_reads

    async def dispose(self) -> None:
        if self._epoch_reads is not None:
            await self._epoch_reads.close()
        await self.engine.dispose()
