"""The demo data set in a test's fresh database, played once per process and copied after.

``load_demo`` plays every request through the services (seconds of work); the tests that start
from it all start from the same state: a container that has just started (its signing key, the
key's audit event) plus the demo, at the suite's fixed clock. The first such test in a process
loads the demo for real and keeps a snapshot of its whole database (SQLite: ``VACUUM INTO`` a
file; PostgreSQL: a copy of every table in the schema ``<this run's schema>_demo``, dropped with
the run's own). Every later one, if its database is as fresh, gets the snapshot copied in, signing
key and audit chain included, and its container reads its keys again: the database is then what
``load_demo`` would have left, down to the bytes of the chain.

A database that is not fresh (a test that wrote something first), another clock, other keys:
``load_demo`` runs as it always did.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from trustcenter.bootstrap import Container
from trustcenter.db.models import Base
from trustcenter.demo import load_demo

#: every table, parents before children
TABLES = [t.name for t in Base.metadata.sorted_tables]
#: what a container's start-up writes: its first signing key and that key's audit event (and
#: the one-row tables the migrations fill)
STARTED = {"signing_keys": 1, "audit_events": 1, "audit_head": 1, "auth_epoch": 1}


@dataclass(frozen=True)
class Snapshot:
    backend: str
    where: str  # the SQLite file, or the PostgreSQL schema


_SNAPSHOTS: dict[tuple[object, ...], Snapshot] = {}


def template_schema(schema: str) -> str:
    return f"{schema}_demo"


async def load_demo_copy(container: Container) -> None:
    """The demo data in ``container``'s database, as ``load_demo`` leaves it (asserted loaded)."""
    key = _key(container)
    snapshot = _SNAPSHOTS.get(key)
    if snapshot is not None and not _still_there(snapshot):
        del _SNAPSHOTS[key]  # gone with the folder of the session fixture that made it
        snapshot = None
    fresh = await is_fresh(container)
    if snapshot is not None and fresh:
        await _restore(container, snapshot)
        await container.keys.load(container.clock.now())
        return
    loaded = await load_demo(container.db, container.clock, keys=container.disclosure_keys)
    assert loaded is not None
    if fresh and snapshot is None:
        _SNAPSHOTS[key] = await _snapshot(container)


def _still_there(snapshot: Snapshot) -> bool:
    """A SQLite snapshot lies beside the database it was taken of, in the folder of a session
    fixture that pytest may tear down and set up again (its other parameter in between); a
    PostgreSQL one lives as long as the schema it is named after, which is part of the key."""
    return snapshot.backend != "sqlite" or Path(snapshot.where).exists()


def _key(container: Container) -> tuple[object, ...]:
    s = container.settings
    return (s.database_schema or "sqlite", container.clock.now(), s.disclosure_keys, s.secret_key)


async def is_fresh(container: Container) -> bool:
    counts = " UNION ALL ".join(f"SELECT '{t}', COUNT(*) FROM {t}" for t in TABLES)  # noqa: S608
    async with container.db.engine.connect() as conn:
        rows = dict((await conn.execute(text(counts))).all())
    return all(rows[t] == STARTED.get(t, 0) for t in TABLES)


def sqlite_file(container: Container) -> Path:
    database = make_url(container.db.url).database
    assert database
    return Path(database)


async def copy_file_in(container: Container, source: str) -> None:
    """``source`` becomes ``container``'s SQLite file (under a new inode: a connection some
    test left open keeps the old file)."""
    path = sqlite_file(container)
    await container.db.engine.dispose()  # no connection holds the file
    for extra in ("-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            path.with_name(path.name + extra).unlink()
    incoming = path.with_name(path.name + ".incoming")
    shutil.copyfile(source, incoming)
    os.replace(incoming, path)


async def _snapshot(container: Container) -> Snapshot:
    if container.db.dialect == "sqlite":
        path = sqlite_file(container)
        target = path.with_name(f"demo-{os.getpid()}.db")
        with contextlib.closing(sqlite3.connect(path)) as conn:
            conn.execute("VACUUM INTO ?", (str(target),))
        return Snapshot("sqlite", str(target))
    schema = container.settings.database_schema
    assert schema
    copy = template_schema(schema)
    async with container.db.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{copy}"'))
        for table in TABLES:
            await conn.execute(text(f'CREATE TABLE "{copy}"."{table}" AS TABLE "{table}"'))
    return Snapshot("postgresql", copy)


async def _restore(container: Container, snapshot: Snapshot) -> None:
    if snapshot.backend == "sqlite":
        await copy_file_in(container, snapshot.where)
        return
    async with container.db.engine.begin() as conn:
        # the audit log's append-only triggers are bypassed for this, as when the suite empties
        # the tables between tests
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in reversed(TABLES):
            await conn.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608 (the models' names)
        for table in TABLES:
            await conn.execute(
                text(f'INSERT INTO "{table}" SELECT * FROM "{snapshot.where}"."{table}"')  # noqa: S608
            )
        sequences = await conn.execute(
            text(
                "SELECT table_name, column_name, "
                "pg_get_serial_sequence(quote_ident(table_name), column_name) "
                "FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')"
            )
        )
        for table, column, sequence in sequences.all():
            await conn.execute(
                text(
                    f"SELECT setval('{sequence}', COALESCE(MAX(\"{column}\"), 0) + 1, false) "  # noqa: S608
                    f'FROM "{table}"'
                )
            )
