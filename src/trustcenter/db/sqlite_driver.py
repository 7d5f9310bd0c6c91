"""SQLite statements in one trip to the driver's thread.

aiosqlite runs the sqlite3 connection in a thread of its own, and every call on it is a trip
there and back (two thread switches and a wake-up of the event loop). SQLAlchemy's adapter
makes four trips for each statement: open a cursor, execute, fetch all rows, close the cursor.
The cursor here makes one — the same four calls on the same sqlite3 connection, in the same
order, run together in the driver's thread — and keeps what SQLAlchemy asks of a cursor
afterwards (the description, the row count, the last row id, the rows). A rollback with no
transaction open makes no trip. Statements, their order and transactions are unchanged. A
:data:`SCRIPT` (the rows a write transaction queued) is several INSERTs in that one trip.
"""

from __future__ import annotations

import collections
import sqlite3
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)

_Outcome = tuple[Any, list[Any], int, int | None]

#: the first line of a script: several statements (separated by ``;`` and a line break), each
#: run for each of its own rows, in one trip (``db.write_batch``: a transaction's queued rows).
#: Its parameters are one list of rows per statement.
SCRIPT = "-- statements, each with its rows\n"


def _run(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    """In the driver's thread: the statement, all its rows, and what the cursor knew."""
    cursor = connection.cursor()
    try:
        if operation.startswith(SCRIPT):
            statements = operation[len(SCRIPT) :].split(";\n")
            for statement, rows in zip(statements, parameters, strict=True):
                cursor.executemany(statement, rows)
            return None, [], cursor.rowcount, cursor.lastrowid
        cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _run_many(connection: sqlite3.Connection, operation: str, parameters: Any) -> _Outcome:
    cursor = connection.cursor()
    try:
        cursor.executemany(operation, parameters)
        return cursor.description, [], cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose ``execute`` is one trip to the driver's thread (no cursor kept open)."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: Any) -> None:  # no driver cursor: nothing to open
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = {}  # type: ignore[assignment]
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        return None  # the driver's cursor is closed already

    async def _execute_async(self, operation: Any, parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _run, self._connection._conn, operation, parameters
            )
            self._take(outcome)
            return self

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> Any:
        async with self._adapt_connection._execute_mutex:
            outcome = await self._connection._execute(
                _run_many, self._connection._conn, operation, seq_of_parameters
            )
            self._take(outcome)
            return self

    def _take(self, outcome: _Outcome) -> None:
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection with :class:`OneTripCursor` (server-side cursors, for
    streamed results, stay SQLAlchemy's)."""

    __slots__ = ()
    _cursor_cls = OneTripCursor

    def rollback(self) -> None:
        """No trip when sqlite3 has no transaction open: a read's statements committed
        themselves, a write unit committed already. (Every call on the connection is awaited
        before the next; one a cancellation cut short invalidates the connection instead.)"""
        if self._connection._connection is not None and not self._connection.in_transaction:
            return
        super().rollback()


def one_trip_statements(dbapi_connection: Any) -> None:
    """Make a newly opened aiosqlite connection run its statements in one trip each."""
    if type(dbapi_connection) is AsyncAdapt_aiosqlite_connection:
        dbapi_connection.__class__ = OneTripConnection
