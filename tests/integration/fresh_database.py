"""A database nobody migrated yet, on either backend: a new SQLite file, or a new PostgreSQL
schema named like the suite's own (``tc_test_<worker>_<pid>_<random>``: dropped at the end, or by
the next run if this process is killed first; tests/conftest.py)."""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import text

from tests.conftest import POSTGRES_URL, SCHEMA_PREFIX, WORKER
from trustcenter.db.session import Database


class Fresh(NamedTuple):
    url: str
    schema: str | None

    def env(self) -> dict[str, str]:
        """The ``TRUSTCENTER_*`` variables that point a process at it (and at no plugin)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTCENTER_")}
        env |= {"TRUSTCENTER_DATABASE_URL": self.url, "TRUSTCENTER_PLUGINS": ""}
        if self.schema:
            env["TRUSTCENTER_DATABASE_SCHEMA"] = self.schema
        return env

    def database(self) -> Database:
        return Database(self.url, schema=self.schema)


@asynccontextmanager
async def fresh_database(backend: str, folder: Path) -> AsyncIterator[Fresh]:
    if backend == "sqlite":
        yield Fresh(f"sqlite+aiosqlite:///{folder / 'fresh.db'}", None)
        return
    schema = f"{SCHEMA_PREFIX}{WORKER}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = Database(POSTGRES_URL)
    try:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        yield Fresh(POSTGRES_URL, schema)
    finally:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        await admin.dispose()
