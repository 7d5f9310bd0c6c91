"""``make bench``: every benchmark at a size that finishes in a few minutes, one after the
other, and one table of their goals' ratios at the end (docs/performance.md).

Each benchmark runs as its own process (its output passes through) and ends with one line per
goal (``bench/goal.py``). PostgreSQL benchmarks use TRUSTCENTER_BENCH_POSTGRES_URL (default the
local server's ``test`` database) and are left out, with a line saying so, when it does not
answer.

Usage: python bench/all.py [--only start-up,...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent

#: (name, script and its arguments at the quick size, needs PostgreSQL)
BENCHMARKS: list[tuple[str, list[str], bool]] = [
    ("start-up", ["startup.py", "--rounds", "5"], False),
    (
        "graphql-list",
        ["graphql_list.py", "--rounds", "3", "--seconds", "4", "--latency-requests", "200"],
        True,
    ),
    # the report: SQLite at 100,000 requests; PostgreSQL at the size goal 2 names (1,000,000,
    # under 2 s), where a build's fixed cost (two statements, about 10 ms) no longer decides
    # the ratio as it does at 100,000 (docs/performance.md, goal 2)
    ("report", ["report_build.py", "--requests", "100000", "--backends", "sqlite"], False),
    (
        "report-1m",
        ["report_build.py", "--requests", "1000000", "--backends", "postgresql"],
        True,
    ),
    ("submit", ["submit.py", "--seconds", "5", "--rounds", "3"], True),
    ("multiprocess", ["multiprocess.py", "--seconds", "5"], True),
    ("webhooks", ["webhooks.py", "--events", "5000"], True),
]


def postgres_answers() -> bool:
    import asyncio

    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    url = os.environ.get(
        "TRUSTCENTER_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    )

    async def ping() -> bool:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except (OSError, Exception):
            return False
        finally:
            await engine.dispose()

    return asyncio.run(ping())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    args = parser.parse_args()
    wanted = {n for n in args.only.split(",") if n}
    pg = postgres_answers()
    rows: list[str] = []
    for name, command, needs_pg in BENCHMARKS:
        if wanted and name not in wanted:
            continue
        if needs_pg and not pg:
            rows.append(f"{name} | PostgreSQL does not answer: not run | | |")
            continue
        print(f"\n### {name}: {' '.join(command)}", flush=True)
        began = time.perf_counter()
        done = subprocess.run(  # noqa: S603 - our own scripts
            [sys.executable, str(HERE / command[0]), *command[1:]],
            stdout=subprocess.PIPE,
            text=True,
            check=False,
        )
        print(done.stdout, end="", flush=True)
        lines = [
            ln[len("== goal ") :] for ln in done.stdout.splitlines() if ln.startswith("== goal ")
        ]
        if done.returncode != 0 or not lines:
            rows.append(f"{name} | failed (exit {done.returncode}) | | |")
        rows.extend(lines)
        print(f"({time.perf_counter() - began:.0f} s)")
    print("\n| goal | measured | ratio | goal | result |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        print(f"| {row} |")
    if any("NOT met" in r or "failed" in r for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
