"""What the smallest authenticated GraphQL request costs, in process (the per-request fixed
cost of ``bench/graphql_list.py``'s list, without its rows).

For each backend the database gets two agencies and a few requests and an agency's bearer
token (``graphql_list.seed``); then, through ``httpx.ASGITransport`` (no network, the collector
tuned as serving tunes it), ``--count`` requests at a time of

  list first:1   ``requests(first: 1) { edges { node { id status } } }``;
  typename       ``{ __typename }`` with the token (authentication, no page);
  healthz        ``GET /healthz`` (the floor: the client and Starlette alone);
  submit         ``bench/submit.py``'s ``submitRequest`` (three targets' items, its answer) by
                 a client of the same agency allowed to submit (a quarter as many at a time).

Printed: CPU µs per request (``time.process_time``, the least of ``--batches`` batches, so
steadier than wall time on a shared machine) and Python function calls per request (counted
by cProfile over one more batch: exact, whatever the machine does). The client's own work is
in every figure alike.

Usage: python bench/fixed_cost.py [--backends sqlite,postgresql] [--count 200] [--batches 7]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import secrets
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from graphql_list import POSTGRES_URL, environment, seed, tune_gc
from pg_schema import create_schema, drop_schema
from submit import BODY as SUBMIT

from trustcenter.bootstrap import Container, build
from trustcenter.config import Settings
from trustcenter.services.access import operator
from trustcenter.services.clients import create_client
from trustcenter.web.app import create_app

LIST = "query L($first: Int!) { requests(first: $first) { edges { node { id status } } } }"


def calls(
    http: httpx.AsyncClient, token: str, submitter: str
) -> dict[str, Callable[[], Awaitable[None]]]:
    async def graphql(body: dict[str, object], bearer: str = token) -> None:
        headers = {"Authorization": f"Bearer {bearer}"}
        r = await http.post("/graphql", json=body, headers=headers)
        if r.status_code != 200 or "errors" in r.json():
            raise SystemExit(f"graphql answered {r.status_code}: {r.text[:300]}")

    async def page() -> None:
        await graphql({"query": LIST, "variables": {"first": 1}})

    async def typename() -> None:
        await graphql({"query": "{ __typename }"})

    async def healthz() -> None:
        (await http.get("/healthz")).raise_for_status()

    async def submit() -> None:
        await graphql(SUBMIT, submitter)

    return {"list first:1": page, "typename": typename, "healthz": healthz, "submit": submit}


async def submitter_token(c: Container, http: httpx.AsyncClient, agency_id: str) -> str:
    """A token of a client of the agency that may submit requests."""
    client = await create_client(
        c, operator("bench"), scopes=["requests:submit", "requests:read"],
        agency_id=uuid.UUID(agency_id),
    )  # fmt: skip
    r = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


async def measure(backend: str, folder: Path, count: int, batches: int) -> None:
    schema = None
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{folder / 'fixed.db'}"
    else:
        url, schema = POSTGRES_URL, f"tc_bench_fixed_{secrets.token_hex(4)}"
        await create_schema(url, schema)
    env = environment(url, schema)
    try:
        agency_id, token = await seed(env, 20)
        c = build(Settings.from_env(env))
        await c.start(upgrade=False)
        try:
            transport = httpx.ASGITransport(app=create_app(c))
            tune_gc()
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as h:
                submitter = await submitter_token(c, h, agency_id)
                for name, call in calls(h, token, submitter).items():
                    n = count // 4 if name == "submit" else count
                    for _ in range(50):  # warm up: caches, the pool, the compiled statements
                        await call()
                    cpu = []
                    for _ in range(batches):
                        started = time.process_time()
                        for _ in range(n):
                            await call()
                        cpu.append((time.process_time() - started) / n * 1e6)
                    profile = cProfile.Profile()
                    profile.enable()
                    for _ in range(n):
                        await call()
                    profile.disable()
                    made = pstats.Stats(profile).total_calls / n  # type: ignore[attr-defined]
                    print(f"{backend:<11} {name:<13} {min(cpu):>8.0f} µs {made:>8.0f} calls")
        finally:
            await c.close()
    finally:
        if schema:
            await drop_schema(url, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--batches", type=int, default=7)
    args = parser.parse_args()
    print(f"{'backend':<11} {'request':<13} {'CPU':>11} {'per request':>14}")
    with tempfile.TemporaryDirectory(prefix="tc-bench-fixed-") as folder:
        for backend in args.backends.split(","):
            asyncio.run(measure(backend.strip(), Path(folder), args.count, args.batches))


if __name__ == "__main__":
    main()
