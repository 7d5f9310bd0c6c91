"""Benchmark: cold start to the first ``200``, ``trustcenter serve`` against a bare app.

Both are started as fresh processes by this script, one after the other and in turns
(``--rounds``, median counts), and polled on ``GET /healthz`` until it answers ``200``:

  trustcenter  ``trustcenter serve`` on an SQLite file whose schema is current (made by one
               untimed start first) — what a restart of a deployed server costs;
  bare         a Starlette app with one route, an SQLAlchemy async engine on the same file
               (``SELECT 1`` at start-up), served by the same uvicorn — the least any
               Starlette + SQLAlchemy service pays;
  stack        the bare app that first imports what any GraphQL service on this project's fixed
               stack loads before it can answer a query (strawberry with graphql-core and its ASGI
               view, SQLAlchemy's ORM, authlib, joserfc, pluggy) and does nothing with it: the
               floor the libraries alone set, printed as its own ratio to the bare app.

Printed per side: wall seconds to the first 200, the CPU seconds the process had used by then
(from /proc: steadier than wall time on a busy machine), its resident memory then; and the
ratios trustcenter / bare. CPU other processes used meanwhile is read from /proc; a round that
shared the machine with more than a quarter of a core of other work is flagged with a NOTE.

Usage: python bench/startup.py [--rounds 5] [--port 8791]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from goal import goal

BARE_APP = """
import sys
from contextlib import asynccontextmanager
import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

engine = create_async_engine(sys.argv[1])

@asynccontextmanager
async def lifespan(app):
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    yield
    await engine.dispose()

async def healthz(request):
    return JSONResponse({"status": "ok"})

if len(sys.argv) > 3:  # the "stack" side: the fixed stack's libraries imported, unused
    import authlib.oauth2.rfc6749, joserfc.jwt, pluggy, sqlalchemy.orm  # noqa: E401, F401
    import strawberry, strawberry.asgi  # noqa: E401, F401

app = Starlette(routes=[Route("/healthz", healthz)], lifespan=lifespan)
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning", access_log=False)
"""

TICKS = os.sysconf("SC_CLK_TCK")
FIELDS = ("wall", "cpu", "rss_mib", "others_cpu")


@dataclass
class Start:
    wall: float
    cpu: float
    rss_mib: float
    others_cpu: float


def _cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _rss_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _machine_cpu() -> float:
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    busy = sum(int(x) for i, x in enumerate(parts) if i not in (3, 4))  # not idle, iowait
    return busy / TICKS


def start(command: list[str], port: int, env: dict[str, str]) -> Start:
    machine_before = _machine_cpu()
    began = time.perf_counter()
    process = subprocess.Popen(  # noqa: S603 - the two commands above, nothing else
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(timeout=0.5) as client:
            while True:
                if process.poll() is not None:
                    raise SystemExit(f"{command[0]} exited with {process.returncode}")
                try:
                    if client.get(f"http://127.0.0.1:{port}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.005)
        wall = time.perf_counter() - began
        cpu, rss = _cpu_of(process.pid), _rss_of(process.pid)
        others = max(0.0, _machine_cpu() - machine_before - cpu)
        return Start(wall, cpu, rss, others / wall if wall else 0.0)
    finally:
        process.terminate()
        process.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/startup.db"
        env = dict(os.environ, TRUSTCENTER_DATABASE_URL=url, TRUSTCENTER_LOG_LEVEL="WARNING")
        # As deployed (an installed wheel's modules are compiled at install): the untimed first
        # start writes the bytecode the timed ones read, where the environment would forbid it.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        ours = [str(bin_dir / "trustcenter"), "serve", "--port", str(args.port)]
        bare = [sys.executable, "-c", BARE_APP, url, str(args.port)]
        commands = {"trustcenter": ours, "bare": bare, "stack": [*bare, "stack"]}
        start(ours, args.port, env)  # untimed: makes the schema current
        results: dict[str, list[Start]] = {side: [] for side in commands}
        for round_ in range(args.rounds):
            order = list(commands) if round_ % 2 == 0 else list(reversed(commands))
            for side in order:
                results[side].append(start(commands[side], args.port, env))
    med = {
        side: Start(*(statistics.median(getattr(s, f) for s in runs) for f in FIELDS))
        for side, runs in results.items()
    }
    print(f"cold start to first 200, median of {args.rounds} (SQLite file, schema current)")
    print(f"{'':12} {'wall s':>8} {'cpu s':>8} {'RSS MiB':>8}")
    for side, s in med.items():
        print(f"{side:12} {s.wall:8.3f} {s.cpu:8.3f} {s.rss_mib:8.1f}")
    ours_, bare_, stack = med["trustcenter"], med["bare"], med["stack"]
    for label, side in (("ratio", ours_), ("stack floor", stack)):
        print(
            f"{label:12} {side.wall / bare_.wall:7.2f}x {side.cpu / bare_.cpu:7.2f}x "
            f"{side.rss_mib / bare_.rss_mib:7.2f}x"
        )
    busy = max(s.others_cpu for runs in results.values() for s in runs)
    note = f"machine busy ({busy:.2f} other cores)" if busy > 0.25 else ""
    if note:
        print(f"NOTE: other work used up to {busy:.2f} cores during a start; times mean little")
    floor = f"the stack's imports alone {stack.wall / bare_.wall:.2f}x"
    note = f"{note}; {floor}" if note else floor
    goal("start-up", "cold start to first 200, wall", ours_.wall / bare_.wall, "<= 1.5", note)


if __name__ == "__main__":
    main()
