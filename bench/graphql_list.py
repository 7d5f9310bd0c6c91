"""Benchmark: the agency's request list over GraphQL against a bare Starlette + SQLAlchemy Core
endpoint answering the same rows (``bench/bare_list.py``), side by side in one run.

The query: ``requests(first: 100)`` with ten fields of each request, ``agency { name }``
included, asked by an agency's bearer token (a real one, from ``/oauth/token``). For each
backend (SQLite: a file in a temporary folder; PostgreSQL: a private schema, dropped at the
end), the database gets two verified agencies and ``--requests`` filler requests (half each,
``console_data.filler``); then both apps are served by uvicorn in their own processes with the
same settings (one process each, ``--no-access-log``, log level warning), and measured in
``--rounds`` rounds, the two apps taking turns going first:

  http 10 conns   requests per second with ten connections for ``--seconds``;
  1 conn p50/p99  latency with one connection, ``--latency-requests`` one after the other;

and in this process (``httpx.ASGITransport``, no network, the garbage collector tuned as
serving tunes it): the time per extra row, from pages of 10 and of 100 (``(t100 - t10) / 90``).
The median of the rounds counts; printed with the ratio trustcenter / bare. The clients run in
this process (httpx), the same for both apps.
Figures taken on a shared machine say so themselves (the CPU other processes used is printed).

Usage: python bench/graphql_list.py [--requests 400] [--backends sqlite,postgresql]
                                    [--rounds 3] [--seconds 5] [--latency-requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from bare_list import engine_for, make_app
from console_data import filler
from goal import goal
from pg_schema import create_schema, drop_schema

from trustcenter.bootstrap import build
from trustcenter.config import Settings
from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.services.access import operator
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.clients import create_client
from trustcenter.web.app import create_app

try:  # the collector as serving tunes it (absent from versions before that lever)
    from trustcenter.web.gc_tuning import tune_for_serving as tune_gc
except ImportError:  # pragma: no cover

    def tune_gc() -> None:
        pass


POSTGRES_URL = os.environ.get(
    "TRUSTCENTER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
BENCH = Path(__file__).resolve().parent
OUT_OF_REACH = "1000000000"
QUERY = """query List($first: Int!) { requests(first: $first) { edges { node {
  id status category jurisdiction emergency reason receivedAt deadline version
  agency { name } } } } }"""

Call = Callable[[httpx.AsyncClient, int], Awaitable[int]]


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def environment(url: str, schema: str | None) -> dict[str, str]:
    """The trustcenter server's settings (this process reads the same ones)."""
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    env = {
        "TRUSTCENTER_DATABASE_URL": url,
        "TRUSTCENTER_ISSUER": "http://localhost",
        "TRUSTCENTER_DISCLOSURE_KEYS": f"bench:{key}",
        "TRUSTCENTER_PLUGINS": "",
        "TRUSTCENTER_LOG_LEVEL": "WARNING",
        "TRUSTCENTER_TOKEN_LIFETIME": "3600",
        "TRUSTCENTER_GRAPHQL_COST_PER_MINUTE": OUT_OF_REACH,
        "TRUSTCENTER_GRAPHQL_REQUESTS_PER_MINUTE": OUT_OF_REACH,
    }
    if schema:
        env["TRUSTCENTER_DATABASE_SCHEMA"] = schema
    return env


def served_app() -> Any:
    """What uvicorn serves for trustcenter (``--factory``): the app as ``trustcenter serve``
    makes it, on the settings of the environment."""
    return create_app(build(Settings.from_env(None)), manage_lifecycle=True)


# --- the database -------------------------------------------------------------------------------


async def seed(env: dict[str, str], requests: int) -> tuple[str, str]:
    """Two verified agencies, the filler requests, a client of the first; its agency id and a
    token."""
    c = build(Settings.from_env(env))
    await c.start(upgrade=True)
    try:
        acting = operator("bench")
        agencies = []
        for country in ("DE", "FR"):
            made = await create_agency(
                c, acting, name=f"Bench agency {country}", kind=AgencyKind.LAW_ENFORCEMENT,
                country=country,
            )  # fmt: skip
            await set_verification(c, acting, made.id, VerificationState.VERIFIED)
            agencies.append((made.id, country))
        for batch in filler(requests, agencies, c.clock.now()):
            async with c.uow() as uow:
                await uow.requests.insert_new(batch)
        client = await create_client(c, acting, scopes=["requests:read"], agency_id=agencies[0][0])
        transport = httpx.ASGITransport(app=create_app(c))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            r = await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client.client_id, client.client_secret),
            )
            if r.status_code != 200:
                raise SystemExit(f"no token: {r.status_code} {r.text}")
            return str(agencies[0][0]), r.json()["access_token"]
    finally:
        await c.close()


# --- the two calls ---------------------------------------------------------------------------


def graphql_call(token: str) -> Call:
    headers = {"Authorization": f"Bearer {token}"}

    async def call(http: httpx.AsyncClient, first: int) -> int:
        body = {"query": QUERY, "variables": {"first": first}}
        r = await http.post("/graphql", json=body, headers=headers)
        data = r.json()
        if r.status_code != 200 or data.get("errors"):
            raise SystemExit(f"graphql answered {r.status_code}: {r.text[:500]}")
        return len(data["data"]["requests"]["edges"])

    return call


def bare_call(agency: str) -> Call:
    async def call(http: httpx.AsyncClient, first: int) -> int:
        r = await http.post("/list", json={"agency": agency, "first": first})
        if r.status_code != 200:
            raise SystemExit(f"bare answered {r.status_code}: {r.text[:500]}")
        return len(r.json()["data"]["requests"])

    return call


# --- serving ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(factory: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``factory`` served by uvicorn in a process of its own: the same settings for both."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(BENCH),
               "--host", "127.0.0.1", "--port", str(port), "--no-access-log",
               "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, **env})  # noqa: S603 (our own)
    return process, f"http://127.0.0.1:{port}"


async def wait_up(base: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        for _ in range(300):
            if process.poll() is not None:
                raise SystemExit(f"the server at {base} ended ({process.returncode})")
            try:
                if (await http.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"the server at {base} did not come up")


# --- measuring --------------------------------------------------------------------------------


async def throughput(base: str, call: Call, seconds: float, connections: int = 10) -> float:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    done = 0
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                await call(http, 100)
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done / (time.perf_counter() - started)


async def latency(base: str, call: Call, count: int) -> tuple[float, float]:
    """p50 and p99 in ms with one connection."""
    limits = httpx.Limits(max_connections=1)
    times = []
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        for _ in range(count):
            started = time.perf_counter()
            await call(http, 100)
            times.append(time.perf_counter() - started)
    q = statistics.quantiles(times, n=100, method="inclusive")
    return q[49] * 1000, q[98] * 1000


async def per_row(http: httpx.AsyncClient, call: Call, count: int) -> float:
    """µs per extra row in-process: pages of 100 against pages of 10, interleaved."""
    small, large = [], []
    for _ in range(count):
        started = time.perf_counter()
        assert await call(http, 10) == 10
        small.append(time.perf_counter() - started)
        started = time.perf_counter()
        assert await call(http, 100) == 100
        large.append(time.perf_counter() - started)
    return (statistics.median(large) - statistics.median(small)) / 90 * 1e6


async def in_process(
    env: dict[str, str], url: str, schema: str | None, token: str, agency: str, count: int
) -> tuple[float, float]:
    c = build(Settings.from_env(env))
    await c.start(upgrade=False)
    engine = engine_for(url, schema)
    try:
        tc = httpx.ASGITransport(app=create_app(c))
        bare = httpx.ASGITransport(app=make_app(engine))
        tune_gc()  # as serving does (both apps share this process)
        async with (
            httpx.AsyncClient(transport=tc, base_url="http://localhost") as h1,
            httpx.AsyncClient(transport=bare, base_url="http://localhost") as h2,
        ):
            t, b = graphql_call(token), bare_call(agency)
            await per_row(h1, t, 5)
            await per_row(h2, b, 5)
            return await per_row(h1, t, count), await per_row(h2, b, count)
    finally:
        await engine.dispose()
        await c.close()


def busy_cores(before: tuple[float, float], after: tuple[float, float]) -> float:
    """Cores the machine kept busy on average (every process, this benchmark's included)."""
    return (after[0] - before[0]) / max(1e-9, after[1] - before[1])


def cpu() -> tuple[float, float]:
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return (0.0, time.perf_counter())
    ticks = os.sysconf("SC_CLK_TCK")
    return ((sum(values[:8]) - values[3] - values[4]) / ticks, time.perf_counter())


async def run_backend(backend: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    schema = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    else:
        url, schema = args.postgres_url, f"tc_bench_list_{secrets.token_hex(4)}"
        await create_schema(url, schema)
    env = environment(url, schema)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        agency, token = await seed(env, args.requests)
        note(f"{backend}: {args.requests} requests seeded")
        tc, tc_base = serve("graphql_list:served_app", env)
        processes.append(tc)
        bare, bare_base = serve(
            "bare_list:served_app",
            {"BENCH_DATABASE_URL": url, **({"BENCH_DATABASE_SCHEMA": schema} if schema else {})},
        )
        processes.append(bare)
        await wait_up(tc_base, tc)
        await wait_up(bare_base, bare)
        sides = {
            "trustcenter": (tc_base, graphql_call(token)),
            "bare": (bare_base, bare_call(agency)),
        }
        for base, call in sides.values():  # warm up
            await throughput(base, call, 1.0)
        results: dict[str, dict[str, list[float]]] = {
            side: {"rps": [], "p50": [], "p99": [], "row": []} for side in sides
        }
        before = cpu()
        for n in range(args.rounds):
            order = list(sides) if n % 2 == 0 else list(reversed(sides))
            for side in order:
                base, call = sides[side]
                results[side]["rps"].append(await throughput(base, call, args.seconds))
                p50, p99 = await latency(base, call, args.latency_requests)
                results[side]["p50"].append(p50)
                results[side]["p99"].append(p99)
            note(f"  {backend}: round {n + 1} of {args.rounds} over HTTP")
        busy = busy_cores(before, cpu())
        for n in range(args.rounds):
            t_row, b_row = await in_process(env, url, schema, token, agency, args.row_pages)
            results["trustcenter"]["row"].append(t_row)
            results["bare"]["row"].append(b_row)
            note(f"  {backend}: round {n + 1} of {args.rounds} in-process")
    finally:
        for p in processes:
            p.terminate()
        for p in processes:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        if schema:
            await drop_schema(url, schema)
    return {"backend": backend, "results": results, "busy": busy}


def report(r: dict[str, Any], args: argparse.Namespace) -> None:
    res = r["results"]
    print(
        f"\n{r['backend']}: requests(first: 100) x 10 fields incl. agency {{ name }}; "
        f"median of {args.rounds} rounds"
    )
    print(f"{'measure':<34} {'trustcenter':>12} {'bare':>10} {'ratio':>7}")
    rows = [
        ("HTTP, 10 connections (rps)", "rps", True),
        ("one connection p50 (ms)", "p50", False),
        ("one connection p99 (ms)", "p99", False),
        ("in-process per extra row (µs)", "row", False),
    ]
    ratios = {}
    for label, key, higher_better in rows:
        t = statistics.median(res["trustcenter"][key])
        b = statistics.median(res["bare"][key])
        ratios[key] = ratio = b / t if higher_better else t / b
        print(f"{label:<34} {t:>12.1f} {b:>10.1f} {ratio:>6.1f}x")
    print(f"  (machine busy: {r['busy']:.2f} of {os.cpu_count()} cores on average over HTTP)")
    db = r["backend"]
    goal(f"list-{db}", f"agency list, HTTP 10 connections, {db}", ratios["rps"], "<= 2")
    goal(f"p99-{db}", f"agency list, one connection p99, {db}: tc/bare", ratios["p99"], "<= 2")
    goal(f"row-{db}", f"agency list, in-process per extra row, {db}", ratios["row"], "<= 2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--latency-requests", type=int, default=300)
    parser.add_argument("--row-pages", type=int, default=40, help="in-process pairs per round")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(backends) - {"sqlite", "postgresql"}:
        parser.error("backends: sqlite, postgresql")
    results = []
    with tempfile.TemporaryDirectory(prefix="tc-bench-list-") as folder:
        for backend in backends:
            results.append(asyncio.run(run_backend(backend, args, Path(folder))))
    for r in results:
        report(r, args)


if __name__ == "__main__":
    main()
