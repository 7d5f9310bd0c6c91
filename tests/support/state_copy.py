"""What a fixture makes on a fresh database, made once per process and copied after.

The actors of the API tests (an agency and its client, staff clients, their tokens) are made
through the services and the token endpoint; most tests start from the same few. The first
test in a process that asks for a set of them on a database as a start-up leaves it makes them
for real and keeps a copy of the whole database (SQLite: ``VACUUM INTO`` a file; PostgreSQL: a
copy of every table in a schema ``<this run's schema>_copy<n>``, dropped with the run's own);
every later one, on an equally fresh database with the same settings, clock and plugins, gets
the copy put back in one step — rows, audit chain and id sequences as the making left them —
and the same actors (client ids, secrets, tokens) handed back.

Not copied: a database that is not fresh (something was written first), a container with
plugins beyond the built-in ones (a plugin may act on what is made): then ``make`` runs, as it
always did. The tests of making actors (the services, the token endpoint) call them directly.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from sqlalchemy import text

from tests.support.demo_copy import TABLES, copy_file_in, is_fresh, sqlite_file
from trustcenter.bootstrap import Container

T = TypeVar("T")


@dataclass(frozen=True)
class _Copy:
    backend: str
    where: str  # the SQLite file, or the PostgreSQL schema
    restore: str  # PostgreSQL: the one script that puts the copy back
    made: Any


_COPIES: dict[tuple[object, ...], _Copy] = {}


def copy_schemas(schema: str) -> list[str]:
    """The schemas this process made beside ``schema`` for its copies."""
    return [
        c.where
        for c in _COPIES.values()
        if c.backend == "postgresql" and c.where.startswith(f"{schema}_copy")
    ]


async def kept(world: Any, name: str, make: Callable[[], Awaitable[list[T]]]) -> list[T]:
    """The actors (``tests.helpers.Actor``) ``make`` makes in ``world``, on a fresh database made
    once per process and copied after: for fixtures whose tests do not test the making.
    ``name`` says what ``make`` makes."""

    def handed_back(actors: list[T]) -> list[T]:
        return [replace(a, http=world.http) for a in actors]  # type: ignore[type-var]

    return await made_once(world.container, name, make, handed_back)


async def made_once(
    container: Container,
    name: str,
    make: Callable[[], Awaitable[T]],
    handed_back: Callable[[T], T],
) -> T:
    """``make()`` on ``container``'s database; on a fresh one, from the copy kept when it was
    first made (``handed_back`` turns the kept result into this test's, e.g. actors on this
    test's HTTP client)."""
    key = _key(container, name)
    if key is None or not await is_fresh(container):
        return await make()
    kept = _COPIES.get(key)
    if kept is not None:
        await _restore(container, kept)
        return handed_back(kept.made)
    made = await make()
    _COPIES[key] = await _copy(container, len(_COPIES), handed_back(made))  # kept apart
    return made


def _key(container: Container, name: str) -> tuple[object, ...] | None:
    if not all(p.builtin for p in container.plugins.describe()):
        return None
    return (name, repr(container.settings), container.clock.now())


async def _copy(container: Container, number: int, made: Any) -> _Copy:
    if container.db.dialect == "sqlite":
        path = sqlite_file(container)
        target = path.with_name(f"copy{number}-{os.getpid()}.db")
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("VACUUM INTO ?", (str(target),))
        return _Copy("sqlite", str(target), "", made)
    schema = container.settings.database_schema
    assert schema
    where = f"{schema}_copy{number}"
    async with container.db.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{where}"'))
        filled = []
        for table in TABLES:
            await conn.execute(text(f'CREATE TABLE "{where}"."{table}" AS TABLE "{table}"'))
            if await conn.scalar(text(f'SELECT EXISTS (SELECT 1 FROM "{table}")')):  # noqa: S608
                filled.append(table)
        serials = (
            await conn.execute(
                text(
                    "SELECT table_name, column_name, "
                    "pg_get_serial_sequence(quote_ident(table_name), column_name) "
                    "FROM information_schema.columns WHERE table_schema = current_schema() "
                    "AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')"
                )
            )
        ).all()
    script = "".join(
        [
            "BEGIN; SET LOCAL session_replication_role = replica;",
            *(f'DELETE FROM "{t}";' for t in reversed(TABLES)),  # noqa: S608 (the models' names)
            *(f'INSERT INTO "{t}" SELECT * FROM "{where}"."{t}";' for t in filled),  # noqa: S608
            *(
                f"SELECT setval('{seq}', COALESCE(MAX(\"{column}\"), 0) + 1, false) "  # noqa: S608
                f'FROM "{table}";'
                for table, column, seq in serials
                if seq
            ),
            "COMMIT;",
        ]
    )
    return _Copy("postgresql", where, script, made)


async def _restore(container: Container, kept: _Copy) -> None:
    if kept.backend == "sqlite":
        await copy_file_in(container, kept.where)
        return
    async with container.db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        await raw.driver_connection.execute(kept.restore)  # type: ignore[union-attr]
