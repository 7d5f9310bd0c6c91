"""Benchmark: ``submitRequest`` over HTTP against a bare endpoint inserting the same rows, side
by side in one run (goal: trustcenter at least half the bare endpoint's rate).

Two servers run at once on the same database, each one uvicorn worker with the same settings
(log level info, no access log): ``trustcenter serve`` (its audit sealer every 2 s, as
deployed) and ``bench/submit_bare.py`` (Starlette + SQLAlchemy Core: the same legal basis,
request, targets, items and one unsealed audit event, one transaction, no GraphQL, no
authentication, no validation). An agency client posts the same mutation to each with
``--clients`` concurrent connections for ``--seconds``; rounds alternate which server goes
first, ``--rounds`` of them; the median rate counts. Printed per backend: requests/s of each,
their ratio trustcenter/bare (goal: at least 0.5), each server's CPU per request (its process's
CPU time over the requests it answered: steadier than the rates when the machine is shared or
the hypervisor takes part of it, which the run reports too), and after the rounds what the audit log
looks like (every event sealed or waiting, ``verify`` intact) and, on PostgreSQL, how often
trustcenter's active backends were found waiting for a lock (sampled every 10 ms).

Usage: python bench/submit.py [--backends postgresql,sqlite] [--clients 16] [--seconds 10]
                              [--rounds 3]
SQLite: a file in a temporary folder. PostgreSQL: TRUSTCENTER_BENCH_POSTGRES_URL (default the
local server's ``test`` database); a private schema, dropped at the end. The GraphQL budgets per
minute are raised out of reach; nothing else is changed from the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from goal import goal
from pg_schema import create_schema, drop_schema
from served import Server
from sqlalchemy import select, text

from trustcenter.bootstrap import build
from trustcenter.config import Settings
from trustcenter.db import migrate
from trustcenter.db.models import OAuthClient
from trustcenter.db.session import Database
from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.services.access import operator
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.audit import seal, verify
from trustcenter.services.clients import create_client

POSTGRES_URL = os.environ.get(
    "TRUSTCENTER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
HERE = Path(__file__).resolve().parent
TRUSTCENTER = str(Path(sys.executable).with_name("trustcenter"))
OUT_OF_REACH = "1000000000"
OPERATOR = operator("bench")
SUBMIT = """mutation Submit($input: SubmitRequestInput!) {
  submitRequest(input: $input) {
    request { id status targets { id identifier items { id infoType } } }
    userErrors { field message code }
  }
}"""
SUBMISSION = {
    "jurisdiction": "DE",
    "officer": {"name": "Kommissarin K. Weber", "title": "KHKin",
                "email": "k.weber@polizei.example", "phone": "+49 30 4664 0"},
    "legalBasis": {"kind": "WARRANT", "reference": "AG-2026-113",
                   "issuedBy": "Amtsgericht Tiergarten", "issuedAt": "2026-11-01"},
    "targets": [
        {"identifierType": "EMAIL", "identifier": "suspect@example.com", "infoTypes": ["A", "C"]},
        {"identifierType": "SERIAL_NUMBER", "identifier": "c6n1234567", "infoTypes": ["B"]},
    ],
    "reason": "Investigation of a burglary series; the camera owner is a witness.",
}  # fmt: skip
BODY = {"query": SUBMIT, "variables": {"input": SUBMISSION}}


async def load(base: str, token: str, clients: int, seconds: float) -> tuple[float, int, int]:
    """Requests per second answered without errors, the number of failed ones, and of all
    answered (the warm-up's included: the server's CPU is read around the whole load)."""
    headers = {"authorization": f"Bearer {token}"}
    done, failed, answered = 0, 0, 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as http:

        async def client(until: float) -> None:
            nonlocal done, failed, answered
            while time.perf_counter() < until:
                r = await http.post("/graphql", json=BODY, headers=headers)
                answered += 1
                payload = r.json() if r.status_code == 200 else {}
                if payload.get("errors") or not (payload.get("data") or {}).get("submitRequest"):
                    failed += 1
                else:
                    done += 1

        await asyncio.gather(*(client(time.perf_counter() + 1) for _ in range(clients)))  # warm
        done = failed = 0
        started = time.perf_counter()
        await asyncio.gather(*(client(started + seconds) for _ in range(clients)))
        took = time.perf_counter() - started
    return done / took, failed, answered


#: the server's active backends (those holding a lock on a table of its private schema), and
#: how many of them wait for a lock
_SAMPLE = text(
    "SELECT COUNT(DISTINCT a.pid), "
    "COUNT(DISTINCT a.pid) FILTER (WHERE a.wait_event_type = 'Lock') "
    "FROM pg_stat_activity a WHERE a.state = 'active' AND a.pid IN ("
    "SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
    "WHERE c.relnamespace = CAST(:schema AS regnamespace))"
)


class LockSampler:
    """Samples, every 10 ms while trustcenter's rounds run, the server's active PostgreSQL
    backends and those among them waiting for a lock (writers used to wait on the head's row)."""

    def __init__(self, schema: str) -> None:
        self.schema, self.active, self.waiting = schema, 0, 0
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        admin = Database(POSTGRES_URL)
        try:
            async with admin.engine.connect() as conn:
                while not self._stop.is_set():
                    active, waiting = (await conn.execute(_SAMPLE, {"schema": self.schema})).one()
                    await conn.rollback()
                    self.active, self.waiting = self.active + active, self.waiting + waiting
                    await asyncio.sleep(0.01)
        finally:
            await admin.dispose()

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self._run())

    async def pause(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    def describe(self) -> str:
        share = self.waiting / self.active if self.active else 0.0
        return (
            f"lock waits: {self.waiting:,} of {self.active:,} samples of trustcenter's active "
            f"backends ({share:.1%}) were waiting for a lock"
        )


async def prepare(url: str, schema: str | None) -> tuple[dict[str, str], str, str]:
    """The agency and its client; env for the servers, the client's id and secret."""
    settings = Settings.from_env({}, database_url=url, database_schema=schema)
    container = build(settings)
    try:
        await container.start()
        agency = await create_agency(
            container, OPERATOR, name="Bench Agency", kind=AgencyKind.LAW_ENFORCEMENT, country="DE"
        )
        await set_verification(container, OPERATOR, agency.id, VerificationState.VERIFIED)
        new = await create_client(
            container, OPERATOR, scopes=["requests:submit", "requests:read"], agency_id=agency.id
        )
        async with container.db.reader() as s:
            pk = await s.scalar(
                select(OAuthClient.id).where(OAuthClient.client_id == new.client_id)
            )
    finally:
        await container.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTCENTER_")}
    env |= {
        "TRUSTCENTER_DATABASE_URL": url,
        "TRUSTCENTER_GRAPHQL_COST_PER_MINUTE": OUT_OF_REACH,
        "TRUSTCENTER_GRAPHQL_REQUESTS_PER_MINUTE": OUT_OF_REACH,
        "BENCH_AGENCY_ID": str(agency.id),
        "BENCH_CLIENT_PK": str(pk),
    }
    if schema:
        env["TRUSTCENTER_DATABASE_SCHEMA"] = schema
    return env, new.client_id, new.client_secret


async def audit_state(url: str, schema: str | None) -> str:
    settings = Settings.from_env({}, database_url=url, database_schema=schema)
    container = build(settings)
    try:
        before = await verify(container, OPERATOR)
        sealed = await seal(container)
        after = await verify(container, OPERATOR)
    finally:
        await container.close()
    ok = before.broken is None and after.broken is None and after.unsealed == 0
    return (
        f"audit: {before.checked:,} events, {before.unsealed:,} still unsealed when the rounds "
        f"ended (sealed now: {sealed.sealed:,}); verify {'intact' if ok else 'BROKEN'}"
    )


async def database(backend: str, name: str, workdir: Path) -> tuple[str, str | None]:
    """A fresh, migrated database (a private schema on PostgreSQL)."""
    if backend == "postgresql":
        schema = f"bench_submit_{name}_{secrets.token_hex(4)}"
        await create_schema(POSTGRES_URL, schema)
        return POSTGRES_URL, schema
    url = f"sqlite+aiosqlite:///{workdir / f'{name}.db'}"
    db = Database(url)
    await migrate.upgrade(db.engine, db.url)
    await db.dispose()
    return url, None


async def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    # each server its own database: the bare one's audit events carry no valid hash
    (url, schema), (bare_url, bare_schema) = [
        await database(backend, name, workdir) for name in ("tc", "bare")
    ]
    servers: list[Server] = []
    try:
        env, client_id, secret = await prepare(url, schema)
        bare_env, _, _ = await prepare(bare_url, bare_schema)
        serve = [TRUSTCENTER, "serve", "--host", "127.0.0.1", "--seal-every", "2"]
        servers = [
            Server("trustcenter", serve, env, workdir / f"{backend}-trustcenter.log"),
            Server("bare", [sys.executable, str(HERE / "submit_bare.py")], bare_env,
                   workdir / f"{backend}-bare.log", bare_port=True),
        ]  # fmt: skip
        async with httpx.AsyncClient(base_url=servers[0].base) as http:
            r = await http.post(
                "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
            )
        r.raise_for_status()
        token = r.json()["access_token"]
        rates: dict[str, list[float]] = {s.name: [] for s in servers}
        cpu: dict[str, list[float]] = {s.name: [] for s in servers}
        failures = 0
        sampler = LockSampler(schema) if schema else None
        for n in range(args.rounds):
            for server in servers if n % 2 == 0 else servers[::-1]:
                sampled = sampler is not None and server.name == "trustcenter"
                if sampled:
                    sampler.start()
                used = server.cpu_seconds()
                rate, failed, answered = await load(server.base, token, args.clients, args.seconds)
                after = server.cpu_seconds()
                if sampled:
                    await sampler.pause()
                rates[server.name].append(rate)
                if used is not None and after is not None and answered:
                    cpu[server.name].append((after - used) / answered * 1000)
                failures += failed
                print(f"  {backend} round {n + 1}: {server.name:<11} {rate:8.1f} req/s")
        for server in servers:
            server.stop()
        servers = []
        state = await audit_state(url, schema)
    finally:
        for server in servers:
            server.stop()
        for where in (schema, bare_schema):
            if where:
                await drop_schema(POSTGRES_URL, where)
    tc, bare = (statistics.median(rates[k]) for k in ("trustcenter", "bare"))
    per = {k: statistics.median(v) if v else None for k, v in cpu.items()}
    waits = sampler.describe() if sampler else ""
    return {
        "backend": backend,
        "tc": tc,
        "bare": bare,
        "failures": failures,
        "audit": state,
        "waits": waits,
        "cpu": per,
    }


async def main_async(args: argparse.Namespace) -> None:
    print(
        f"submitRequest over HTTP, {args.clients} clients, {args.seconds:g} s per round, "
        f"median of {args.rounds}; {os.cpu_count()} cores"
    )
    results = []
    stolen = Stolen()
    with tempfile.TemporaryDirectory(prefix="bench-submit-") as tmp:
        for backend in args.backends.split(","):
            results.append(await run_backend(backend.strip(), args, Path(tmp)))
    print()
    print(f"{'backend':<11} {'trustcenter':>12} {'bare':>10} {'ratio tc/bare':>14}  goal >= 0.5")
    for r in results:
        ratio = r["tc"] / r["bare"] if r["bare"] else 0.0
        print(
            f"{r['backend']:<11} {r['tc']:>8.1f} r/s {r['bare']:>6.1f} r/s {ratio:>14.2f}"
            f"  {'met' if ratio >= 0.5 else 'NOT met'}"
        )
        if r["failures"]:
            print(f"  NOTE: {r['failures']} requests failed on {r['backend']}")
        print(f"  {r['audit']}")
        if r["waits"]:
            print(f"  {r['waits']}")
        tc_cpu, bare_cpu = r["cpu"].get("trustcenter"), r["cpu"].get("bare")
        if tc_cpu and bare_cpu:
            print(
                f"  CPU per request of the server process: trustcenter {tc_cpu:.2f} ms, bare "
                f"{bare_cpu:.2f} ms (bare/trustcenter {bare_cpu / tc_cpu:.2f})"
            )
    share = stolen.share()
    if share is not None and share > 0.05:
        print(
            f"  NOTE: the hypervisor took {share:.0%} of the machine's CPU during the run "
            "(steal time): the rates are less certain than the CPU per request"
        )
    for r in results:
        ratio = r["tc"] / r["bare"] if r["bare"] else 0.0
        what = f"submitRequest, {args.clients} clients, {r['backend']}: rate tc/bare"
        goal(f"submit-{r['backend']}", what, ratio, ">= 0.5")


class Stolen:
    """The share of the machine's CPU time the hypervisor took (steal) since it was made."""

    def __init__(self) -> None:
        self._start = self._read()

    @staticmethod
    def _read() -> list[int] | None:
        try:
            with open("/proc/stat") as f:
                return [int(v) for v in f.readline().split()[1:]]
        except (OSError, ValueError):
            return None

    def share(self) -> float | None:
        now = self._read()
        if self._start is None or now is None or len(now) < 8:
            return None
        spent = [b - a for a, b in zip(self._start, now, strict=False)]
        return spent[7] / sum(spent) if sum(spent) else None


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
