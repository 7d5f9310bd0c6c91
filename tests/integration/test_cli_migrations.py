"""``trustcenter db downgrade``, ``db current`` and ``db history`` on both databases, and the ASGI
application ``trustcenter.web.asgi:app`` that any ASGI server can serve: built from the
environment on its first event, migrating at its start unless told to only check."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from tests.conftest import MigratedDatabase
from tests.integration.fresh_database import Fresh, fresh_database
from trustcenter.cli import main
from trustcenter.db import migrate
from trustcenter.web.asgi import LazyApp, from_env

HEAD = migrate.head_revision()


def cli(fresh: Fresh, *args: str) -> Result:
    env: dict[str, str | None] = {"TRUSTCENTER_DATABASE_SCHEMA": None, **fresh.env()}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


async def acli(fresh: Fresh, *args: str) -> Result:
    """``cli`` from an async test: the command runs its own event loop, so in a thread."""
    return await asyncio.to_thread(cli, fresh, *args)


async def tables(fresh: Fresh) -> set[str]:
    from sqlalchemy import inspect

    db = fresh.database()
    try:
        async with db.engine.connect() as conn:
            return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await db.dispose()


async def test_upgrade_downgrade_upgrade_round_trip(
    migrated: MigratedDatabase, tmp_path: Path
) -> None:
    async with fresh_database(migrated.backend, tmp_path) as fresh:
        empty = await acli(fresh, "db", "downgrade", "0013")
        assert empty.exit_code == 1 and "no schema yet: nothing to take back" in empty.output
        assert (await acli(fresh, "db", "upgrade")).stdout == f"database at revision {HEAD}\n"
        assert (await acli(fresh, "db", "current")).stdout == f"{HEAD} (current)\n"
        assert "report_facts" in await tables(fresh)

        back = await acli(fresh, "db", "downgrade", "0013")
        assert (back.exit_code, back.stdout) == (0, "database at revision 0013\n")
        assert "report_facts" not in await tables(fresh)  # 0016's table is gone
        behind = await acli(fresh, "db", "current")
        assert behind.exit_code == 1
        assert behind.stdout == f"0013 (this version needs {HEAD}: run 'trustcenter db upgrade')\n"
        history = (await acli(fresh, "db", "history")).stdout.splitlines()
        assert [line[:6] for line in history] == [
            f"{'*' if r == '0013' else ' '} {r}" for r in migrate.revisions()
        ]
        assert history[0] == "  0001  initial schema"

        # the hostile caller: a revision that does not exist, one ahead of the database
        hostile = "0013; DROP TABLE agencies"
        unknown = await acli(fresh, "db", "downgrade", hostile)
        assert unknown.exit_code == 2 and f"no revision {hostile!r}" in unknown.output
        ahead = await acli(fresh, "db", "downgrade", "0015")
        assert ahead.exit_code == 1
        assert "revision 0015 is newer than the database's (0013)" in ahead.output
        assert (await acli(fresh, "db", "current")).stdout.startswith("0013 ")  # nothing changed

        assert (await acli(fresh, "db", "upgrade")).stdout == f"database at revision {HEAD}\n"
        assert "report_facts" in await tables(fresh)
        assert (await acli(fresh, "db", "current")).exit_code == 0


def test_the_asgi_module_imports_nothing_of_the_application() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import sys, trustcenter.web.asgi as a; "
         "print(sorted(m for m in ('starlette', 'strawberry', 'sqlalchemy') if m in sys.modules))"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert done.stdout == "[]\n"


class Lifespan:
    """An ASGI server's lifespan conversation with ``app``: start-up, then shut-down."""

    def __init__(self, app: LazyApp) -> None:
        self.app = app
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def start(self) -> dict[str, Any]:
        async def receive() -> dict[str, Any]:
            return await self.inbox.get()

        async def send(message: Any) -> None:
            await self.outbox.put(dict(message))

        async def serve() -> None:
            try:
                await self.app(scope, receive, send)
            except BaseException as error:  # as uvicorn does: a failed start-up ends the app
                self.error = error

        scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        self.error: BaseException | None = None
        self.task = asyncio.create_task(serve())
        await self.inbox.put({"type": "lifespan.startup"})
        return await self.outbox.get()

    async def stop(self) -> dict[str, Any]:
        await self.inbox.put({"type": "lifespan.shutdown"})
        said = await self.outbox.get()
        await self.task
        return said


def asgi_env(monkeypatch: pytest.MonkeyPatch, fresh: Fresh, **extra: str) -> None:
    for name, value in {**fresh.env(), **extra}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("TRUSTCENTER_DATABASE_SCHEMA", raising=False)


def test_a_worker_whose_manager_is_gone_stops() -> None:
    """``follow_parent`` with a parent that is not (or no longer) this process's: SIGTERM."""
    script = (
        "import os, time; from trustcenter.web.asgi import follow_parent; "
        "follow_parent(os.getppid() + 1, every=0.05); time.sleep(60); print('still here')"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)  # noqa: S603
    assert done.returncode == -signal.SIGTERM and done.stdout == b""


async def test_the_asgi_app_migrates_a_fresh_database_at_its_start_and_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = Fresh(f"sqlite:///{tmp_path / 'asgi.db'}", None)
    asgi_env(monkeypatch, fresh, TRUSTCENTER_SEAL_EVERY="0")
    app = LazyApp(from_env)
    server = Lifespan(app)
    assert await server.start() == {"type": "lifespan.startup.complete"}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            assert (await http.get("/readyz")).json() == {"status": "ready"}
            r = await http.post("/graphql", json={"query": "{ transparencyReportYears }"})
        assert r.status_code == 200 and r.json()["data"] == {"transparencyReportYears": []}
    finally:
        assert await server.stop() == {"type": "lifespan.shutdown.complete"}
    assert (await acli(fresh, "db", "current")).stdout == f"{HEAD} (current)\n"


async def test_the_asgi_app_told_not_to_migrate_refuses_an_old_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = Fresh(f"sqlite:///{tmp_path / 'old.db'}", None)
    asgi_env(monkeypatch, fresh, TRUSTCENTER_MIGRATE_AT_START="0")
    server = Lifespan(LazyApp(from_env))
    failed = await server.start()
    assert failed["type"] == "lifespan.startup.failed"
    assert "at revision none, the code needs" in failed["message"]
    assert "run 'trustcenter db upgrade' first" in failed["message"]
    await server.task
    assert isinstance(server.error, SystemExit)
    assert (await acli(fresh, "db", "current")).stdout.startswith("none ")  # nothing migrated


async def test_the_asgi_app_with_a_bad_setting_fails_its_start_up_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = Fresh(f"sqlite:///{tmp_path / 'never.db'}", None)
    asgi_env(monkeypatch, fresh, TRUSTCENTER_ENV="staging")
    server = Lifespan(LazyApp(from_env))
    failed = await server.start()
    assert failed["type"] == "lifespan.startup.failed"
    assert "TRUSTCENTER_ENV must be one of development, production" in failed["message"]
    await server.task
    assert server.error is None  # told the server, which stops (uvicorn: exit code 3)
    assert not (tmp_path / "never.db").exists()
