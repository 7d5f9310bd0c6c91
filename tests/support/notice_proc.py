"""A real notice worker process for tests: ``python -m tests.support.notice_proc``.

It builds the application from the environment (``TRUSTCENTER_DATABASE_URL``,
``TRUSTCENTER_DATABASE_SCHEMA`` …) with the real system clock and runs one pass of the
``NoticeWorker`` through a single test channel, ``recording``, which

1. delivers through the built-in outbox (exactly once toward the user, by idempotency key),
2. appends the notice id to ``--log`` (``O_APPEND``, fsynced: every call is counted, even
   across a crash),
3. sleeps ``--delay-ms``, and
4. after ``--crash-after`` calls kills its own process with SIGKILL: the channel accepted the
   notice, the worker never recorded it.

``--ready FILE --wait-for FILE …`` is a start barrier: the process creates its ready file and
waits (at most 30 s) until every wait-for file exists, so that several processes start claiming
at the same moment. At the end it prints a JSON summary of the pass.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from trustcenter.bootstrap import build
from trustcenter.config import Settings
from trustcenter.db.repositories.outbox import SqlOutbox
from trustcenter.plugins import NoticeView, hookimpl
from trustcenter.plugins.builtin.outbox import OutboxChannel
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load
from trustcenter.services.access import operator
from trustcenter.services.notice_worker import NoticeWorker, WorkerSettings

BARRIER_TIMEOUT = 30.0
#: who runs the worker, as the command line does
OPERATOR = operator("notice-proc", frozenset({"notices"}))


class RecordingChannel:
    """Delivers through the outbox, then counts the call in the log file."""

    name = "recording"

    def __init__(
        self, db: Any, log: Path, *, crash_after: int | None = None, delay_ms: int = 0
    ) -> None:
        self.outbox = OutboxChannel(SqlOutbox(db))
        self.log = log
        self.crash_after = crash_after
        self.delay = delay_ms / 1000
        self.calls = 0

    async def deliver(self, notice: NoticeView, idempotency_key: str) -> None:
        await self.outbox.deliver(notice, idempotency_key)
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{notice.id}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.crash_after is not None and self.calls >= self.crash_after:
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)


class RecordingPlugin:
    def __init__(self, channel: RecordingChannel) -> None:
        self.channel = channel

    @hookimpl
    def trustcenter_notice_channels(self, db: Any) -> list[RecordingChannel]:
        return [self.channel] if db is not None else []


def barrier(ready: Path | None, wait_for: Sequence[Path]) -> None:
    if ready is not None:
        ready.touch()
    deadline = time.monotonic() + BARRIER_TIMEOUT
    while not all(p.exists() for p in wait_for):
        if time.monotonic() > deadline:
            missing = ", ".join(str(p) for p in wait_for if not p.exists())
            raise SystemExit(f"start barrier: still waiting for {missing} after 30 s")
        time.sleep(0.005)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    container = build(Settings.from_env())  # the real SystemClock
    try:
        channel = RecordingChannel(
            container.db, args.log, crash_after=args.crash_after, delay_ms=args.delay_ms
        )
        host = PluginHost(*load("", extra=[("recording", RecordingPlugin(channel))]))
        container.plugins = host
        channels = host.notice_channels(container.db)
        settings = WorkerSettings(batch_size=args.batch_size, lease=timedelta(seconds=args.lease))
        worker = NoticeWorker(
            container.uow, container.clock, host, [channels["recording"]], settings
        )
        # connect before the barrier, so both processes start claiming at the same moment
        if not await container.db.ping():
            raise SystemExit(f"the database does not answer: {container.db.url}")
        barrier(args.ready, args.wait_for)
        result = await worker.run_once(OPERATOR)
        return {
            "token": worker.token,
            "pid": os.getpid(),
            "calls": channel.calls,
            "delivered": result.delivered,
            "lost": result.lost,
            "retrying": result.retrying,
            "failed": result.failed,
            "batches": result.batches,
            "errors": result.errors,
        }
    finally:
        await container.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.notice_proc")
    parser.add_argument("--log", type=Path, required=True, help="one notice id per deliver()")
    parser.add_argument("--crash-after", type=int, help="SIGKILL itself after this many calls")
    parser.add_argument("--ready", type=Path, help="created once connected (start barrier)")
    parser.add_argument(
        "--wait-for", type=Path, nargs="*", default=[], help="start once these all exist"
    )
    parser.add_argument("--delay-ms", type=int, default=0, help="pause after each delivery")
    parser.add_argument("--lease", type=float, default=300.0, help="claim lease in seconds")
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args(argv)
    summary = asyncio.run(run(args))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
