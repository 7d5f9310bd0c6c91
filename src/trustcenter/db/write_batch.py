"""Rows a write transaction inserts, sent as one statement.

A submission inserts a legal basis, a request, its targets and items, its audit event, its
report facts and any findings. Each INSERT was a statement of its own: on PostgreSQL a round
trip (the server's CPU for the send, the wake-up and the result), on SQLite a trip to the
driver's thread, and on both SQLAlchemy's work around a statement. :func:`queue_rows`
queues the rows on the transaction's connection instead, and they are sent the moment the
transaction sends anything else or commits: on PostgreSQL as one statement, a data-modifying
CTE per table (its rows as VALUES, one parameter per value; many rows as one array per
column); on SQLite as a script of one INSERT per table run in one trip
(``sqlite_driver.SCRIPT``).

What holds as before: a queued row is in the database before any later statement of the
transaction runs (that statement sees it; a foreign key to it holds) and before the commit; a
broken rule (a duplicate idempotency key) raises the same ``IntegrityError``, at the latest
from the commit; a rollback drops the queue, and a rollback to a savepoint takes back what
was queued after it (its statement sends the queue first). Python-side column defaults are
not applied to queued rows, so every row must name every column of its table that has one
(checked: a missing one is a programming error, raised at once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Engine, Table, event
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from trustcenter.db.sqlite_driver import SCRIPT

#: ``Connection.info`` key of the queue of the connection's transaction
QUEUED = "tc_write_batch"

#: a table's queued rows: its columns and its rows' values (bind-processed), in that order
_Part = tuple[Table, tuple[str, ...], list[tuple[Any, ...]]]
#: PostgreSQL: a table's rows up to this many go as VALUES rows, one parameter per value;
#: more as one array per column (a statement per row count would be prepared for each count)
VALUES_ROWS = 16


class _Queue:
    """The rows queued in one transaction, table by table in the order they were queued."""

    __slots__ = ("parts", "transaction")

    def __init__(self, transaction: object) -> None:
        self.parts: list[_Part] = []
        self.transaction = transaction


def queue_rows(
    connection: AsyncConnection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Queue ``rows`` (each naming the same columns) for ``table`` in the connection's
    transaction, to be inserted before its next statement. A value its column refuses (a
    naive timestamp) raises here."""
    if not rows:
        return
    sync = connection.sync_connection
    assert sync is not None
    columns = tuple(rows[0])
    _check_defaults(table, columns)
    processors = _processors(table, columns, sync.dialect)
    values = [
        tuple(p(r[c]) if p else r[c] for c, p in zip(columns, processors, strict=True))
        for r in rows
    ]
    transaction = sync.get_transaction()
    queue = sync.info.get(QUEUED)
    if queue is None or queue.transaction is not transaction:
        queue = sync.info[QUEUED] = _Queue(transaction)
    queue.parts.append((table, columns, values))


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
    dialect = connection.dialect
    if dialect.name == "postgresql":
        shape = tuple(
            (t, c, len(rows) if len(rows) <= VALUES_ROWS else 0) for t, c, rows in queue.parts
        )
        flat: list[Any] = []
        for _, _, rows in queue.parts:
            if len(rows) <= VALUES_ROWS:  # each value a parameter
                flat.extend(value for row in rows for value in row)
            else:  # each column's values one array
                flat.extend(list(column) for column in zip(*rows, strict=True))
        connection.exec_driver_sql(_with_inserts(shape, dialect), tuple(flat))
    else:  # each statement with its rows
        shape = tuple((t, c, 0) for t, c, _ in queue.parts)
        each = tuple(rows for _, _, rows in queue.parts)
        connection.exec_driver_sql(_script(shape, dialect), each)


#: the tables, columns and (PostgreSQL) number of VALUES rows, or 0 for arrays, of a queue
_Shape = tuple[tuple[Table, tuple[str, ...], int], ...]


@cache
def _with_inserts(shape: _Shape, dialect: Dialect) -> str:
    """PostgreSQL: one statement, a data-modifying CTE per table, its rows as VALUES or as
    the columns' arrays unnested; built once per shape."""
    quote = dialect.identifier_preparer.quote
    parts, n = [], 0
    for i, (table, columns, count) in enumerate(shape):
        types = [table.c[name].type.compile(dialect=dialect) for name in columns]
        if count:
            rows = []
            for _ in range(count):
                rows.append(
                    "(" + ", ".join(f"${n + j + 1}::{t}" for j, t in enumerate(types)) + ")"
                )
                n += len(types)
            source = "VALUES " + ", ".join(rows)
        else:
            arrays = [f"${n + j + 1}::{t}[]" for j, t in enumerate(types)]
            n += len(types)
            # placeholders and type names from the metadata; every value is bound
            source = "SELECT * FROM unnest(" + ", ".join(arrays) + ")"  # noqa: S608
        names = ", ".join(quote(c) for c in columns)
        # the table's and columns' names from the metadata, quoted; every value is bound
        parts.append(f"w{i} AS (INSERT INTO {quote(table.name)} ({names}) {source})")
    return "WITH " + ", ".join(parts) + " SELECT 1"


@cache
def _script(shape: _Shape, dialect: Dialect) -> str:
    """SQLite: an INSERT per table, run in one trip to the driver's thread
    (``sqlite_driver.SCRIPT``); built once per shape."""
    quote = dialect.identifier_preparer.quote
    inserts = [
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "  # noqa: S608
        f"VALUES ({', '.join('?' for _ in columns)})"
        for table, columns, _ in shape
    ]
    return SCRIPT + ";\n".join(inserts)


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
    drop at rollback."""
    event.listen(engine, "before_execute", _before_execute)
    event.listen(engine, "commit", send)
    event.listen(engine, "rollback", _drop)
