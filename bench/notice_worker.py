"""Benchmark: the notice worker on PostgreSQL, 100,000 due notices, one worker against two.

Each run starts from the same state: every notice ``scheduled`` and due, the table vacuumed.
The workers are separate OS processes (multiprocessing, spawn), each with its own engine,
the built-in plugins only and a no-op channel that records the ids it was given; they are
started together once every one of them is connected, and each calls ``run_once()`` until
nothing is due. The parent then counts:

  notices    ids the channels saw, over all workers
  seconds    from the first worker's start to the last worker's end
  dupes      ids seen more than once, over all workers (must be 0: exactly once)

and checks that every notice is ``delivered`` with one delivery, that no id was missed and
that the audit log's ``notices.delivered`` events add up to the notices. The first entry of
``--workers`` is the baseline; the others are printed as ratios of notices/s against it.
Where the time goes: each worker's time in claim / deliver / finish, and the CPU seconds of
the worker processes, of their PostgreSQL backends and of the rest of the machine over the run
(read from /proc, so on Linux with a local server); a run during which other work kept the
machine busy is flagged, since its ratio says little.

Usage: python bench/notice_worker.py [--notices 100000] [--batch-size 100] [--workers 1,2]
                                    [--profile DIR]
PostgreSQL: TRUSTCENTER_BENCH_POSTGRES_URL (default the local server's ``test`` database);
the benchmark works in a private schema that it drops at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing as mp
import os
import pstats
import queue
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pg_schema import create_schema, drop_schema
from sqlalchemy import func, insert, select, text, update

from trustcenter.clock import SystemClock
from trustcenter.db.models import (
    Account,
    Agency,
    AuditEvent,
    Disclosure,
    LegalBasis,
    Notice,
    Request,
)
from trustcenter.db.session import Database
from trustcenter.plugins import NoticeView
from trustcenter.services.access import operator

URL = os.environ.get(
    "TRUSTCENTER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
PER_REQUEST = 100
CHUNK = 10_000
REGIONS = ("DE", "FR", "US", "ES", "BR", "NL", "BE", "GB")


class NoopChannel:
    """Accepts every notice at once and remembers which it was given."""

    name = "noop"

    def __init__(self) -> None:
        self.seen: list[uuid.UUID] = []

    async def deliver(self, view: NoticeView, idempotency_key: str) -> None:
        self.seen.append(view.id)


# --- the database ---------------------------------------------------------------------------


async def seed(db: Database, notices: int) -> None:
    """An agency, a legal basis, one disclosed request (with its disclosure) per 100 notices,
    one account per notice and the notices themselves: scheduled, due in the past."""
    now = datetime.now(UTC)
    released = now - timedelta(days=40)
    first_due = now - timedelta(days=2)
    agency_id, basis_id = uuid.uuid4(), uuid.uuid4()
    requests = -(-notices // PER_REQUEST)
    request_ids = [uuid.uuid4() for _ in range(requests)]
    disclosure_ids = [uuid.uuid4() for _ in range(requests)]
    async with db.transaction() as s:
        await s.execute(
            insert(Agency).values(
                id=agency_id,
                name="Bench court",
                kind="judicial",
                country="DE",
                verification="verified",
                created_at=released - timedelta(days=365),
            )
        )
        await s.execute(
            insert(LegalBasis).values(
                id=basis_id,
                kind="court_order",
                reference="BENCH-1",
                issued_by="Amtsgericht Bench",
                issued_at=(released - timedelta(days=30)).date(),
                created_at=released - timedelta(days=30),
            )
        )
        await s.execute(
            insert(Request),
            [
                {
                    "id": rid,
                    "agency_id": agency_id,
                    "legal_basis_id": basis_id,
                    "jurisdiction": "DE",
                    "country": "DE",
                    "category": "account",
                    "status": "disclosed",
                    "emergency": False,
                    "reason": "bench",
                    "officer_name": "Bench Officer",
                    "officer_email": "officer@agency.example",
                    "received_at": released - timedelta(days=10),
                    "deadline": released + timedelta(days=10),
                    "updated_at": released,
                    "version": 1,
                    "payload_sha256": "0" * 64,
                }
                for rid in request_ids
            ],
        )
        await s.execute(
            insert(Disclosure),
            [
                {
                    "id": did,
                    "request_id": rid,
                    "agency_id": agency_id,
                    "sha256": "0" * 64,
                    "size": 0,
                    "record_count": 0,
                    "chunk_count": 0,
                    "key_id": "bench",
                    "released_at": released,
                    "released_by": "bench",
                }
                for rid, did in zip(request_ids, disclosure_ids, strict=True)
            ],
        )
    for start in range(0, notices, CHUNK):
        numbers = range(start, min(notices, start + CHUNK))
        account_ids = [uuid.uuid4() for _ in numbers]
        async with db.transaction() as s:
            await s.execute(
                insert(Account),
                [
                    {
                        "id": aid,
                        "username": f"user{n}",
                        "email": f"user{n}@example.com",
                        "region": REGIONS[n % len(REGIONS)],
                        "language": "en",
                        "registered_at": released - timedelta(days=900),
                    }
                    for n, aid in zip(numbers, account_ids, strict=True)
                ],
            )
            await s.execute(
                insert(Notice),
                [
                    {
                        "request_id": request_ids[n // PER_REQUEST],
                        "disclosure_id": disclosure_ids[n // PER_REQUEST],
                        "account_id": aid,
                        "status": "scheduled",
                        "info_types": "A C",
                        "released_at": released,
                        "due_at": first_due + timedelta(seconds=n),
                        "created_at": released,
                    }
                    for n, aid in zip(numbers, account_ids, strict=True)
                ],
            )


async def reset(db: Database) -> int:
    """Every notice scheduled and due again, as never tried; the table vacuumed and analysed so
    that every run starts from the same state. Returns the audit log's newest seq."""
    async with db.transaction() as s:
        await s.execute(
            update(Notice).values(
                status="scheduled",
                deliveries=0,
                delivered_at=None,
                attempts=0,
                available_at=None,
                claimed_by=None,
                last_error=None,
            )
        )
    async with db.engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await auto.execute(text("VACUUM (ANALYZE) notices"))
        await auto.execute(text("ANALYZE"))
    async with db.reader() as s:
        return int(await s.scalar(select(func.coalesce(func.max(AuditEvent.seq), 0))) or 0)


async def check(db: Database, since_seq: int) -> dict[str, Any]:
    """What the database says after a run."""
    async with db.reader() as s:
        by_status = dict(
            (await s.execute(select(Notice.status, func.count()).group_by(Notice.status))).all()
        )
        not_once = await s.scalar(
            select(func.count()).select_from(Notice).where(Notice.deliveries != 1)
        )
        audited = await s.scalar(
            select(
                func.coalesce(func.sum(text("(audit_events.data::json->>'notices')::int")), 0)
            ).where(AuditEvent.seq > since_seq, AuditEvent.action == "notices.delivered")
        )
        events = await s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.seq > since_seq, AuditEvent.action == "notices.delivered")
        )
        ids = (await s.scalars(select(Notice.id))).all()
    return {
        "delivered": int(by_status.get("delivered", 0)),
        "other_status": sum(int(v) for k, v in by_status.items() if k != "delivered"),
        "deliveries_not_1": int(not_once or 0),
        "audited": int(audited or 0),
        "audit_events": int(events or 0),
        "ids": ids,
    }


# --- where the time goes (Linux /proc; None elsewhere) -------------------------------------

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process on this machine (the worker's PostgreSQL backend),
    None when it cannot be read (another machine, no /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) CPU ticks of the whole machine so far, over all cores."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = values[3] + values[4]  # idle + iowait
    return sum(values[:8]) - idle, sum(values[:8])


# --- one worker process ---------------------------------------------------------------------


def worker_process(
    url: str,
    schema: str,
    batch_size: int,
    out_path: str,
    profile: str | None,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    result, seen = asyncio.run(_worker(url, schema, batch_size, profile, ready, go))
    Path(out_path).write_text("".join(f"{i}\n" for i in seen))
    results.put({**result, "ids_file": out_path})


async def _worker(
    url: str,
    schema: str,
    batch_size: int,
    profile: str | None,
    ready: Any,
    go: Any,
) -> tuple[dict[str, Any], list[uuid.UUID]]:
    from trustcenter.plugins.host import PluginHost
    from trustcenter.services.notice_worker import NoticeWorker, WorkerSettings

    db = Database(url, schema=schema)
    host = PluginHost.from_settings("")
    noop = NoopChannel()
    worker = NoticeWorker(db, SystemClock(), host, [noop], WorkerSettings(batch_size=batch_size))
    spent = {"claim": 0.0, "deliver": 0.0, "finish": 0.0}

    def timed(name: str, method: Any) -> Any:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return await method(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t

        return wrapper

    # instance attributes: only this worker's calls are timed, the class is untouched
    worker._claim = timed("claim", worker._claim)  # type: ignore[method-assign]
    worker._deliver = timed("deliver", worker._deliver)  # type: ignore[method-assign]
    worker._finish = timed("finish", worker._finish)  # type: ignore[method-assign]
    async with db.engine.connect() as conn:  # connected (the pool warm) before the start
        backend = int(await conn.scalar(text("SELECT pg_backend_pid()")) or 0)
    ready.put(os.getpid())
    go.wait()
    profiler = cProfile.Profile() if profile else None
    pg0 = cpu_seconds(backend)
    cpu0, start = time.process_time(), time.monotonic()
    if profiler:
        profiler.enable()
    passed = await worker.run_once(operator("bench", frozenset({"notices"})))
    if profiler:
        profiler.disable()
    end, cpu1 = time.monotonic(), time.process_time()
    pg1 = cpu_seconds(backend)
    await db.dispose()
    if profiler and profile:
        profiler.dump_stats(f"{profile}/worker-{os.getpid()}.prof")
    summary = {
        "pid": os.getpid(),
        "start": start,
        "end": end,
        "cpu": cpu1 - cpu0,
        "pg_cpu": pg1 - pg0 if pg0 is not None and pg1 is not None else None,
        "delivered": passed.delivered,
        "lost": passed.lost,
        "retrying": passed.retrying,
        "failed": passed.failed,
        "batches": passed.batches,
        "errors": passed.errors[:3],
        **spent,
    }
    return summary, noop.seen


def run_workers(
    url: str, schema: str, workers: int, batch_size: int, folder: str, profile: str | None
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Start the worker processes, let them go together, and count the ids their channels
    saw (read back from the file each wrote)."""
    ctx = mp.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(
            target=worker_process,
            args=(
                url,
                schema,
                batch_size,
                f"{folder}/ids-{workers}-{n}.txt",
                profile,
                ready,
                go,
                results,
            ),
        )
        for n in range(workers)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    before = machine_ticks()
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
    after = machine_ticks()
    if before and after:  # the machine's cores busy over the run, whoever kept them busy
        busy, total = after[0] - before[0], after[1] - before[1]
        for w in out:
            w["machine_busy"] = busy / total if total else None
            w["cores"] = os.cpu_count()
    for p in procs:
        p.join()
        if p.exitcode:
            raise SystemExit(f"worker process {p.pid} exited with {p.exitcode}")
    seen: Counter[str] = Counter()
    for w in out:
        seen.update(Path(w["ids_file"]).read_text().split())
    return out, seen


# --- the parent -----------------------------------------------------------------------------


async def measure(
    db: Database, url: str, workers: int, batch_size: int, folder: str, profile: str | None
) -> dict[str, Any]:
    since = await reset(db)
    done, seen = await asyncio.to_thread(
        run_workers, url, db.schema or "", workers, batch_size, folder, profile
    )
    after = await check(db, since)
    missing = len({str(i) for i in after.pop("ids")} - set(seen))
    seconds = max(w["end"] for w in done) - min(w["start"] for w in done)
    return {
        "workers": workers,
        "notices": sum(seen.values()),
        "seconds": seconds,
        "rate": sum(seen.values()) / seconds,
        "dupes": sum(1 for c in seen.values() if c > 1),
        "missing": missing,
        "per_worker": done,
        **after,
    }


def where_time_goes(r: dict[str, Any]) -> str:
    """CPU seconds over the run: the workers' processes, their PostgreSQL backends, and the
    rest of the machine (WAL writer, checkpointer, autovacuum -- and anything else running)."""
    workers = sum(w["cpu"] for w in r["per_worker"])
    parts = [f"workers {workers:.1f}"]
    pg = [w["pg_cpu"] for w in r["per_worker"]]
    if None not in pg:
        parts.append(f"their PostgreSQL backends {sum(pg):.1f}")
    w0 = r["per_worker"][0]
    note = ""
    if w0.get("machine_busy") is not None and None not in pg:
        busy = w0["machine_busy"] * w0["cores"] * r["seconds"]
        rest = busy - workers - sum(pg)
        parts.append(f"everything else {rest:.1f}")
        parts.append(f"of {w0['cores'] * r['seconds']:.1f} ({w0['machine_busy']:.0%} busy)")
        if rest > 0.3 * (workers + sum(pg)):
            note = (
                "\n  NOTE: other work kept the machine busy during this run: its time, and"
                " ratios against it, are not representative"
            )
    return "CPU s: " + ", ".join(parts) + note


def problems_of(r: dict[str, Any], notices: int) -> list[str]:
    problems = []
    if r["dupes"]:
        problems.append(f"{r['dupes']:,} notices delivered more than once")
    if r["missing"] or r["notices"] != notices:
        problems.append(f"{r['notices']:,} deliveries seen, {r['missing']:,} notices missed")
    if r["delivered"] != notices or r["other_status"]:
        problems.append(f"{r['delivered']:,} notices delivered, {r['other_status']:,} not")
    if r["deliveries_not_1"]:
        problems.append(f"{r['deliveries_not_1']:,} notices without exactly one delivery")
    if r["audited"] != notices:
        problems.append(f"the audit log counts {r['audited']:,} delivered notices")
    return problems


def report(runs: list[dict[str, Any]], notices: int) -> bool:
    ok = True
    base = runs[0]
    print()
    print(f"{'workers':>7}  {'notices':>9}  {'seconds':>8}  {'notices/s':>9}  {'dupes':>5}  ratio")
    for r in runs:
        print(
            f"{r['workers']:>7}  {r['notices']:>9,}  {r['seconds']:>8.1f}  {r['rate']:>9,.0f}"
            f"  {r['dupes']:>5}  {r['rate'] / base['rate']:.2f}x"
        )
    for r in runs:
        print(f"\n{r['workers']} worker(s): {where_time_goes(r)}")
        for w in r["per_worker"]:
            print(
                f"  pid {w['pid']}: {w['delivered']:,} delivered in {w['batches']:,} batches,"
                f" {w['end'] - w['start']:.1f} s (claim {w['claim']:.1f}, deliver"
                f" {w['deliver']:.1f}, finish {w['finish']:.1f}); lost {w['lost']}, retrying"
                f" {w['retrying']}, failed {w['failed']}"
            )
            if w["errors"]:
                print(f"    errors: {w['errors']}")
        problems = problems_of(r, notices)
        print(
            f"  status delivered {r['delivered']:,}; {r['audit_events']:,} notices.delivered "
            f"events for {r['audited']:,} notices"
            + (f" -- FAILED: {'; '.join(problems)}" if problems else "; all exactly once")
        )
        ok = ok and not problems
    return ok


async def bench(args: argparse.Namespace, workers: list[int]) -> bool:
    schema = f"tc_bench_{secrets.token_hex(4)}"
    await create_schema(URL, schema)
    db = Database(URL, schema=schema)
    try:
        t0 = time.perf_counter()
        await seed(db, args.notices)
        print(
            f"seeded {args.notices:,} notices ({-(-args.notices // PER_REQUEST):,} requests, "
            f"{args.notices:,} accounts) in schema {schema} in {time.perf_counter() - t0:.1f} s"
        )
        runs = []
        with tempfile.TemporaryDirectory() as folder:
            for n in workers:
                run = await measure(db, URL, n, args.batch_size, folder, args.profile)
                print(f"{n} worker(s): {run['notices']:,} notices in {run['seconds']:.1f} s")
                runs.append(run)
        return report(runs, args.notices)
    finally:
        await db.dispose()
        await drop_schema(URL, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--workers", default="1,2", help="worker counts, the first the baseline")
    parser.add_argument("--profile", metavar="DIR", help="write a cProfile file per worker")
    args = parser.parse_args()
    workers = [int(n) for n in args.workers.split(",") if n.strip()]
    if args.profile:
        os.makedirs(args.profile, exist_ok=True)
    ok = asyncio.run(bench(args, workers))
    if args.profile:
        for name in sorted(os.listdir(args.profile)):
            print(f"\n--- {name}")
            pstats.Stats(f"{args.profile}/{name}").sort_stats("tottime").print_stats(25)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
