"""A real webhook worker process for tests: ``python -m tests.support.webhook_proc``.

It builds the application from the environment (``TRUSTCENTER_DATABASE_URL``,
``TRUSTCENTER_DATABASE_SCHEMA`` …) with the real system clock and runs one pass of the
``WebhookWorker``, whose sender

1. sends each delivery for real (to the test's receiver),
2. appends the ``webhook-id`` of each acknowledged one to ``--log`` (``O_APPEND``, fsynced),
3. after ``--crash-after`` acknowledged deliveries kills its own process with SIGKILL: the
   receiver has the event, the worker never recorded it.

``--ready FILE --wait-for FILE …`` is the start barrier of ``tests.support.notice_proc``. At
the end it prints a JSON summary of the pass.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.support.notice_proc import OPERATOR, barrier
from trustcenter.bootstrap import build
from trustcenter.config import Settings
from trustcenter.services.webhook_http import Answer, Outgoing, WebhookSender
from trustcenter.services.webhook_worker import WebhookSettings, WebhookWorker


class CountingSender(WebhookSender):
    def __init__(self, log: Path, crash_after: int | None) -> None:
        super().__init__(production=False)
        self.log = log
        self.crash_after = crash_after
        self.acknowledged = 0

    async def send(self, out: Outgoing, at: datetime, lane: int = 0) -> Answer:
        answer = await super().send(out, at, lane)
        if not answer.acknowledged:
            return answer
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{out.message_id}\n".encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self.acknowledged += 1
        if self.crash_after is not None and self.acknowledged >= self.crash_after:
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        return answer


async def run(args: argparse.Namespace) -> dict[str, Any]:
    container = build(Settings.from_env())  # the real SystemClock
    sender = CountingSender(args.log, args.crash_after)
    try:
        settings = WebhookSettings(
            batch_size=args.batch_size,
            lease=timedelta(seconds=args.lease),
            concurrency=args.concurrency,
        )
        worker = WebhookWorker(
            container.uow, container.clock, sender, secret_key=None, settings=settings
        )
        if not await container.db.ping():
            raise SystemExit(f"the database does not answer: {container.db.url}")
        barrier(args.ready, args.wait_for)
        result = await worker.run_once(OPERATOR)
        return {
            "token": worker.token,
            "acknowledged": sender.acknowledged,
            "delivered": result.delivered,
            "lost": result.lost,
            "retrying": result.retrying,
            "failed": result.failed,
            "batches": result.batches,
            "errors": result.errors,
        }
    finally:
        await sender.close()
        await container.close()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.webhook_proc")
    parser.add_argument("--log", type=Path, required=True, help="one webhook-id per 2xx")
    parser.add_argument("--crash-after", type=int, help="SIGKILL itself after this many 2xx")
    parser.add_argument("--ready", type=Path, help="created once connected (start barrier)")
    parser.add_argument(
        "--wait-for", type=Path, nargs="*", default=[], help="start once these all exist"
    )
    parser.add_argument("--lease", type=float, default=300.0, help="claim lease in seconds")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=1)
    args = parser.parse_args(argv)
    summary = asyncio.run(run(args))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
