"""Rows a write transaction inserts, sent to PostgreSQL as one statement.

A submission inserts a legal basis, a request, its targets and items, its audit event, its
report facts and any findings. On PostgreSQL each INSERT was a round trip of its own (the
server's CPU for the send, the wake-up and the result, about a fifth of a submit's CPU in
all). :func:`insert` queues the rows on the transaction's connection instead; they are sent
as one statement, a data-modifying CTE per table whose rows arrive as one array per column,
the moment the transaction sends anything else or commits.

What holds as before: a queued row is in the database before any later statement of the
transaction runs (that statement sees it; a foreign key to it holds) and before the commit; a
broken rule (a duplicate idempotency key) raises the same ``IntegrityError``, at the latest
from the commit; a rollback drops the queue. Python-side column defaults are not applied to
queued rows, so every row must name every column of its table that has one (checked on both
databases: a missing one is a programming error, raised at once). SQLite is in-process (a
statement costs no round trip): the rows are inserted at once, one ``executemany`` per
table, as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Engine, Table, event, insert
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

#: ``Connection.info`` key of the queue of the connection's transaction
QUEUED = "tc_write_batch"

#: a table's queued rows: its columns and, for each column, its values (bind-processed)
_Part = tuple[Table, tuple[str, ...], list[list[Any]]]


class _Queue:
    """The rows queued in one transaction, table by table in the order they were queued."""

    __slots__ = ("parts", "transaction")

    def __init__(self, transaction: object) -> None:
        self.parts: list[_Part] = []
        self.transaction = transaction


async def insert_rows(
    connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Insert ``rows`` (each naming the same columns) into ``table`` in the connection's
    transaction: at once on SQLite, with the transaction's next statement on PostgreSQL. A
    value its column refuses (a naive timestamp) raises here, on both."""
    if not rows:
        return
    sync = connection.sync_connection
    assert sync is not None
    columns = tuple(rows[0])
    _check_defaults(table, columns)
    if sync.dialect.name != "postgresql":
        await connection.execute(_insert_of(table), list(rows))
        return
    values = [
        [process(r[name]) for r in rows] if process else [r[name] for r in rows]
        for name, process in zip(columns, _processors(table, columns, sync.dialect), strict=True)
    ]
    transaction = sync.get_transaction()
    queue = sync.info.get(QUEUED)
    if queue is None or queue.transaction is not transaction:
        queue = sync.info[QUEUED] = _Queue(transaction)
    queue.parts.append((table, columns, values))


@cache
def _insert_of(table: Table) -> Any:
    return insert(table)


@cache
def _check_defaults(table: Table, columns: tuple[str, ...]) -> None:
    missing = [c.key for c in table.c if c.default is not None and c.key not in columns]
    if missing:
        raise ValueError(f"a {table.name} row inserted here must name {', '.join(missing)}")


@cache
def _processors(table: Table, columns: tuple[str, ...], dialect: Dialect) -> list[Any]:
    """Each column's bind processor (a timestamp checked and made UTC …), or None."""
    return [table.c[c].type._cached_bind_processor(dialect) for c in columns]


def send(connection: Connection) -> None:
    """Send what the connection's transaction has queued, if anything, as one statement."""
    queue: _Queue | None = connection.info.pop(QUEUED, None)
    if queue is None or not queue.parts or queue.transaction is not connection.get_transaction():
        return
    sql = _statement(
        tuple((table, columns) for table, columns, _ in queue.parts), connection.dialect
    )
    connection.exec_driver_sql(sql, tuple(v for _, _, values in queue.parts for v in values))


@cache
def _statement(shape: tuple[tuple[Table, tuple[str, ...]], ...], dialect: Dialect) -> str:
    """The one statement of a queue of this shape (its tables and columns, in order): built
    once."""
    quote = dialect.identifier_preparer.quote
    parts, n = [], 0
    for i, (table, columns) in enumerate(shape):
        arrays = []
        for name in columns:
            n += 1
            arrays.append(f"${n}::{table.c[name].type.compile(dialect=dialect)}[]")
        names = ", ".join(quote(c) for c in columns)
        # the table's and columns' names from the metadata, quoted; every value is bound
        parts.append(
            f"w{i} AS (INSERT INTO {quote(table.name)} ({names}) "  # noqa: S608
            f"SELECT * FROM unnest({', '.join(arrays)}))"
        )
    return "WITH " + ", ".join(parts) + " SELECT 1"


async def send_queued(session: AsyncSession) -> None:
    """Send what the session's transaction has queued now (a unit's ``flush``: its rows
    written, a broken rule raised, before the unit goes on)."""
    connection = await session.connection()
    if QUEUED in connection.sync_connection.info:  # type: ignore[union-attr]
        await connection.run_sync(send)


def _before_execute(connection: Connection, *_args: Any) -> None:
    if QUEUED in connection.info:
        send(connection)


def _drop(connection: Connection) -> None:
    connection.info.pop(QUEUED, None)


def install(engine: Engine) -> None:
    """Queue on ``engine``'s connections: send before any other statement and at commit,
    drop at rollback (PostgreSQL's engines; on SQLite nothing is queued)."""
    event.listen(engine, "before_execute", _before_execute)
    event.listen(engine, "commit", send)
    event.listen(engine, "rollback", _drop)
