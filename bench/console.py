"""Benchmark: each console page's server time against the GraphQL operations it runs, with
10,000 requests in the database, on SQLite (and PostgreSQL with ``--backends``).

The database (``console_data``): the demo data set (every request state, releases, notices,
their audit trail), filler requests up to ``--requests`` in bulk, a staff person with every
role, last year's transparency report draft. That person signs in through the console's own
forms (password, then the one-time code). Then, in this process, through
``httpx.ASGITransport`` on ``create_app(container)`` with the session cookie, for each page:

  page  ``GET`` the page (200 checked): its whole server time — the session, the operations
        the page runs in-process (``web.console.runner``), the template;
  ops   the operations that page ran, by name and with the same variables (recorded while it
        rendered once, untimed), each posted to ``/graphql`` with the same cookie and the
        ``X-CSRF-Token`` header, one after the other (errors checked): what a client of the
        API pays for the same data, session included once per operation;

and two floors: ``GET /healthz`` (no session, no database), the least any request through the
app costs, and ``{ __typename }`` posted to ``/graphql`` signed in (the session, the gates, no
resolver), the least each operation posted costs.
``--repeat`` rounds after one untimed round, interleaved (page and ops take turns going first);
the median counts. Printed per page: page ms, ops ms, page/ops, what the page adds (page - ops)
and the operations; the SQL statements of each, counted in the untimed round. The CPU other
processes used meanwhile is read from /proc; a backend whose rounds shared the machine with
more than a quarter of a core of other work is flagged with a NOTE.

Usage: python bench/console.py [--requests 10000] [--backends sqlite[,postgresql]]
                               [--repeat 31] [--pages queue,request,...]
SQLite: a file in a temporary folder. PostgreSQL: TRUSTCENTER_BENCH_POSTGRES_URL (default the
local server's ``test`` database); a private schema, dropped at the end. The GraphQL budgets per
minute are raised out of reach (the rounds send some 30 operations a second) and the log level
is WARNING (as the other benchmarks run); nothing else is changed from the defaults.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from console_data import EMAIL, PASSWORD, TOTP_SECRET, Seeded, seed
from pg_schema import create_schema, drop_schema
from sqlalchemy import event, text

from trustcenter.auth.totp import code_at
from trustcenter.bootstrap import Container, build
from trustcenter.config import Settings
from trustcenter.db.models import Base
from trustcenter.services.sessions import csrf_token
from trustcenter.web.app import create_app
from trustcenter.web.authentication import CSRF_HEADER
from trustcenter.web.console.operations import operation
from trustcenter.web.console.runner import Runner

POSTGRES_URL = os.environ.get(
    "TRUSTCENTER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
ORIGIN = "https://localhost"  # https: the ``__Host-`` session cookie is kept and sent
SESSION = "__Host-trustcenter-session"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OUT_OF_REACH = 1_000_000_000
#: cores other processes may keep busy on average during the rounds before they are flagged
BUSY = 0.25
#: the statements counted (SQLite's driver also shows a BEGIN per transaction, PostgreSQL's not)
DATA = frozenset({"SELECT", "WITH", "INSERT", "UPDATE", "DELETE"})
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


#: each measured page and its address (filled in from ``Seeded``)
PAGES = {
    "queue": "/console/queue",
    "request": "/console/requests/{rich}",
    "decide": "/console/requests/{in_review}/decide",
    "release preview": "/console/requests/{approved}/release",
    "agencies": "/console/agencies",
    "vendors": "/console/vendors",
    "notices": "/console/notices",
    "transparency draft": "/console/transparency?year={year}",
    "audit": "/console/audit?verify=1",
    "staff": "/console/staff",
    "plugins": "/console/plugins",
}


# --- recording what a page runs, and the statements -------------------------------------------


@contextmanager
def recording(into: list[tuple[str, dict[str, Any]]]) -> Iterator[None]:
    """While inside, every console operation run is appended to ``into`` (name, variables)."""
    original = Runner.run

    async def run(self: Runner, request: Any, name: str, variables: Any = None) -> Any:
        into.append((name, dict(variables or {})))
        return await original(self, request, name, variables)

    Runner.run = run  # type: ignore[method-assign]
    try:
        yield
    finally:
        Runner.run = original  # type: ignore[method-assign]


@contextmanager
def statements(c: Container, into: Counter[str]) -> Iterator[None]:
    """While inside, every SQL statement the engine sends is counted in ``into``."""

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        into[statement.split(None, 1)[0].upper()] += 1

    engine = c.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- what else the machine did (Linux /proc; nothing elsewhere) ------------------------------


def cpu_now() -> dict[str, float] | None:
    """CPU seconds so far: the machine's busy time, this process's, PostgreSQL's processes'."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        own = sum(os.times()[:2])
        postgres = 0
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    raw = (entry / "stat").read_text()
                except OSError:
                    continue  # ended meanwhile
                if raw[raw.index("(") + 1 : raw.rindex(")")] == "postgres":
                    f = raw.rsplit(")", 1)[1].split()
                    postgres += int(f[11]) + int(f[12])
    except (OSError, ValueError, IndexError):
        return None
    busy = sum(values[:8]) - values[3] - values[4]
    return {"busy": busy / TICKS, "own": own, "postgres": postgres / TICKS}


def others(
    before: dict[str, float] | None, after: dict[str, float] | None, backend: str, seconds: float
) -> float | None:
    """Cores that other processes kept busy on average meanwhile (on PostgreSQL every
    PostgreSQL process counts as the benchmark's)."""
    if before is None or after is None or seconds <= 0:
        return None
    d = {k: after[k] - before[k] for k in before}
    rest = d["busy"] - d["own"] - (d["postgres"] if backend == "postgresql" else 0)
    return max(0.0, rest) / seconds


# --- the browser --------------------------------------------------------------------------------


@dataclass
class Page:
    name: str
    path: str
    ops: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    page_ms: list[float] = field(default_factory=list)
    ops_ms: list[float] = field(default_factory=list)
    page_sql: Counter[str] = field(default_factory=Counter)
    ops_sql: Counter[str] = field(default_factory=Counter)
    size: int = 0


@asynccontextmanager
async def signed_in(c: Container) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A browser on the app, signed in as the bench person (password, then the code); with the
    session's CSRF token."""
    transport = httpx.ASGITransport(app=create_app(c), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN, timeout=600) as http:
        for path, form in (
            ("/console/sign-in", {"email": EMAIL, "password": PASSWORD}),
            ("/console/sign-in/code", {"code": code_at(TOTP_SECRET, c.clock.now())}),
        ):
            shown = await http.get(path)
            found = _CSRF.search(shown.text)
            if shown.status_code != 200 or not found:
                raise SystemExit(f"{path}: {shown.status_code} {shown.text[:500]}")
            r = await http.post(path, data={"csrf_token": found[1], **form})
            if r.status_code != 303:
                raise SystemExit(f"signing in at {path} failed: {r.status_code} {r.text[:500]}")
        token = http.cookies.get(SESSION)
        if r.headers.get("location") != "/console" or token is None:
            raise SystemExit(f"not signed in: {r.headers.get('location')}")
        yield http, csrf_token(token)


async def get_page(http: httpx.AsyncClient, page: Page) -> float:
    started = time.perf_counter()
    r = await http.get(page.path)
    seconds = time.perf_counter() - started
    if r.status_code != 200:
        raise SystemExit(f"{page.name} ({page.path}): {r.status_code}\n{r.text[:2000]}")
    page.size = len(r.content)
    return seconds


async def post_ops(http: httpx.AsyncClient, csrf: str, page: Page) -> float:
    """The page's operations posted to /graphql one after the other; their time together."""
    seconds = 0.0
    for name, variables in page.ops:
        body = {"query": operation(name), "variables": variables, "operationName": name}
        started = time.perf_counter()
        r = await http.post("/graphql", json=body, headers={CSRF_HEADER: csrf})
        seconds += time.perf_counter() - started
        if r.status_code != 200 or r.json().get("errors"):
            raise SystemExit(f"{page.name}: {name} answered {r.status_code}\n{r.text[:2000]}")
    return seconds


async def healthz(http: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    r = await http.get("/healthz")
    seconds = time.perf_counter() - started
    if r.status_code != 200:
        raise SystemExit(f"/healthz answered {r.status_code}")
    return seconds


async def typename(http: httpx.AsyncClient, csrf: str) -> float:
    """The least a signed-in ``/graphql`` POST costs: the session, the gates, no resolver."""
    started = time.perf_counter()
    r = await http.post("/graphql", json={"query": "{ __typename }"}, headers={CSRF_HEADER: csrf})
    seconds = time.perf_counter() - started
    if r.status_code != 200 or r.json().get("errors"):
        raise SystemExit(f"{{ __typename }} answered {r.status_code}: {r.text[:500]}")
    return seconds


# --- one backend --------------------------------------------------------------------------------


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def settings(url: str, schema: str | None) -> Settings:
    key = base64.b64encode(secrets.token_bytes(32)).decode()
    return Settings.from_env(
        {},
        database_url=url,
        database_schema=schema,
        issuer="http://localhost",
        disclosure_keys=f"bench:{key}",
        plugins="",  # the built-in plugins only
        log_level="WARNING",
        graphql_cost_per_minute=OUT_OF_REACH,
        graphql_requests_per_minute=OUT_OF_REACH,
    )


async def measure(
    c: Container, seeded: Seeded, args: argparse.Namespace, backend: str
) -> dict[str, Any]:
    chosen = [
        Page(name, path.format(**asdict(seeded)))
        for name, path in PAGES.items()
        if name in args.pages
    ]
    floor: list[float] = []
    gql_floor: list[float] = []
    async with signed_in(c) as (http, csrf):
        for page in chosen:  # the untimed round: what each page runs, and the statements
            with recording(page.ops), statements(c, page.page_sql):
                await get_page(http, page)
            with statements(c, page.ops_sql):
                await post_ops(http, csrf, page)
            note(f"  {page.name}: {', '.join(name for name, _ in page.ops) or 'no operation'}")
        await healthz(http)
        await typename(http, csrf)
        before, started = cpu_now(), time.perf_counter()
        for n in range(args.repeat):
            floor.append(await healthz(http))
            gql_floor.append(await typename(http, csrf))
            for i, page in enumerate(chosen):
                if (n + i) % 2 == 0:
                    page.page_ms.append(await get_page(http, page))
                    page.ops_ms.append(await post_ops(http, csrf, page))
                else:
                    page.ops_ms.append(await post_ops(http, csrf, page))
                    page.page_ms.append(await get_page(http, page))
            note(f"  round {n + 1} of {args.repeat}")
        wall = time.perf_counter() - started
    return {
        "pages": chosen,
        "floor": floor,
        "gql_floor": gql_floor,
        "others": others(before, cpu_now(), backend, wall),
        "wall": wall,
    }


async def run_backend(backend: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    schema = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    else:
        url, schema = args.postgres_url, f"tc_bench_console_{secrets.token_hex(4)}"
        await create_schema(url, schema)
    c = build(settings(url, schema))
    try:
        await c.start(upgrade=backend == "sqlite")
        started = time.perf_counter()
        seeded = await seed(c, args.requests)
        if backend == "postgresql":  # what autovacuum would have done after the bulk inserts
            async with c.db.engine.begin() as conn:
                for table in Base.metadata.sorted_tables:  # this schema's (the search path)
                    await conn.execute(text(f'ANALYZE "{table.name}"'))
        seeding = time.perf_counter() - started
        note(
            f"{backend}: {seeded.requests:,} requests ({seeded.demo_requests} from the demo) "
            f"seeded in {seeding:.1f} s"
        )
        result = await measure(c, seeded, args, backend)
    finally:
        await c.close()
        if schema:
            await drop_schema(url, schema)
    return {"backend": backend, "requests": seeded.requests, "seeding": seeding, **result}


# --- the report ---------------------------------------------------------------------------------


def ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def sql(counts: Counter[str]) -> str:
    """The statements that read or write (not BEGIN and the like, which only SQLite shows)."""
    return str(sum(n for kind, n in counts.items() if kind in DATA))


def report(r: dict[str, Any], repeat: int) -> None:
    print(
        f"\n{r['backend']}: {r['requests']:,} requests; median of {repeat} rounds; page = GET "
        "the page, ops = its operations posted to /graphql"
    )
    print(
        f"{'page':<19} {'page ms':>8} {'ops ms':>8} {'page/ops':>8} {'added ms':>8} "
        f"{'KiB':>5} {'SQL p/o':>8}  operations"
    )
    print(f"{'/healthz (floor)':<19} {ms(r['floor']):>8.1f}")
    print(f"{'{ __typename }':<19} {'':>8} {ms(r['gql_floor']):>8.1f}  (a signed-in /graphql POST)")
    for p in r["pages"]:
        page, ops = ms(p.page_ms), ms(p.ops_ms)
        print(
            f"{p.name:<19} {page:>8.1f} {ops:>8.1f} {page / ops:>7.2f}x {page - ops:>8.1f} "
            f"{p.size / 1024:>5.0f} {sql(p.page_sql) + '/' + sql(p.ops_sql):>8}  "
            f"{' + '.join(name for name, _ in p.ops)}"
        )
    spread = "; ".join(
        f"{p.name} {min(p.page_ms) * 1000:.0f}-{max(p.page_ms) * 1000:.0f}/"
        f"{min(p.ops_ms) * 1000:.0f}-{max(p.ops_ms) * 1000:.0f}"
        for p in r["pages"]
    )
    print(f"{r['backend']}: seeded in {r['seeding']:.0f} s, rounds took {r['wall']:.0f} s")
    print(f"range of single runs (ms, page/ops): {spread}")
    if r["others"] is not None and r["others"] > BUSY:
        print(
            f"  NOTE: other processes kept {r['others']:.2f} of the machine's {os.cpu_count()} "
            f"cores busy on average during {r['backend']}'s rounds: its times are not "
            "representative (the ratios suffer less, page and ops being interleaved)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite", help="sqlite, postgresql or both")
    parser.add_argument("--repeat", type=int, default=31, help="timed rounds; the median counts")
    parser.add_argument("--pages", default=",".join(PAGES), help="a comma-separated subset")
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    wrong = set(backends) - {"sqlite", "postgresql"}
    if wrong:
        parser.error(f"unknown backends: {', '.join(sorted(wrong))}")
    args.pages = [p.strip() for p in args.pages.split(",") if p.strip()]
    unknown = set(args.pages) - set(PAGES)
    if unknown:
        parser.error(f"unknown pages: {', '.join(sorted(unknown))} (known: {', '.join(PAGES)})")
    results = []
    with tempfile.TemporaryDirectory(prefix="tc-bench-console-") as folder:
        for backend in backends:
            results.append(asyncio.run(run_backend(backend, args, Path(folder))))
    for r in results:
        report(r, args.repeat)


if __name__ == "__main__":
    main()
