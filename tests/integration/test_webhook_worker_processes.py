"""The webhook worker as real processes, delivering to a real receiver on 127.0.0.1 that
verifies every signature: a worker killed mid-batch (SIGKILL right after the receiver
acknowledged an event) and the real ``trustcenter worker`` taking over, and two workers
claiming from one PostgreSQL database at once.

Exactly once is by ``webhook-id``: every event reaches the receiver, and an event is only ever
sent again when a worker died after the receiver acknowledged it and before the worker could
record it (at most the dead worker's unfinished batch, with the same ``webhook-id``, which is
what receivers deduplicate on)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import World
from tests.integration.test_notice_worker_processes import (
    BATCH,
    CRASH_AFTER,
    TRUSTCENTER,
    run,
    worker_env,
)
from tests.support.webhooks import Receiver, add_deliveries, add_endpoint, new_secret
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import WebhookDelivery

#: events for two workers claiming batches of 10 at once: fifteen batches to contend for
TWO_WORKERS_EVENTS = 150


def webhook_proc(log: Path, *options: object) -> list[str]:
    return [sys.executable, "-m", "tests.support.webhook_proc", "--log", str(log)] + [
        str(o) for o in options
    ]


def logged(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


async def by_status(container: Container) -> dict[str, int]:
    async with container.db.reader() as s:
        rows = await s.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        )
        return {status: count for status, count in rows}


async def test_a_worker_killed_mid_batch_is_taken_over_and_every_event_arrives(
    world: World, container: Container, clock: FixedClock, tmp_path: Path
) -> None:
    clock.set(datetime.now(UTC))
    secret = new_secret()
    postgres = container.db.dialect == "postgresql"
    with Receiver([secret]).running() as receiver:
        endpoint = await add_endpoint(
            container, await world.agency(), receiver.url(), secret=secret
        )
        # three batches' worth: one done, one in flight when the worker dies, one never claimed
        ids = set(await add_deliveries(container, endpoint, 3 * BATCH))
        log = tmp_path / "acked.log"
        # a short lease on PostgreSQL (SQLite: the restarted worker frees the claims); a send
        # starts only in its first half, time enough for a batch on a busy machine
        lease = ["--lease", 3] if postgres else []
        crashed = await run(
            webhook_proc(log, "--batch-size", BATCH, "--crash-after", CRASH_AFTER, *lease),
            worker_env(container),
        )
        assert crashed.returncode == -9, crashed.stderr
        before = receiver.ids()
        assert len(logged(log)) == sum(before.values()) == len(before) == CRASH_AFTER
        assert await by_status(container) == {"delivered": BATCH, "pending": 2 * BATCH}
        if postgres:  # the real worker waits for the dead one's lease to end
            async with container.db.reader() as s:
                until = await s.scalar(
                    select(func.max(WebhookDelivery.available_at)).where(
                        WebhookDelivery.claimed_by.is_not(None)
                    )
                )
            assert until is not None  # the dead worker's claims are still there
            await asyncio.sleep(max((until - datetime.now(UTC)).total_seconds(), 0) + 0.3)
        restarted = await run(
            [str(TRUSTCENTER), "worker", "--once", "--json"],
            worker_env(container, TRUSTCENTER_NOTICE_CHANNELS="outbox"),
        )
        assert restarted.returncode == 0, restarted.stderr
        after = receiver.ids()
        verified = {h.verified for h in receiver.hits}
    summary = json.loads(restarted.stdout)["webhooks"]
    assert (summary["delivered"], summary["lost"], summary["failed"]) == (2 * BATCH, 0, 0)
    assert await by_status(container) == {"delivered": 3 * BATCH}
    assert set(after) == ids  # every event arrived
    assert verified == {(True,)}
    again = {i for i, n in after.items() if n > 1}
    # sent twice: only what the dead worker had acknowledged in its unfinished batch, once more
    assert again == set(logged(log)[BATCH:])
    assert max(after.values()) == 2


async def test_two_workers_at_once_send_every_event_once(
    world: World, container: Container, clock: FixedClock, tmp_path: Path
) -> None:
    if container.db.dialect != "postgresql":
        pytest.skip("on SQLite one worker runs (the command enforces it)")
    clock.set(datetime.now(UTC))
    secret = new_secret()
    with Receiver([secret]).running() as receiver:
        endpoint = await add_endpoint(
            container, await world.agency(), receiver.url(), secret=secret
        )
        ids = set(await add_deliveries(container, endpoint, TWO_WORKERS_EVENTS))
        logs = [tmp_path / "a.log", tmp_path / "b.log"]
        ready = [tmp_path / "a.ready", tmp_path / "b.ready"]
        env = worker_env(container)
        finished = await asyncio.gather(
            *(
                run(
                    webhook_proc(
                        logs[i], "--batch-size", 10, "--concurrency", 2, "--ready", ready[i],
                        "--wait-for", *ready,
                    ),
                    env,
                )
                for i in range(2)
            )
        )  # fmt: skip
        got = receiver.ids()
        verified = {h.verified for h in receiver.hits}
    for done in finished:
        assert done.returncode == 0, done.stderr
    summaries = [json.loads(done.stdout) for done in finished]
    a, b = logged(logs[0]), logged(logs[1])
    assert got == Counter(dict.fromkeys(ids, 1))  # no webhook-id twice
    assert Counter(a + b) == got
    assert a and b, "both workers delivered"
    assert [s["delivered"] for s in summaries] == [len(a), len(b)]
    assert [s["lost"] for s in summaries] == [0, 0]
    assert verified == {(True,)}
    assert await by_status(container) == {"delivered": TWO_WORKERS_EVENTS}
