"""Benchmark: building the transparency report over a million requests, through the CLI and
through GraphQL, against the raw GROUP BY alone, on SQLite and on PostgreSQL.

For each backend the same data is seeded (same random seed, core bulk inserts: sqlite3
``executemany`` on the file, asyncpg ``COPY`` into a private PostgreSQL schema): about 200
agencies in 30 countries (CN among them, which the report leaves out), 3 legal bases per 10
requests (so requests with data disclosed share a basis and are counted once), the requests
spread over 2025 and 2026 with a mix of outcomes, categories, revisions and answers, and about
1.5 targets per request. The seeding bypasses the product, so the report's facts are then
built by ``trustcenter report rebuild-facts`` (timed). Then, ``--repeat`` times and
interleaved, for ``--year``:

  g  GROUP BY  one ``SELECT country, category, count(*) … GROUP BY country, category`` over the
               year's requests outside the exclusions (the same rows the report counts): the
               floor any report build is measured against
  a  facts     ``compute()`` alone (the GROUP BY over ``report_facts`` and the medians'
               buckets) in one session, in this process, on a connected engine
  b  CLI       ``trustcenter report build --year Y --json`` as a subprocess: the wall time of
               the whole command, interpreter start, imports and migration check included
  c  GraphQL   the ``buildTransparencyReport`` mutation over HTTP to ``trustcenter serve``
               (uvicorn in a subprocess, started once; a fresh staff token is fetched before
               each call, outside the timing)

Once, unless ``--no-reference``: r, the report as computed before its facts (the big GROUP BY
and window functions over requests, legal bases and targets, ``tests/report_sql_reference.py``).

Printed: the median seconds of each, the ratios a/g (the goal: at most 1.5), b/a, c/a and r/a,
and the statements of (a). The figures' SHA-256 of (a) (shaped in this process), (b), (c) and
(r) must agree (the run fails otherwise: the facts count exactly as the former SQL did); the
same seed gives the same figures on both backends. Each timed run also reads from /proc how
many cores other processes kept busy meanwhile; a backend whose runs shared the machine with
more than a quarter of a core of other work is flagged with a NOTE.

Usage: python bench/report_build.py [--requests 1000000] [--backends sqlite,postgresql]
                                    [--repeat 3] [--year 2025] [--keep] [--no-reference]
SQLite: a file in a temporary folder. PostgreSQL: TRUSTCENTER_BENCH_POSTGRES_URL (default the
local server's ``test`` database); a private schema, dropped at the end (unless ``--keep``).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import random
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import served
from goal import goal
from pg_schema import create_schema, drop_schema
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' reference SQL
from tests.report_sql_reference import compute_sql

from trustcenter.db import migrate
from trustcenter.db.models import Request
from trustcenter.db.repositories.report import ReportRepository
from trustcenter.db.session import Database
from trustcenter.domain.report import counting_key, figures_sha256, shape
from trustcenter.domain.report_policy import settle_exclusions

POSTGRES_URL = os.environ.get(
    "TRUSTCENTER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
TRUSTCENTER = str(Path(sys.executable).parent / "trustcenter")
EXCLUDED = ["CN"]
CHUNK = 10_000
FIRST = datetime(2025, 1, 1, tzinfo=UTC)
LAST = datetime(2026, 11, 30, tzinfo=UTC)
SEED = 20261130
#: cores other processes may keep busy on average during a timed run before it is flagged
BUSY = 0.25

#: 30 countries and how many requests come from each (relative)
COUNTRIES = {
    "US": 18, "DE": 12, "GB": 8, "FR": 8, "IN": 6, "BR": 5, "CN": 5, "ES": 4, "IT": 4, "NL": 3,
    "PL": 3, "AU": 3, "CA": 3, "JP": 3, "KR": 2, "MX": 2, "TR": 2, "AR": 1, "AT": 1, "BE": 1,
    "CH": 1, "CZ": 1, "DK": 1, "FI": 1, "IE": 1, "NO": 1, "PT": 1, "SE": 1, "SG": 1, "ZA": 1,
}  # fmt: skip
AGENCIES = 200
AGENCY_KINDS = ("law_enforcement", "judicial", "administrative")
BASIS_KINDS = ("warrant", "court_order", "subpoena", "production_order", "administrative_order")
#: outcome -> (share in %, the statuses a request with it may be in, answered?)
OUTCOMES = {
    "with_data": (45, ("disclosed", "closed"), True),
    "rejected": (12, ("rejected", "closed"), True),
    "challenged": (8, ("objected", "clarification_requested"), None),  # objected = answered
    "approved": (10, ("approved", "partially_approved"), False),
    "pending": (15, ("received", "in_review"), False),
    "withdrawn": (10, ("withdrawn",), False),
}
CATEGORIES = {"account": 50, "transaction": 22, "product": 20, "emergency": 8}
IDENTIFIERS = {"email": 40, "phone": 15, "username": 15, "order_id": 10, "serial_number": 20}
REVISIONS = 0.04  # of the requests are revisions of an earlier one

AGENCY_COLS = ("id", "name", "kind", "country", "verification", "created_at", "verified_at")
BASIS_COLS = (
    "id", "kind", "reference", "reference_key", "issued_by", "issuer_role", "issued_at",
    "created_at",
)  # fmt: skip
REQUEST_COLS = (
    "id", "agency_id", "legal_basis_id", "revision_of_id", "jurisdiction", "country", "category",
    "status", "emergency", "reason", "officer_name", "officer_title", "officer_email",
    "officer_phone", "received_at", "deadline", "updated_at", "version", "hold_extensions",
    "payload_sha256", "report_outcome", "responded_at",
)  # fmt: skip
TARGET_COLS = ("id", "request_id", "position", "identifier_type", "identifier", "identifier_key")


def pool(weights: dict[str, int]) -> list[str]:
    """A list in which each key appears as often as its weight: uniform picks follow them."""
    return [key for key, weight in weights.items() for _ in range(weight)]


# --- the data ------------------------------------------------------------------------------


class Data:
    """The rows, generated from a fixed seed in chunks, with the column values converted for
    the backend (``sqlite``: ids as 32 hex digits, timestamps and dates as text, booleans as
    integers, as SQLAlchemy stores them there; ``postgresql``: Python objects for asyncpg)."""

    def __init__(self, requests: int, backend: str) -> None:
        self.requests = requests
        self.bases = max(1, requests * 3 // 10)
        rng = random.Random(SEED)  # noqa: S311  (the same data on every backend)
        self.rng = rng
        if backend == "sqlite":
            self.u: Callable[[Any], Any] = lambda v: None if v is None else v.hex
            self.t: Callable[[Any], Any] = lambda v: (
                None if v is None else v.strftime("%Y-%m-%d %H:%M:%S.%f")
            )
            self.d: Callable[[Any], Any] = lambda v: v.isoformat()
            self.b: Callable[[bool], Any] = int
        else:
            self.u = self.t = self.d = self.b = lambda v: v
        countries = list(COUNTRIES)  # every country has an agency, the rest by weight
        countries += rng.choices(countries, list(COUNTRIES.values()), k=AGENCIES - len(countries))
        self.agency_country = countries
        self.agency_ids = [self.new_id() for _ in range(AGENCIES)]
        self.basis_ids = [self.new_id() for _ in range(self.bases)]

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def agencies(self) -> list[tuple[Any, ...]]:
        made = FIRST - timedelta(days=400)
        return [
            (
                self.u(aid),
                f"Agency {n}",
                AGENCY_KINDS[n % 3],
                country,
                "verified",
                self.t(made),
                self.t(made),
            )
            for n, (aid, country) in enumerate(
                zip(self.agency_ids, self.agency_country, strict=True)
            )
        ]

    def legal_bases(self) -> Iterator[list[tuple[Any, ...]]]:
        """Basis b belongs to agency b % 200. One in twenty carries the reference of another
        of the same agency written differently (case, spaces): the report counts them as one."""
        rng = self.rng
        for start in range(0, self.bases, CHUNK):
            rows = []
            for b in range(start, min(self.bases, start + CHUNK)):
                kind = BASIS_KINDS[b % len(BASIS_KINDS)]
                reference = f"AZ {b:07d}/25"
                if b >= AGENCIES * len(BASIS_KINDS) and rng.random() < 0.05:
                    reference = f" az {b - AGENCIES * len(BASIS_KINDS):07d}/25 "
                issued = FIRST + timedelta(days=b * 690 // self.bases)
                rows.append(
                    (
                        self.u(self.basis_ids[b]),
                        kind,
                        reference,
                        counting_key(reference),
                        "Court",
                        "judge",
                        self.d(issued.date()),
                        self.t(issued),
                    )
                )
            yield rows

    def requests_and_targets(self) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
        rng = self.rng
        span = int((LAST - FIRST).total_seconds())
        outcomes, categories, identifiers = (
            pool({k: v[0] for k, v in OUTCOMES.items()}),
            pool(CATEGORIES),
            pool(IDENTIFIERS),
        )
        ids: list[uuid.UUID] = []
        received: list[datetime] = []
        bases: list[int] = []
        for start in range(0, self.requests, CHUNK):
            rows, targets = [], []
            for i in range(start, min(self.requests, start + CHUNK)):
                rid = self.new_id()
                revision_of = None
                if i > 1000 and rng.random() < REVISIONS:  # a revision of a recent request
                    j = rng.randrange(max(0, i - 20_000), i)
                    revision_of, b = ids[j], bases[j]
                    at = min(LAST, received[j] + timedelta(seconds=rng.randrange(1, 30 * 86400)))
                else:
                    b = rng.randrange(self.bases)
                    at = FIRST + timedelta(seconds=rng.randrange(span))
                ids.append(rid)
                received.append(at)
                bases.append(b)
                agency = b % AGENCIES
                country = self.agency_country[agency]
                outcome = outcomes[int(rng.random() * len(outcomes))]
                status = rng.choice(OUTCOMES[outcome][1])
                answered = OUTCOMES[outcome][2]
                if answered is None:
                    answered = status == "objected"
                responded = None
                if answered:
                    days = min(90.0, 0.2 + rng.expovariate(1 / 9))
                    responded = min(LAST, at + timedelta(days=days))
                category = categories[int(rng.random() * len(categories))]
                rows.append(
                    (
                        self.u(rid),
                        self.u(self.agency_ids[agency]),
                        self.u(self.basis_ids[b]),
                        self.u(revision_of),
                        country,
                        country,
                        category,
                        status,
                        self.b(category == "emergency"),
                        "bench",
                        "Officer",
                        "",
                        "officer@example.org",
                        "",
                        self.t(at),
                        self.t(at + timedelta(days=30)),
                        self.t(responded or at),
                        1,
                        0,
                        "0" * 64,
                        outcome,
                        self.t(responded),
                    )
                )
                r = rng.random()
                for position in range(1 if r < 0.6 else 2 if r < 0.9 else 3):
                    kind = identifiers[int(rng.random() * len(identifiers))]
                    x = rng.randrange(5_000_000)
                    if position == 0 and rng.random() < 0.3:  # the suspect of the legal basis
                        kind, value = "email", f"suspect{b}@example.com"
                    elif kind == "email":
                        value = f"user{x}@example.com"
                    elif kind == "phone":
                        value = f"+1 555 {x:07d}"
                    elif kind == "username":
                        value = f"user_{x}"
                    elif kind == "order_id":
                        value = f"ORD-{x:08d}"
                    else:
                        value = f"SN{x:010d}"
                    if rng.random() < 0.1:  # written differently, the same account or product
                        value = f" {value.upper()}"
                    targets.append(
                        (self.u(self.new_id()), self.u(rid), position, kind, value,
                         counting_key(value))
                    )  # fmt: skip
            yield rows, targets


def insert_sql(table: str, columns: tuple[str, ...]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


def seed_sqlite(path: str, requests: int) -> dict[str, int]:
    data = Data(requests, "sqlite")
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    con.execute("BEGIN")
    counts = Counter[str]()
    con.executemany(insert_sql("agencies", AGENCY_COLS), data.agencies())
    for rows in data.legal_bases():
        con.executemany(insert_sql("legal_bases", BASIS_COLS), rows)
        counts["legal_bases"] += len(rows)
    for rows, targets in data.requests_and_targets():
        con.executemany(insert_sql("requests", REQUEST_COLS), rows)
        con.executemany(insert_sql("request_targets", TARGET_COLS), targets)
        counts["requests"] += len(rows)
        counts["targets"] += len(targets)
    con.execute("COMMIT")
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    return dict(counts)


def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def seed_postgres(url: str, schema: str, requests: int) -> dict[str, int]:
    import asyncpg

    data = Data(requests, "postgresql")
    con = await asyncpg.connect(asyncpg_dsn(url), server_settings={"search_path": schema})
    counts = Counter[str]()
    try:
        copy = con.copy_records_to_table
        await copy("agencies", records=data.agencies(), columns=AGENCY_COLS, schema_name=schema)
        for rows in data.legal_bases():
            await copy("legal_bases", records=rows, columns=BASIS_COLS, schema_name=schema)
            counts["legal_bases"] += len(rows)
        for rows, targets in data.requests_and_targets():
            await copy("requests", records=rows, columns=REQUEST_COLS, schema_name=schema)
            await copy("request_targets", records=targets, columns=TARGET_COLS, schema_name=schema)
            counts["requests"] += len(rows)
            counts["targets"] += len(targets)
        for table in ("agencies", "legal_bases", "requests", "request_targets"):
            await con.execute(f"VACUUM (ANALYZE) {table}")  # what autovacuum would have done
    finally:
        await con.close()
    return dict(counts)


async def migrate_sqlite(url: str) -> None:
    db = Database(url)
    await migrate.upgrade(db.engine, db.url)
    await db.dispose()


async def staff_client(url: str, schema: str | None) -> tuple[str, str]:
    from trustcenter.bootstrap import build
    from trustcenter.config import Settings
    from trustcenter.services.access import operator
    from trustcenter.services.clients import create_client

    c = build(Settings.from_env({}, database_url=url, database_schema=schema))
    made = await create_client(
        c,
        operator("bench", frozenset({"admin"})),
        scopes=["reports"],
        agency_id=None,
        name="bench report build",
    )
    await c.close()
    return made.client_id, made.client_secret


# --- what else the machine did (Linux /proc; nothing elsewhere) -----------------------------

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_now() -> dict[str, float] | None:
    """CPU seconds so far: the whole machine's busy time; this process and its descendants
    (with the children it has waited for: the CLI runs); PostgreSQL's processes (with the
    backends that have ended, which the postmaster has waited for)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        procs: dict[int, tuple[str, int, int, int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    raw = (entry / "stat").read_text()
                except OSError:
                    continue  # ended meanwhile
                comm = raw[raw.index("(") + 1 : raw.rindex(")")]
                f = raw.rsplit(")", 1)[1].split()
                procs[int(entry.name)] = (
                    comm,
                    int(f[1]),
                    int(f[11]) + int(f[12]),
                    int(f[13]) + int(f[14]),
                )
    except (OSError, ValueError, IndexError):
        return None
    me = os.getpid()

    def ours(pid: int) -> bool:
        while pid > 1:
            if pid == me:
                return True
            pid = procs[pid][1] if pid in procs else 0
        return False

    own = sum(p[2] for pid, p in procs.items() if ours(pid)) + procs[me][3]
    postgres = sum(
        p[2] + (p[3] if procs.get(p[1], ("",))[0] != "postgres" else 0)
        for p in procs.values()
        if p[0] == "postgres"
    )
    busy = sum(values[:8]) - values[3] - values[4]
    return {"busy": busy / TICKS, "own": own / TICKS, "postgres": postgres / TICKS}


def others(
    before: dict[str, float] | None, after: dict[str, float] | None, backend: str, seconds: float
) -> float | None:
    """Cores that processes other than this benchmark's kept busy, on average, meanwhile (on
    PostgreSQL every PostgreSQL process counts as the benchmark's)."""
    if before is None or after is None or seconds <= 0:
        return None
    d = {k: after[k] - before[k] for k in before}
    rest = d["busy"] - d["own"] - (d["postgres"] if backend == "postgresql" else 0)
    return max(0.0, rest) / seconds


def measured(backend: str, work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    before, started = cpu_now(), time.perf_counter()
    result = work()
    wall = time.perf_counter() - started
    result["others"] = others(before, cpu_now(), backend, wall)
    return result


# --- the three measurements -----------------------------------------------------------------


async def baseline(url: str, schema: str | None, year: int) -> dict[str, Any]:
    """(a): ``compute()`` in one session on an engine that is already connected."""
    db = Database(url, schema=schema)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    await db.ping()  # connect outside the timing
    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    started = time.perf_counter()
    async with db.reader() as session:
        raw = await ReportRepository(session).compute(year, EXCLUDED)
    seconds = time.perf_counter() - started
    await db.dispose()
    return {
        "seconds": seconds,
        "statements": dict(Counter(statements)),
        "sha256": figures_sha256(shape(year, raw, settle_exclusions(EXCLUDED))),
        "units": int(raw["worldwide"][0]["requests"]) if raw["worldwide"] else 0,
    }


async def group_by(url: str, schema: str | None, year: int) -> dict[str, Any]:
    """(g): one GROUP BY by country and category over the year's requests, the same rows."""
    db = Database(url, schema=schema)
    await db.ping()
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    statement = (
        select(Request.country, Request.category, func.count())
        .where(
            Request.received_at >= start,
            Request.received_at < end,
            Request.country.not_in(EXCLUDED),
        )
        .group_by(Request.country, Request.category)
    )
    started = time.perf_counter()
    async with db.reader() as session:
        rows = (await session.execute(statement)).all()
    seconds = time.perf_counter() - started
    await db.dispose()
    return {"seconds": seconds, "groups": len(rows)}


async def reference(url: str, schema: str | None, year: int) -> dict[str, Any]:
    """(r): the report as computed before its facts, over the request tables."""
    db = Database(url, schema=schema)
    await db.ping()
    started = time.perf_counter()
    async with db.reader() as session:
        raw = await compute_sql(session, year, EXCLUDED)
    seconds = time.perf_counter() - started
    await db.dispose()
    return {
        "seconds": seconds,
        "sha256": figures_sha256(shape(year, raw, settle_exclusions(EXCLUDED))),
        "units": int(raw["worldwide"][0]["requests"]) if raw["worldwide"] else 0,
    }


async def vacuum_facts(url: str, schema: str) -> None:
    """What autovacuum does after a large insert: the visibility map (index-only scans)."""
    import asyncpg

    con = await asyncpg.connect(asyncpg_dsn(url), server_settings={"search_path": schema})
    try:
        await con.execute("VACUUM (ANALYZE) report_facts")
    finally:
        await con.close()


def rebuild_facts(env: dict[str, str]) -> float:
    """``trustcenter report rebuild-facts``: the facts of the rows the seeding wrote."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [TRUSTCENTER, "report", "rebuild-facts", "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"trustcenter report rebuild-facts failed:\n{done.stderr}")
    return time.perf_counter() - started


def environment(url: str, schema: str | None) -> dict[str, str]:
    return {
        **os.environ,
        "TRUSTCENTER_DATABASE_URL": url,
        "TRUSTCENTER_DATABASE_SCHEMA": schema or "",
        "TRUSTCENTER_PLUGINS": "",
        "TRUSTCENTER_REPORT_EXCLUSIONS": ",".join(EXCLUDED),
        "TRUSTCENTER_LOG_LEVEL": "WARNING",
    }


def cli(env: dict[str, str], year: int) -> dict[str, Any]:
    """(b): the whole command, as an operator runs it."""
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603
        [TRUSTCENTER, "report", "build", "--year", str(year), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"trustcenter report build failed:\n{done.stderr}")
    out = json.loads(done.stdout)
    return {"seconds": seconds, "sha256": out["figures_sha256"], "units": out["requests"]}


BUILD = """mutation($y: Int!) { buildTransparencyReport(input: {year: $y}) {
  report { year version status figuresSha256
           worldwide { requests withData medianDaysToRespond }
           rows { country category requests withData } }
  userErrors { field code message } } }"""


class Server(served.Server):
    """``trustcenter serve`` in a subprocess on a free port, with a client for (c)."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        serve = [TRUSTCENTER, "serve", "--host", "127.0.0.1"]
        super().__init__("trustcenter serve", serve, env, log)
        self.http = httpx.Client(base_url=self.base, timeout=3600)

    def token(self, client_id: str, secret: str) -> str:
        r = self.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "reports"},
            auth=(client_id, secret),
        )
        r.raise_for_status()
        return str(r.json()["access_token"])

    def build(self, token: str, year: int) -> dict[str, Any]:
        """(c): one POST of the mutation, answered."""
        started = time.perf_counter()
        r = self.http.post(
            "/graphql",
            json={"query": BUILD, "variables": {"y": year}},
            headers={"Authorization": f"Bearer {token}"},
        )
        seconds = time.perf_counter() - started
        body = r.json()
        payload = (body.get("data") or {}).get("buildTransparencyReport") or {}
        if r.status_code != 200 or body.get("errors") or payload.get("userErrors"):
            raise SystemExit(f"buildTransparencyReport failed: {r.status_code} {r.text[:2000]}")
        report = payload["report"]
        return {
            "seconds": seconds,
            "sha256": report["figuresSha256"],
            "units": report["worldwide"]["requests"],
        }

    def stop(self) -> None:
        self.http.close()
        super().stop()


# --- one backend ----------------------------------------------------------------------------


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def busy(cores: float | None) -> str:
    return "" if cores is None else f" (others {cores:.2f} cores)"


def run_backend(backend: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    schema = None
    if backend == "sqlite":
        path = folder / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        asyncio.run(migrate_sqlite(url))
    else:
        url, schema = args.postgres_url, f"tc_bench_report_{secrets.token_hex(4)}"
        asyncio.run(create_schema(url, schema))
    try:
        started = time.perf_counter()
        if backend == "sqlite":
            counts = seed_sqlite(str(path), args.requests)
        else:
            counts = asyncio.run(seed_postgres(url, schema or "", args.requests))
        seeded = time.perf_counter() - started
        note(
            f"{backend}: seeded {counts['requests']:,} requests, {counts['legal_bases']:,} legal "
            f"bases, {counts['targets']:,} targets in {seeded:.1f} s"
        )
        env = environment(url, schema)
        facts_seconds = rebuild_facts(env)
        if schema:
            asyncio.run(vacuum_facts(url, schema))
        note(f"{backend}: report facts rebuilt in {facts_seconds:.1f} s")
        client_id, secret = asyncio.run(staff_client(url, schema))
        server = Server(env, folder / f"serve-{backend}.log")
        try:
            warm = asyncio.run(baseline(url, schema, args.year))  # page cache, buffers
            note(f"{backend}: warm-up compute {warm['seconds']:.2f} s")
            runs: dict[str, list[dict[str, Any]]] = {"g": [], "a": [], "b": [], "c": []}
            for n in range(args.repeat):
                runs["g"].append(
                    measured(backend, lambda: asyncio.run(group_by(url, schema, args.year)))
                )
                runs["a"].append(
                    measured(backend, lambda: asyncio.run(baseline(url, schema, args.year)))
                )
                runs["b"].append(measured(backend, lambda: cli(env, args.year)))
                token = server.token(client_id, secret)
                gql = functools.partial(server.build, token, args.year)
                runs["c"].append(measured(backend, gql))
                note(
                    f"{backend}: run {n + 1}: "
                    + ", ".join(
                        f"{k} {v[-1]['seconds']:.2f} s" + busy(v[-1]["others"])
                        for k, v in runs.items()
                    )
                )
            if not args.no_reference:
                runs["r"] = [
                    measured(backend, lambda: asyncio.run(reference(url, schema, args.year)))
                ]
                note(f"{backend}: reference (the former SQL) {runs['r'][0]['seconds']:.2f} s")
        finally:
            server.stop()
    finally:
        if args.keep:
            note(f"{backend}: kept {url}" + (f" schema {schema}" if schema else ""))
        elif schema:
            asyncio.run(drop_schema(url, schema))
    digests = {r["sha256"] for k, rs in runs.items() if k != "g" for r in rs}
    units = {r["units"] for k, rs in runs.items() if k != "g" for r in rs}
    if len(digests) != 1 or len(units) != 1:
        each = {
            k: sorted({(r["sha256"][:16], r["units"]) for r in rs})
            for k, rs in runs.items()
            if k != "g"
        }
        raise SystemExit(f"{backend}: the ways disagree: {each}")
    return {
        "backend": backend,
        "requests": counts["requests"],
        "seed_seconds": seeded,
        "facts_seconds": facts_seconds,
        "units": units.pop(),
        "sha256": digests.pop(),
        "statements": runs["a"][0]["statements"],
        **{k: statistics.median(r["seconds"] for r in rs) for k, rs in runs.items()},
        "all": {k: [r["seconds"] for r in rs] for k, rs in runs.items()},
        "others": [r["others"] for rs in runs.values() for r in rs if r["others"] is not None],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the median counts")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--keep", action="store_true", help="keep the databases (to explain)")
    parser.add_argument(
        "--no-reference", action="store_true", help="skip timing the former SQL once (r)"
    )
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    wrong = set(backends) - {"sqlite", "postgresql"}
    if wrong:
        parser.error(f"unknown backends: {', '.join(sorted(wrong))}")
    results = []
    folder = Path(tempfile.mkdtemp(prefix="tc-bench-report-"))
    try:
        for backend in backends:
            results.append(run_backend(backend, args, folder))
    finally:
        if not args.keep:
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()
    print(
        f"\nreport build for {args.year} (excluded: {', '.join(EXCLUDED)}), median of "
        f"{args.repeat}; g = one GROUP BY over the year's requests, a = compute() from the "
        "facts, b = CLI, c = GraphQL over HTTP, r = the former SQL (once)"
    )
    print(
        f"{'backend':<11} {'requests':>10} {'units':>8} {'g s':>7} {'a s':>7} {'b CLI s':>8} "
        f"{'c GQL s':>8} {'r s':>7} {'a/g':>6} {'b/a':>6} {'c/a':>6} {'r/a':>7}  statements of a"
    )
    for r in results:
        stmts = " + ".join(f"{n} {kind}" for kind, n in r["statements"].items())
        ref = r.get("r")
        print(
            f"{r['backend']:<11} {r['requests']:>10,} {r['units']:>8,} {r['g']:>7.2f} "
            f"{r['a']:>7.2f} {r['b']:>8.2f} {r['c']:>8.2f} "
            + (f"{ref:>7.2f} " if ref is not None else f"{'-':>7} ")
            + f"{r['a'] / r['g']:>5.2f}x {r['b'] / r['a']:>5.2f}x {r['c'] / r['a']:>5.2f}x "
            + (f"{ref / r['a']:>6.1f}x" if ref is not None else f"{'-':>7}")
            + f"  {stmts}"
        )
    for r in results:
        runs = "; ".join(f"{k} " + " ".join(f"{s:.2f}" for s in v) for k, v in r["all"].items())
        print(
            f"{r['backend']}: seeded in {r['seed_seconds']:.0f} s, facts rebuilt in "
            f"{r['facts_seconds']:.1f} s; every run (s): {runs}"
        )
        if r["others"] and max(r["others"]) > BUSY:
            print(
                f"  NOTE: other processes kept up to {max(r['others']):.2f} of the machine's "
                f"{os.cpu_count()} cores busy during {r['backend']}'s timed runs: its times, "
                "and ratios against them, are not representative"
            )
    digests = {r["sha256"] for r in results}
    print(
        f"figures SHA-256: {' / '.join(r['sha256'][:16] for r in results)} "
        f"({'the same on every backend' if len(digests) == 1 else 'DIFFERENT per backend'})"
    )
    for r in results:
        what = f"report build, {r['requests']:,} requests, {r['backend']}: facts / one GROUP BY"
        goal(f"report-{r['backend']}", what, r["a"] / r["g"], "<= 1.5")


if __name__ == "__main__":
    main()
