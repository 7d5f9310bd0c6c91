"""Benchmark: ``trustcenter serve --workers N`` on PostgreSQL for N = 1, 2, 3 under the same load,
and nothing lost.

One private schema (dropped at the end) with a verified agency and its client (scopes
``requests:submit`` and ``requests:read``). For each N in turn the server is started
(``serve --workers N --seal-every 2``, the audit sealer in every worker, as deployed; pool of
``--pool`` connections per worker so three workers stay inside PostgreSQL's default 100
connections), warmed for 2 s, then ``--clients`` concurrent clients each alternate
``submitRequest`` and the agency's request list (``requests(first: 20)``) for ``--seconds``;
then the server is stopped with SIGTERM (it must exit 0: each worker finishes what it has).

Printed per N: requests per second (both kinds), failures with their reasons, and the ratio of
the rate to one process's. After each run every ``submitRequest`` that was answered with a
request id is looked up in the database: ``lost`` counts the acknowledged ones that are not
there (must be 0); and the server's ``/metrics`` (summed over its workers, scraped before it
stops) must have counted as many ``Submit`` and ``List`` operations as were answered. At the
end the audit chain is sealed and verified (the workers' sealers ran side by side). The clients
run in this process (httpx, one event loop), on the same machine: on a machine with few cores
they take a share of the CPU the workers would use, and the ratios say less than they would
with the load coming from elsewhere. So each run also prints the
cores kept busy while it was measured: the whole machine's, the server's (manager and workers),
this client's, and the rest (PostgreSQL, and whatever else shared the machine).

Usage: python bench/multiprocess.py [--workers 1,2,3] [--clients 200] [--seconds 10] [--pool 8]
PostgreSQL: TRUSTCENTER_BENCH_POSTGRES_URL (default the local server's ``test`` database).
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import logging
import os
import re
import secrets
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from goal import goal
from pg_schema import create_schema, drop_schema
from served import Server
from sqlalchemy import text
from submit import BODY, OUT_OF_REACH, POSTGRES_URL, audit_state, prepare

from trustcenter.db.session import Database

TRUSTCENTER = str(Path(sys.executable).with_name("trustcenter"))
METRICS_TOKEN = secrets.token_urlsafe(32)
#: a GraphQL operation's count in a scrape: operation name, type, count
_OPERATION = re.compile(
    r'^trustcenter_graphql_operation_duration_seconds_count\{(?=[^}]*operation="(\w+)")'
    r'(?=[^}]*type="(\w+)")[^}]*\} ([0-9.e+]+)$',
    re.MULTILINE,
)


async def operations_counted(base: str) -> dict[str, int]:
    """What the server's ``/metrics`` counted of each GraphQL operation (summed over workers)."""
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        r = await http.get("/metrics", headers={"authorization": f"Bearer {METRICS_TOKEN}"})
    r.raise_for_status()
    return {f"{t} {name}": int(float(n)) for name, t, n in _OPERATION.findall(r.text)}


LIST = {"query": "query List { requests(first: 20) { edges { node { id status receivedAt } } } }"}


def machine_cpu() -> float:
    """CPU seconds the whole machine spent busy so far (every process)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float:
    """CPU seconds the server's processes (the manager and its children) spent so far."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == root or int(fields[1]) == root:
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class Cpu:
    """Cores kept busy during the measured part: the machine, the server, this client."""

    def __init__(self, server: int) -> None:
        self.server = server
        self.marks: list[tuple[float, float, float, float]] = []

    def mark(self) -> None:
        now = (time.perf_counter(), machine_cpu(), tree_cpu(self.server), time.process_time())
        self.marks.append(now)

    def describe(self) -> str:
        (t0, m0, s0, c0), (t1, m1, s1, c1) = self.marks[0], self.marks[-1]
        span = max(t1 - t0, 1e-9)
        machine, server, client = (m1 - m0) / span, (s1 - s0) / span, (c1 - c0) / span
        return (
            f"cores busy: {machine:.2f} of {os.cpu_count()} (server {server:.2f}, this client "
            f"{client:.2f}, PostgreSQL and everything else {machine - server - client:.2f})"
        )


def uuid_of(global_id: str) -> str:
    """The row's id in a GraphQL id (``base64("DataRequest:<uuid>")``)."""
    return base64.b64decode(global_id).decode().split(":", 1)[1]


class Tally:
    def __init__(self) -> None:
        self.submits = self.lists = self.failed = 0
        self.acknowledged: list[str] = []
        #: why requests failed: status code and the first error's message, counted
        self.why: Counter[str] = Counter()

    def failure(self, why: str) -> bool:
        self.why[why[:120]] += 1
        return False


async def load(
    base: str, token: str, clients: int, seconds: float, tally: Tally, cpu: Cpu
) -> float:
    """``clients`` clients alternating a submit and a list for 2 s of warming up and then
    ``seconds`` (``tally`` counts both: every acknowledged submit is checked); the rate of
    requests answered during the measured ``seconds``."""
    headers = {"authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:

        async def submit() -> bool:
            r = await http.post("/graphql", json=BODY, headers=headers)
            made = ((r.json() if r.status_code == 200 else {}).get("data") or {}).get(
                "submitRequest"
            ) or {}
            if not made.get("request") or made.get("userErrors"):
                return tally.failure(f"submit {r.status_code} {r.text}")
            tally.acknowledged.append(uuid_of(made["request"]["id"]))
            tally.submits += 1
            return True

        async def listed() -> bool:
            r = await http.post("/graphql", json=LIST, headers=headers)
            data = (r.json() if r.status_code == 200 else {}).get("data") or {}
            if data.get("requests") is None:
                return tally.failure(f"list {r.status_code} {r.text}")
            tally.lists += 1
            return True

        started = time.perf_counter() + 2  # the measured part begins after 2 s of warming up
        until = started + seconds
        measured = 0

        async def client() -> None:
            # one stretch of work, warm-up and measurement together: a connection left idle
            # between two stretches would meet the server's keep-alive timeout
            nonlocal measured
            calls = (submit, listed)
            n = 0
            while time.perf_counter() < until:
                try:
                    ok = await calls[n % 2]()
                except httpx.HTTPError as error:
                    ok = tally.failure(f"{type(error).__name__} {error}")
                tally.failed += not ok
                measured += ok and started <= time.perf_counter() <= until
                n += 1

        async def sample() -> None:
            await asyncio.sleep(max(0.0, started - time.perf_counter()))
            cpu.mark()
            await asyncio.sleep(max(0.0, until - time.perf_counter()))
            cpu.mark()

        await asyncio.gather(sample(), *(client() for _ in range(clients)))
    return measured / seconds


async def stored_ids(schema: str) -> set[str]:
    db = Database(POSTGRES_URL, schema=schema)
    try:
        async with db.engine.connect() as conn:
            return {str(i) for i in (await conn.scalars(text("SELECT id FROM requests"))).all()}
    finally:
        await db.dispose()


async def run(args: argparse.Namespace, workdir: Path) -> list[dict[str, Any]]:
    schema = f"bench_procs_{secrets.token_hex(4)}"
    await create_schema(POSTGRES_URL, schema)
    results: list[dict[str, Any]] = []
    try:
        env, client_id, secret = await prepare(POSTGRES_URL, schema)
        env |= {
            "TRUSTCENTER_DATABASE_POOL_SIZE": str(args.pool),
            "TRUSTCENTER_TOKEN_LIFETIME": "3600",
            "TRUSTCENTER_GRAPHQL_COST_PER_MINUTE": OUT_OF_REACH,
            "TRUSTCENTER_PLUGINS": "",
            "TRUSTCENTER_ISSUER": "http://localhost",  # one token for every server started
            "TRUSTCENTER_METRICS_TOKEN": METRICS_TOKEN,
        }
        token = ""
        for workers in [int(n) for n in args.workers.split(",")]:
            log = workdir / f"serve-{workers}.log"
            serve = [TRUSTCENTER, "serve", "--host", "127.0.0.1", "--workers", str(workers),
                     "--seal-every", "2"]  # fmt: skip
            server = Server(f"serve --workers {workers}", serve, env, log)
            try:
                if not token:
                    async with httpx.AsyncClient(base_url=server.base) as http:
                        r = await http.post(
                            "/oauth/token",
                            data={"grant_type": "client_credentials"},
                            auth=(client_id, secret),
                        )
                    r.raise_for_status()
                    token = r.json()["access_token"]
                tally, cpu = Tally(), Cpu(server.proc.pid)
                rate = await load(server.base, token, args.clients, args.seconds, tally, cpu)
                counted = await operations_counted(server.base)
            finally:
                server.proc.terminate()
                code = server.proc.wait(timeout=120)
                if code == -signal.SIGTERM:  # one process: uvicorn ends by the signal it got,
                    code = 0  # after its graceful shutdown; the manager of several exits 0
            stored = await stored_ids(schema)
            lost = sum(1 for i in tally.acknowledged if i not in stored)
            answered = {"mutation Submit": tally.submits, "query List": tally.lists}
            seen = {k: counted.get(k, 0) for k in answered}
            results.append(
                {"workers": workers, "rate": rate, "tally": tally, "lost": lost, "exit": code,
                 "metrics_match": seen == answered}
            )  # fmt: skip
            print(
                f"  --workers {workers}: {rate:8.1f} req/s ({tally.submits:,} submits, "
                f"{tally.lists:,} lists, {tally.failed:,} failed), {lost} of "
                f"{len(tally.acknowledged):,} acknowledged submits not stored; exit {code}",
                flush=True,
            )
            print(f"    {cpu.describe()}")
            print(
                f"    /metrics counted {seen['mutation Submit']:,} Submit and "
                f"{seen['query List']:,} List operations: "
                + ("as answered" if seen == answered else "NOT as answered")
            )
            for why, n in tally.why.most_common(3):
                print(f"    failed {n}x: {why}")
        print(f"  {await audit_state(POSTGRES_URL, schema)}")
    finally:
        await drop_schema(POSTGRES_URL, schema)
    return results


async def main_async(args: argparse.Namespace) -> None:
    print(
        f"serve --workers N on PostgreSQL: {args.clients} clients alternating submitRequest and "
        f"the request list, {args.seconds:g} s each; {os.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory(prefix="bench-procs-") as tmp:
        results = await run(args, Path(tmp))
    base = results[0]["rate"] if results else 0.0
    print()
    print(f"{'workers':>7} {'req/s':>9} {'x 1 process':>12} {'failed':>7} {'lost':>5} {'exit':>5}")
    for r in results:
        ratio = r["rate"] / base if base else 0.0
        print(
            f"{r['workers']:>7} {r['rate']:>9.1f} {ratio:>12.2f} {r['tally'].failed:>7} "
            f"{r['lost']:>5} {r['exit']:>5}"
        )
    acknowledged = sum(len(r["tally"].acknowledged) for r in results)
    kept = acknowledged - sum(r["lost"] for r in results)
    ratios = " / ".join(f"{r['rate'] / base if base else 0.0:.2f}x" for r in results)
    counts = "/".join(str(r["workers"]) for r in results)
    goal(
        "multiprocess-kept",
        f"serve --workers {counts}, {args.clients} clients, PostgreSQL: acknowledged submits "
        "found stored",
        kept / acknowledged if acknowledged else 0.0,
        ">= 1.0",
        f"rate / 1 process: {ratios}; /metrics counts as answered: "
        + ("yes" if all(r["metrics_match"] for r in results) else "NO"),
    )
    if any(r["lost"] or r["exit"] or not r["metrics_match"] for r in results):
        sys.exit(1)


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,3", help="comma-separated process counts")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--pool", type=int, default=8, help="pooled connections per worker")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
