"""Benchmark: the webhook worker on PostgreSQL, delivering pending events to a local receiver
over HTTP, one worker against two.

The receiver is a tiny ASGI app under uvicorn in its own process (``bench/webhook_receiver.py``)
that answers 204 and records every ``webhook-id``, verifying one signature in 100 with the
``standardwebhooks`` library. The events are spread over 10 endpoints of one agency (all on the
receiver). Each run starts from the same state: every delivery pending and due, the table
vacuumed, the receiver's record empty. The workers are separate OS processes (spawn), each with
its own engine and a ``WebhookWorker`` as ``trustcenter worker`` makes it (batches of 100, 16
sent at once); they start together and each calls ``run_once()`` until nothing is due. Then:

  events     webhook-ids the receiver got, over all workers
  seconds    from the first worker's start to the last worker's end
  dupes      webhook-ids the receiver got more than once (must be 0)

and every delivery must be ``delivered`` in the database, none missed by the receiver, no bad
signature. The first entry of ``--workers`` is the baseline; the others are printed as ratios of
events/s against it.

Usage: python bench/webhooks.py [--events 100000] [--workers 1,2] [--batch-size 100]
                               [--concurrency 16]
PostgreSQL: TRUSTCENTER_BENCH_POSTGRES_URL (default the local server's ``test`` database); the
benchmark works in a private schema that it drops at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import multiprocessing as mp
import os
import queue
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from goal import goal
from pg_schema import create_schema, drop_schema
from sqlalchemy import func, insert, select, text, update

from trustcenter.clock import SystemClock
from trustcenter.db.models import Agency, WebhookDelivery, WebhookEndpoint
from trustcenter.db.session import Database
from trustcenter.domain.webhooks import EventType, encode_event_types
from trustcenter.services.access import operator

URL = os.environ.get(
    "TRUSTCENTER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
HERE = Path(__file__).parent
ENDPOINTS = 10
CHUNK = 10_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the database ---------------------------------------------------------------------------


async def seed(db: Database, events: int, port: int, secret: str) -> None:
    now = datetime.now(UTC)
    agency_id = uuid.uuid4()
    endpoints = [uuid.uuid4() for _ in range(ENDPOINTS)]
    async with db.transaction() as s:
        await s.execute(
            insert(Agency).values(
                id=agency_id,
                name="Bench police",
                kind="law_enforcement",
                country="DE",
                verification="verified",
                created_at=now - timedelta(days=365),
            )
        )
        await s.execute(
            insert(WebhookEndpoint),
            [
                {
                    "id": e,
                    "agency_id": agency_id,
                    "url": f"http://127.0.0.1:{port}/hook/{n}",
                    "event_types": encode_event_types(EventType),
                    "secret": secret,
                    "created_at": now,
                    "updated_at": now,
                }
                for n, e in enumerate(endpoints)
            ],
        )
    for start in range(0, events, CHUNK):
        async with db.transaction() as s:
            await s.execute(
                insert(WebhookDelivery),
                [
                    {
                        "endpoint_id": endpoints[n % ENDPOINTS],
                        "agency_id": agency_id,
                        "message_id": f"msg_{uuid.uuid4().hex}",
                        "event_type": EventType.DECIDED.value,
                        "request_id": uuid.uuid4(),
                        "payload": json.dumps(
                            {"type": "request.decided", "data": {"n": n, "status": "decided"}}
                        ),
                        "status": "pending",
                        "available_at": now,
                        "created_at": now,
                    }
                    for n in range(start, min(events, start + CHUNK))
                ],
            )


async def reset(db: Database) -> None:
    """Every delivery pending and due again, as never tried; the table vacuumed."""
    async with db.transaction() as s:
        await s.execute(
            update(WebhookDelivery).values(
                status="pending",
                attempts=0,
                available_at=datetime.now(UTC) - timedelta(seconds=1),
                claimed_by=None,
                delivered_at=None,
                last_status=None,
                last_error=None,
            )
        )
    async with db.engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("VACUUM (ANALYZE) webhook_deliveries"))


async def by_status(db: Database) -> dict[str, int]:
    async with db.reader() as s:
        rows = await s.execute(
            select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)
        )
        return {k: int(v) for k, v in rows}


async def all_ids(db: Database) -> set[str]:
    async with db.reader() as s:
        return set((await s.scalars(select(WebhookDelivery.message_id))).all())


# --- one worker process ---------------------------------------------------------------------


def worker_process(
    url: str, schema: str, options: dict[str, int], ready: Any, go: Any, results: Any
) -> None:
    results.put(asyncio.run(_worker(url, schema, options, ready, go)))


async def _worker(
    url: str, schema: str, options: dict[str, int], ready: Any, go: Any
) -> dict[str, Any]:
    from trustcenter.db.uow import UnitOfWorks
    from trustcenter.services.webhook_http import WebhookSender
    from trustcenter.services.webhook_worker import WebhookSettings, WebhookWorker

    db = Database(url, schema=schema)
    sender = WebhookSender(production=False)
    worker = WebhookWorker(
        UnitOfWorks(db), SystemClock(), sender, secret_key=None, settings=WebhookSettings(**options)
    )
    async with db.engine.connect() as conn:  # connected before the start
        await conn.execute(text("SELECT 1"))
    ready.put(os.getpid())
    go.wait()
    cpu0, start = time.process_time(), time.monotonic()
    passed = await worker.run_once(operator("bench", frozenset({"notices"})))
    end, cpu1 = time.monotonic(), time.process_time()
    await sender.close()
    await db.dispose()
    return {
        "pid": os.getpid(),
        "start": start,
        "end": end,
        "cpu": cpu1 - cpu0,
        "delivered": passed.delivered,
        "lost": passed.lost,
        "retrying": passed.retrying,
        "failed": passed.failed,
        "batches": passed.batches,
        "errors": passed.errors[:3],
    }


def run_workers(
    url: str, schema: str, workers: int, options: dict[str, int]
) -> list[dict[str, Any]]:
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(target=worker_process, args=(url, schema, options, ready, go, results))
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    go.set()
    out: list[dict[str, Any]] = []
    while len(out) < len(procs):
        try:
            out.append(results.get(timeout=1))
        except queue.Empty:
            dead = [p for p in procs if p.exitcode]
            if dead:
                message = f"worker process {dead[0].pid} exited with {dead[0].exitcode}"
                raise SystemExit(message) from None
    for p in procs:
        p.join()
    return out


# --- the parent -----------------------------------------------------------------------------


async def measure(
    db: Database, receiver: httpx.AsyncClient, workers: int, options: dict[str, int]
) -> dict[str, Any]:
    await reset(db)
    await receiver.post("/reset")
    done = await asyncio.to_thread(run_workers, URL, db.schema or "", workers, options)
    got = Counter((await receiver.get("/ids")).text.split())
    stats = (await receiver.get("/stats")).json()
    expected = await all_ids(db)
    seconds = max(w["end"] for w in done) - min(w["start"] for w in done)
    events = sum(got.values())
    return {
        "workers": workers,
        "events": events,
        "seconds": seconds,
        "rate": events / seconds,
        "dupes": sum(1 for c in got.values() if c > 1),
        "missing": len(expected - set(got)),
        "status": await by_status(db),
        "verified": stats["verified"],
        "bad_signatures": stats["bad_signatures"],
        "per_worker": done,
    }


def report(runs: list[dict[str, Any]], events: int) -> bool:
    ok = True
    base = runs[0]
    print()
    print(f"{'workers':>7}  {'events':>9}  {'seconds':>8}  {'events/s':>9}  {'dupes':>5}  ratio")
    for r in runs:
        print(
            f"{r['workers']:>7}  {r['events']:>9,}  {r['seconds']:>8.1f}  {r['rate']:>9,.0f}"
            f"  {r['dupes']:>5}  {r['rate'] / base['rate']:.2f}x"
        )
    for r in runs:
        cpu = sum(w["cpu"] for w in r["per_worker"])
        print(f"\n{r['workers']} worker(s): workers' CPU {cpu:.1f} s")
        for w in r["per_worker"]:
            print(
                f"  pid {w['pid']}: {w['delivered']:,} delivered in {w['batches']:,} batches,"
                f" {w['end'] - w['start']:.1f} s; lost {w['lost']}, retrying {w['retrying']},"
                f" failed {w['failed']}" + (f"; errors {w['errors']}" if w["errors"] else "")
            )
        problems = []
        if r["dupes"]:
            problems.append(f"{r['dupes']:,} webhook-ids received more than once")
        if r["missing"] or r["events"] != events:
            problems.append(f"{r['events']:,} received, {r['missing']:,} never")
        if r["status"] != {"delivered": events}:
            problems.append(f"statuses {r['status']}")
        if r["bad_signatures"]:
            problems.append(f"{r['bad_signatures']} signatures did not verify")
        print(
            f"  {r['verified']:,} signatures verified by the receiver"
            + (f" -- FAILED: {'; '.join(problems)}" if problems else "; all exactly once")
        )
        ok = ok and not problems
    for r in runs[1:]:
        goal(
            f"webhooks-{r['workers']}-workers",
            f"{r['rate']:,.0f} events/s, {r['dupes']} duplicates",
            r["rate"] / base["rate"],
            ">= 0.9",
            f"against {base['rate']:,.0f} events/s with {base['workers']}",
        )
    return ok


async def bench(args: argparse.Namespace, workers: list[int], port: int, secret: str) -> bool:
    schema = f"tc_bench_{secrets.token_hex(4)}"
    await create_schema(URL, schema)
    db = Database(URL, schema=schema)
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as receiver:
            for _ in range(100):  # the receiver is up
                try:
                    await receiver.get("/stats")
                    break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            t0 = time.perf_counter()
            await seed(db, args.events, port, secret)
            print(f"seeded {args.events:,} deliveries in {time.perf_counter() - t0:.1f} s")
            options = {"batch_size": args.batch_size, "concurrency": args.concurrency}
            runs = []
            for n in workers:
                run = await measure(db, receiver, n, options)
                print(f"{n} worker(s): {run['events']:,} events in {run['seconds']:.1f} s")
                runs.append(run)
        return report(runs, args.events)
    finally:
        await db.dispose()
        await drop_schema(URL, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", default="1,2", help="worker counts, the first the baseline")
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",") if n.strip()]
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    port = free_port()
    receiver = [sys.executable, str(HERE / "webhook_receiver.py"), "--port", str(port)]
    served = subprocess.Popen([*receiver, "--secret", secret])  # noqa: S603 - our own script
    try:
        ok = asyncio.run(bench(args, workers, port, secret))
    finally:
        served.terminate()
        served.wait(10)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
