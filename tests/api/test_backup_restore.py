"""Backups restore into a fresh database and the audit chain still verifies there
(``docs/operations.md``, *Backups and restore*), on SQLite and PostgreSQL, with the real tools:
``pg_dump``/``pg_restore`` for PostgreSQL, SQLite's online ``VACUUM INTO`` for the file, then
``trustcenter audit verify`` as a process on the copy."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.api.audit_helpers import all_events
from tests.api.test_audit_tamper import CLI, _a_full_flow
from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES
from tests.helpers import Flow
from trustcenter.bootstrap import Container
from trustcenter.db.session import Database


async def _run(*argv: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def _verify(url: str, schema: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTCENTER_")}
    env["TRUSTCENTER_DATABASE_URL"] = url
    if schema:
        env["TRUSTCENTER_DATABASE_SCHEMA"] = schema
    code, out, err = await _run(CLI, "audit", "verify", "--json", env=env)
    assert code == 0 and "Traceback" not in err, (out, err)
    return json.loads(out)  # type: ignore[no-any-return]


async def _restored_refuses_edits(db: Database) -> None:
    """The append-only guard came back with the data (the triggers are in the dump)."""
    with pytest.raises(DBAPIError, match="append-only"):
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE audit_events SET data = '{}' WHERE seq = 1"))


async def test_a_backup_restores_into_a_fresh_database_and_verifies(
    flow: Flow, container: Container, tmp_path: Path
) -> None:
    await _a_full_flow(flow)
    events = await all_events(container)  # sealed, as serve leaves them
    expected = {"ok": True, "events": len(events), "unsealed": 0}
    if container.db.dialect == "sqlite":
        copy = tmp_path / "backup.db"
        live = make_url(container.settings.database_url).database
        assert live
        with closing(sqlite3.connect(live, isolation_level=None)) as source:
            source.execute("VACUUM INTO ?", (str(copy),))  # online: writers may go on
        url = f"sqlite+aiosqlite:///{copy}"
        assert await _verify(url, None) == expected
        restored = Database(url)
        try:
            await _restored_refuses_edits(restored)
        finally:
            await restored.dispose()
        return
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            if REQUIRE_POSTGRES:
                pytest.fail(f"{tool} is not installed, and this run requires PostgreSQL (CI)")
            pytest.skip(f"{tool} is not installed: the PostgreSQL backup was not tried")
    schema = container.settings.database_schema
    assert schema
    server = make_url(POSTGRES_URL)
    where = ["-h", server.host or "127.0.0.1", "-p", str(server.port or 5432)]
    where += ["-U", server.username or "postgres"]
    dump = tmp_path / "trustcenter.dump"
    code, _, err = await _run(
        "pg_dump", *where, "-d", server.database or "test", "--format=custom",
        f"--schema={schema}", "--no-owner", "-f", str(dump),
    )  # fmt: skip
    assert code == 0, err
    fresh = f"tc_restore_{secrets.token_hex(4)}"
    admin = Database(POSTGRES_URL)
    async with admin.engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f'CREATE DATABASE "{fresh}"'))
    try:
        code, _, err = await _run(
            "pg_restore", *where, "-d", fresh, "--no-owner", "--exit-on-error", str(dump)
        )
        assert code == 0, err
        url = server.set(database=fresh).render_as_string(hide_password=False)
        assert await _verify(url, schema) == expected
        restored = Database(url, schema=schema)
        try:
            await _restored_refuses_edits(restored)
        finally:
            await restored.dispose()
    finally:
        async with admin.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{fresh}" WITH (FORCE)'))
        await admin.dispose()
