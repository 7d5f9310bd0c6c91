"""``trustcenter serve --workers N`` and ``trustcenter db upgrade`` as real processes.

On PostgreSQL two workers serve; one killed with SIGKILL is replaced while the other keeps
answering; SIGTERM to the parent lets a request already under way finish with its answer, and the
parent exits 0 having removed the metrics folder it made. On SQLite more than one worker is
refused before anything starts; workers that fail to start stop ``serve`` with exit code 1.
Three ``db upgrade`` at once on a database nobody migrated all
succeed (they take turns: ``db.migrate``'s lock). Each process costs about a second of CPU to
import, so one server run carries the checks of serving, replacing and draining.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import time
from asyncio.subprocess import DEVNULL
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.conftest import MigratedDatabase
from tests.integration.fresh_database import Fresh, fresh_database
from tests.integration.test_notice_worker_processes import TRUSTCENTER, run
from trustcenter.bootstrap import Container
from trustcenter.db import migrate
from trustcenter.services.outbound_tls import default_trust

#: seconds a server may take to answer /readyz, or to replace a worker (a loaded machine)
PATIENCE = 90
YEARS = {"query": "query Years { transparencyReportYears }"}
EXPECTED = {"transparencyReportYears": []}
#: the certificates made once: a client of its own per request would read them again each time
TRUST = default_trust(trust_env=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workers_of(parent: int) -> set[int]:
    """The parent's worker processes (uvicorn starts them with multiprocessing's spawn; its
    resource tracker, also a child, is not one)."""
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != parent:
                continue
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:  # ended meanwhile
            continue
        if b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def is_dir(path: str) -> bool:
    return Path(path).is_dir()


def is_file(path: str) -> bool:
    return Path(path).is_file()


def accepted(port: int, client: tuple[str, int]) -> bool:
    """Whether a process has accepted the connection from ``client`` to ``port``: the kernel
    lists a connection still waiting in the listen queue without a socket inode."""
    local, remote = f"0100007F:{port:04X}", f"0100007F:{client[1]:04X}"
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1:3] == [local, remote]:
            return fields[9] != "0"
    return False


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


async def eventually(check, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + PATIENCE
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"not within {PATIENCE} s: {what}"
        await asyncio.sleep(0.05)


async def years(base: str) -> tuple[int, object]:
    """One GraphQL request on a connection of its own (a killed worker's kept connections die)."""
    async with httpx.AsyncClient(base_url=base, timeout=PATIENCE, verify=TRUST) as http:
        r = await http.post("/graphql", json=YEARS)
    return r.status_code, r.json().get("data")


def server_env(container: Container, **extra: str) -> dict[str, str]:
    env = Fresh(container.settings.database_url, container.settings.database_schema).env()
    env |= {"TRUSTCENTER_GRAPHQL_ANONYMOUS_REQUESTS_PER_MINUTE": "100000", **extra}
    return env


async def test_two_workers_on_postgresql_serve_replace_a_killed_one_and_drain_on_sigterm(
    container: Container, tmp_path: Path
) -> None:
    if container.db.dialect != "postgresql":
        pytest.skip("several workers need PostgreSQL: on SQLite they are refused (next test)")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = (tmp_path / "serve.log").open("w")

    def said(line: str) -> int:
        return (tmp_path / "serve.log").read_text().count(line)

    server = await asyncio.create_subprocess_exec(
        str(TRUSTCENTER), "serve", "--workers", "2", "--port", str(port), "--seal-every", "0.5",
        cwd=tmp_path, env=server_env(container), stdout=log, stderr=log, stdin=DEVNULL,
    )  # fmt: skip
    try:

        async def ready() -> bool:
            try:
                async with httpx.AsyncClient(base_url=base, verify=TRUST) as http:
                    return (await http.get("/readyz")).status_code == 200
            except httpx.TransportError:
                return False

        async def started() -> bool:  # polled at a file's cost, not a request's
            return said("Application startup complete") >= 2

        await eventually(started, "two workers started")
        await eventually(ready, "/readyz answers 200")
        assert await years(base) == (200, EXPECTED)
        first = await eventually(lambda: _count(server.pid, 2), "two workers")
        metrics = environ_of(min(first))["PROMETHEUS_MULTIPROC_DIR"]
        assert is_dir(metrics)
        assert environ_of(min(first))["TRUSTCENTER_MIGRATE_AT_START"] == "0"

        # a worker killed: the other answers meanwhile, and a new one takes its place; its
        # pool gauge leaves the metrics' sums, its counts stay
        async def live_gauge() -> set[int]:
            await years(base)
            return {pid for pid in first if is_file(f"{metrics}/gauge_livesum_{pid}.db")}

        victim = min(await eventually(live_gauge, "a worker's live gauge file"))
        os.kill(victim, signal.SIGKILL)
        answers = await asyncio.gather(*(years(base) for _ in range(10)))
        assert answers == [(200, EXPECTED)] * 10
        now = await eventually(
            lambda: _count(server.pid, 2, without=victim), "the killed worker replaced"
        )
        assert victim not in now and len(now & first) == 1
        assert not is_file(f"{metrics}/gauge_livesum_{victim}.db")
        assert is_file(f"{metrics}/counter_{victim}.db")
        answers = await asyncio.gather(*(years(base) for _ in range(10)))
        assert answers == [(200, EXPECTED)] * 10

        # SIGTERM while a request is under way: its body half sent, the rest after the signal
        body = json.dumps(YEARS).encode()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:10]
        )
        await writer.drain()
        client = writer.get_extra_info("sockname")

        async def taken() -> bool:  # a worker holds the connection (and reads the headers)
            return accepted(port, client)

        await eventually(taken, "a worker accepts the connection")
        server.send_signal(signal.SIGTERM)

        async def draining() -> bool:  # the worker is told to stop and waits for the request
            return said("Waiting for connections to close") > 0

        await eventually(draining, "a worker waits for the request under way")
        writer.write(body[10:])
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), PATIENCE)
        writer.close()
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), answer[:300]
        assert json.loads(payload)["data"] == EXPECTED
        assert await asyncio.wait_for(server.wait(), PATIENCE) == 0
        assert not is_dir(metrics)  # the folder the parent made is gone
        assert workers_of(server.pid) == set()
        logged = (tmp_path / "serve.log").read_text()
        assert f"Child process [{victim}] died" in logged
        assert "Traceback" not in logged
    finally:
        if server.returncode is None:  # a failed check: no worker may outlive the test
            left = workers_of(server.pid)
            server.kill()
            await server.wait()
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        log.close()


async def _count(parent: int, n: int, without: int | None = None) -> set[int]:
    found = workers_of(parent)
    return found if len(found) == n and without not in found else set()


async def test_more_than_one_worker_on_sqlite_is_refused_before_anything_starts(
    migrated: MigratedDatabase, tmp_path: Path
) -> None:
    if migrated.backend != "sqlite":
        pytest.skip("PostgreSQL serves several workers: the test above")
    database = tmp_path / "never.db"
    env = Fresh(f"sqlite:///{database}", None).env()
    refused = await run([str(TRUSTCENTER), "serve", "--workers", "2", "--port", "1"], env)
    assert refused.returncode == 2
    assert "--workers 2 needs PostgreSQL" in refused.stderr
    assert "TRUSTCENTER_DATABASE_URL=postgresql+asyncpg://" in refused.stderr
    assert refused.stdout == ""  # nothing served, nothing loaded
    assert not database.exists()  # nothing migrated either


async def test_three_upgrades_at_once_on_a_fresh_database_all_succeed(
    migrated: MigratedDatabase, tmp_path: Path
) -> None:
    async with fresh_database(migrated.backend, tmp_path) as fresh:
        upgrade = [str(TRUSTCENTER), "db", "upgrade"]
        done = await asyncio.gather(*(run(upgrade, fresh.env()) for _ in range(3)))
        assert [(d.returncode, d.stderr) for d in done] == [(0, "")] * 3
        head = migrate.head_revision()
        assert [d.stdout for d in done] == [f"database at revision {head}\n"] * 3
        db = fresh.database()
        try:
            async with db.engine.connect() as conn:
                rows = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
                agencies = await conn.scalar(text("SELECT count(*) FROM agencies"))
        finally:
            await db.dispose()
        assert rows == [(head,)] and agencies == 0


FAILING_APP = """
async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "the app refuses to start"})
"""


async def test_workers_that_fail_to_start_stop_serve_with_exit_code_1(
    container: Container, tmp_path: Path
) -> None:
    if container.db.dialect != "postgresql":
        pytest.skip("several workers need PostgreSQL")
    (tmp_path / "failing_app.py").write_text(FAILING_APP)
    serve = (
        f"import sys; sys.path.insert(0, {str(tmp_path)!r}); "
        "from trustcenter.cli import main, serving; serving.ASGI_APP = 'failing_app:app'; "
        f"main(['serve', '--workers', '2', '--port', '{free_port()}'])"
    )
    done = await run([sys.executable, "-c", serve], server_env(container))
    assert done.returncode == 1
    assert "the app refuses to start" in done.stderr  # the worker's reason, in the log
    assert "a worker failed to start" in done.stderr
