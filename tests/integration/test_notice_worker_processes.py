"""The notice worker as real processes: a worker killed mid-batch (SIGKILL right after a
channel accepted a notice) and the real ``trustcenter worker`` taking over, and two workers
claiming from one PostgreSQL database at once. Every notice reaches the user exactly once.

The workers run as subprocesses (``tests.support.notice_proc`` and the installed console
script) with the real system clock; the notices are made due for it (a day before the suite's
fixed clock, which is in the past).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import sys
import uuid
from asyncio.subprocess import PIPE
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url

from tests.api import test_notice_scheduling as scheduling
from tests.helpers import World
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Account, Notice, OutboxMessage

REPO = Path(__file__).resolve().parents[2]
TRUSTCENTER = Path(sys.executable).parent / "trustcenter"
TIMEOUT = 120
#: a killed worker's batch, and how many of its second batch were handed on before it died
BATCH, CRASH_AFTER = 10, 13

#: the accounts released() needs (the owner of the e-mail target and of the camera)
users = scheduling.users


def worker_env(container: Container, **extra: str) -> dict[str, str]:
    """The environment of a worker process: this test's database and nothing else of ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTCENTER_")}
    env["TRUSTCENTER_DATABASE_URL"] = container.settings.database_url
    if container.settings.database_schema:
        env["TRUSTCENTER_DATABASE_SCHEMA"] = container.settings.database_schema
    env["TRUSTCENTER_PLUGINS"] = ""
    env["TRUSTCENTER_LOG_LEVEL"] = "WARNING"
    env.update(extra)
    return env


def notice_proc(log: Path, *options: object) -> list[str]:
    return [sys.executable, "-m", "tests.support.notice_proc", "--log", str(log)] + [
        str(o) for o in options
    ]


class Finished(NamedTuple):
    returncode: int
    stdout: str
    stderr: str


async def run(cmd: list[str], env: dict[str, str]) -> Finished:
    """Run a process to its end (killed after TIMEOUT seconds)."""
    proc = await asyncio.create_subprocess_exec(*cmd, cwd=REPO, env=env, stdout=PIPE, stderr=PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), TIMEOUT)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    assert proc.returncode is not None
    return Finished(proc.returncode, out.decode(), err.decode())


@contextlib.contextmanager
def worker_lock(database: str) -> Iterator[None]:
    """Hold the SQLite worker lock, as a running ``trustcenter worker`` does."""
    with open(f"{database}.worker-lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        yield


async def make_due_notices(
    container: Container, world: World, clock: FixedClock, n: int
) -> set[uuid.UUID]:
    """One real released request (with its notices), plus ``n`` accounts with a notice each for
    it; every notice due a day ago. Returns the ids of all of them."""
    await scheduling.released(world)
    now = clock.now()
    due = now - timedelta(days=1)
    async with container.db.transaction() as s:
        request_id, disclosure_id = (
            await s.execute(select(Notice.request_id, Notice.disclosure_id).limit(1))
        ).one()
        accounts = [
            {
                "id": uuid.uuid4(),
                "username": f"proc-user-{i:04d}",
                "email": f"proc-user-{i:04d}@example.com",
                "region": "DE",
                "language": "en",
                "registered_at": datetime(2024, 1, 1, tzinfo=UTC),
            }
            for i in range(n)
        ]
        await s.execute(insert(Account), accounts)
        notices = [
            {
                "id": uuid.uuid4(),
                "request_id": request_id,
                "disclosure_id": disclosure_id,
                "account_id": a["id"],
                "status": "scheduled",
                "info_types": "A",
                "released_at": now,
                "due_at": due,
                "created_at": now,
                "deliveries": 0,
                "attempts": 0,
            }
            for a in accounts
        ]
        await s.execute(insert(Notice), notices)
        await s.execute(update(Notice).values(due_at=due))  # the real ones are due now too
        ids = set((await s.scalars(select(Notice.id))).all())
    assert len(ids) == n + 2  # the account's owner and the camera's owner
    return ids


async def notices_by_status(container: Container) -> dict[str, int]:
    async with container.db.reader() as s:
        rows = await s.execute(select(Notice.status, func.count()).group_by(Notice.status))
        return {status: count for status, count in rows}


async def outbox_counts(container: Container) -> Counter[uuid.UUID]:
    async with container.db.reader() as s:
        rows = await s.execute(
            select(OutboxMessage.notice_id, func.count()).group_by(OutboxMessage.notice_id)
        )
        return Counter({notice_id: count for notice_id, count in rows})


async def assert_each_delivered_once(container: Container, ids: set[uuid.UUID]) -> None:
    async with container.db.reader() as s:
        rows = (await s.execute(select(Notice.id, Notice.status, Notice.deliveries))).all()
    assert {r.id for r in rows} == ids
    wrong = [
        (r.id, r.status, r.deliveries) for r in rows if (r.status, r.deliveries) != ("delivered", 1)
    ]
    assert wrong == []
    outbox = await outbox_counts(container)
    assert set(outbox) == ids
    assert [k for k, c in outbox.items() if c != 1] == []
    assert sum(outbox.values()) == len(ids)


def calls(log: Path) -> list[uuid.UUID]:
    return [uuid.UUID(line) for line in log.read_text().split()] if log.exists() else []


async def test_a_worker_killed_mid_batch_is_taken_over_and_every_notice_goes_out_once(
    users: Any, world: World, container: Container, clock: FixedClock, tmp_path: Path
) -> None:
    # three batches' worth: one done, one in flight when the worker dies, one never claimed
    total = await make_due_notices(container, world, clock, 3 * BATCH - 2)
    postgres = container.db.dialect == "postgresql"
    log = tmp_path / "calls.log"
    lease = ["--lease", 1] if postgres else []  # SQLite: the restarted worker frees the claims
    crashed = await run(
        notice_proc(log, "--batch-size", BATCH, "--crash-after", CRASH_AFTER, *lease),
        worker_env(container),
    )
    assert crashed.returncode == -9, crashed.stderr
    made = calls(log)
    assert len(made) == len(set(made)) == CRASH_AFTER
    last = made[-1]  # accepted by the channel, never recorded by the worker
    left = len(total) - BATCH
    assert await notices_by_status(container) == {"delivered": BATCH, "scheduled": left}
    async with container.db.reader() as s:
        held = (
            await s.execute(select(Notice.claimed_by, Notice.available_at).where(Notice.id == last))
        ).one()
        claimed_until = await s.scalar(
            select(func.max(Notice.available_at)).where(Notice.claimed_by.is_not(None))
        )
    assert held.claimed_by is not None  # the dead worker's claim is still there
    assert claimed_until is not None
    if not postgres:  # its 5-minute lease holds: only releasing the claims at start frees them
        assert claimed_until > datetime.now(UTC) + timedelta(minutes=4)
    assert (await outbox_counts(container))[last] == 1

    if postgres:  # the real worker must wait for the lease to end, then take the claims over
        leased = (claimed_until - datetime.now(UTC)).total_seconds()
        assert leased < 2
        await asyncio.sleep(max(leased, 0) + 0.3)
    restarted = await run(
        [str(TRUSTCENTER), "worker", "--once", "--json"],
        worker_env(container, TRUSTCENTER_NOTICE_CHANNELS="outbox"),
    )
    assert restarted.returncode == 0, restarted.stderr
    summary = json.loads(restarted.stdout)
    assert (summary["delivered"], summary["lost"], summary["failed"]) == (left, 0, 0)

    await assert_each_delivered_once(container, total)
    assert (await outbox_counts(container))[last] == 1


async def test_two_workers_at_once_hand_every_notice_to_a_channel_once(
    users: Any, world: World, container: Container, clock: FixedClock, tmp_path: Path
) -> None:
    if container.db.dialect != "postgresql":
        pytest.skip("on SQLite one worker runs (the command enforces it); see the next test")
    total = await make_due_notices(container, world, clock, 200)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    ready = [tmp_path / "a.ready", tmp_path / "b.ready"]
    env = worker_env(container)
    runs = [
        run(
            notice_proc(
                logs[i],
                "--batch-size",
                10,
                "--delay-ms",
                3,
                "--ready",
                ready[i],
                "--wait-for",
                *ready,
            ),
            env,
        )
        for i in range(2)
    ]
    finished = await asyncio.gather(*runs)
    for done in finished:
        assert done.returncode == 0, done.stderr
    summaries = [json.loads(done.stdout) for done in finished]

    a, b = calls(logs[0]), calls(logs[1])
    handed = Counter(a + b)
    assert [k for k, c in handed.items() if c != 1] == []  # no notice went to a channel twice
    assert set(handed) == total
    assert a and b, "both workers delivered"
    assert [s["delivered"] for s in summaries] == [len(a), len(b)]
    assert [s["lost"] for s in summaries] == [0, 0]
    await assert_each_delivered_once(container, total)


async def test_a_second_worker_on_one_sqlite_file_is_refused(container: Container) -> None:
    if container.db.dialect != "sqlite":
        pytest.skip("the single-worker lock is SQLite's; PostgreSQL runs several workers")
    database = make_url(container.db.url).database
    assert database
    with worker_lock(database):  # the first worker, still running
        refused = await run(
            [str(TRUSTCENTER), "worker", "--once"],
            worker_env(container, TRUSTCENTER_NOTICE_CHANNELS="outbox"),
        )
    assert refused.returncode != 0
    assert "another notice worker" in refused.stderr
