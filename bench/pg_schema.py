"""A private PostgreSQL schema for a benchmark run: made and migrated, then dropped."""

from __future__ import annotations

from sqlalchemy import text

from trustcenter.db import migrate
from trustcenter.db.session import Database


async def create_schema(url: str, schema: str) -> None:
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    await admin.dispose()
    db = Database(url, schema=schema)
    await migrate.upgrade(db.engine, db.url, schema)
    await db.dispose()


async def drop_schema(url: str, schema: str) -> None:
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    await admin.dispose()
