"""Benchmark: the worst ``/healthz`` latency while hostile requests hit ``POST /graphql``.

``trustcenter serve`` runs in a subprocess (one uvicorn worker, SQLite in a temporary folder). A
staff client is made with ``trustcenter client create``. Then, for each attack below, one thread
sends the attack ``--rounds`` times over ``--senders`` connections while another thread polls
``/healthz`` back to back; the worst and median probe latency are recorded, and the status codes
the attack got. A baseline polls ``/healthz`` with no attack first, for as long as the longest
attack took; each worst latency is printed with its ratio to the baseline's worst.

Attacks: the refused ones (an anonymous 11 MB ``submitRequest`` announced and streamed, JSON
5,000 levels deep, 1 MB of whitespace as the query, invalid UTF-8, NUL in a variable) and the
largest request each limit admits (an anonymous body at the anonymous limit, a staff
``submitRequest`` at the GraphQL body limit, a query of as many fields as the token limit admits
padded with a comment to the query-text limit, JSON at the nesting limit). A query of ~3,000
fields within the query-text limit is refused by the token limit before it is parsed.

Usage: python bench/hostile.py [--rounds 20] [--senders 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
from served import Server

from trustcenter.config import Settings

TRUSTCENTER = str(Path(sys.executable).parent / "trustcenter")
STAFF_SCOPES = "review notices reports audit admin"
SUBMIT = """mutation Submit($input: SubmitRequestInput!) { submitRequest(input: $input) {
  request { id } userErrors { field code message } } }"""
LIMITS = Settings()


def submission(targets: int) -> dict[str, Any]:
    target = {"identifierType": "EMAIL", "identifier": "x@example.com", "infoTypes": ["A"]}
    return {
        "jurisdiction": "DE",
        "officer": {"name": "K. Weber", "title": "KHKin", "email": "k@polizei.example"},
        "legalBasis": {
            "kind": "WARRANT",
            "reference": "AG-1",
            "issuedBy": "Amtsgericht",
            "issuedAt": "2026-11-01",
        },
        "targets": [target] * targets,
        "reason": "Benchmark of hostile traffic.",
    }


def submit_body(targets: int, size: int | None = None) -> bytes:
    body = json.dumps({"query": SUBMIT, "variables": {"input": submission(targets)}}).encode()
    if size is not None:
        body += b" " * (size - len(body))
    return body


def nested(depth: int) -> bytes:
    inner = "[" * (depth - 2) + "]" * (depth - 2)
    return f'{{"query": "{{ __typename }}", "variables": {{"x": {inner}}}}}'.encode()


def chunks(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


def attacks() -> list[tuple[str, bool, Callable[[], bytes | Iterator[bytes]]]]:
    """(name, with the staff token, body factory)."""
    eleven = submit_body(150_000)
    many_fields = ("{ " + "__typename " * 4000)[: LIMITS.max_query_bytes - 1] + "}"
    admitted_query = "{ " + "__typename " * (LIMITS.max_tokens - 2) + "}\n#"
    admitted_query += "x" * (LIMITS.max_query_bytes - len(admitted_query))
    return [
        ("anonymous 11 MB submitRequest (Content-Length)", False, lambda: eleven),
        ("anonymous 11 MB submitRequest (streamed)", False, lambda: chunks(eleven)),
        ("JSON 5,000 levels deep", True, lambda: nested(5000)),
        ("1 MB of whitespace as the query", True, lambda: b'{"query": "{' + b" " * 2**20 + b'}"}'),
        ("invalid UTF-8", True, lambda: b'{"query": "{ __typename }", "x": "\xff"}'),
        ("NUL in a variable", True, lambda: b'{"query": "{ a }", "variables": {"x": "\\u0000"}}'),
        (
            f"{LIMITS.max_query_bytes} bytes of query, ~3,000 fields",
            True,
            lambda: json.dumps({"query": many_fields}).encode(),
        ),
        (
            f"admitted: anonymous body of {LIMITS.max_anonymous_bytes} bytes",
            False,
            lambda: submit_body(20, LIMITS.max_anonymous_bytes),
        ),
        (
            f"admitted: staff submitRequest of {LIMITS.max_graphql_bytes} bytes",
            True,
            lambda: submit_body(1_400, LIMITS.max_graphql_bytes),
        ),
        (
            f"admitted: {LIMITS.max_tokens} tokens, {LIMITS.max_query_bytes} bytes",
            True,
            lambda: json.dumps({"query": admitted_query}).encode(),
        ),
        (
            f"admitted: JSON {LIMITS.max_json_depth} levels deep",
            True,
            lambda: nested(LIMITS.max_json_depth),
        ),
    ]


def staff_token(base: str, env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603
        [TRUSTCENTER, "client", "create", "--staff", "--scopes", STAFF_SCOPES, "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    client = json.loads(done.stdout)
    r = httpx.post(
        f"{base}/oauth/token",
        data={"grant_type": "client_credentials", "scope": STAFF_SCOPES},
        auth=(client["client_id"], client["client_secret"]),
    )
    r.raise_for_status()
    return str(r.json()["access_token"])


def probe_while(base: str, running: threading.Event) -> list[float]:
    """Latencies of back-to-back ``/healthz`` probes until ``running`` is cleared."""
    latencies: list[float] = []
    with httpx.Client(base_url=base, timeout=120) as probe:
        while running.is_set():
            started = time.perf_counter()
            r = probe.get("/healthz")
            latencies.append(time.perf_counter() - started)
            if r.status_code != 200:
                raise SystemExit(f"/healthz answered {r.status_code}")
    return latencies


def send(base: str, body: Callable[[], bytes | Iterator[bytes]], token: str | None) -> str:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            return str(client.post("/graphql", content=body(), headers=headers).status_code)
    except httpx.TransportError:
        return "closed"  # refused before the client finished sending


def measure(
    base: str, work: Callable[[], list[str]] | None, seconds: float = 0.0
) -> tuple[list[float], list[str], float]:
    running = threading.Event()
    running.set()
    result: dict[str, list[float]] = {}
    poller = threading.Thread(target=lambda: result.setdefault("l", probe_while(base, running)))
    poller.start()
    started = time.perf_counter()
    statuses = work() if work is not None else []
    if work is None:
        time.sleep(seconds)
    took = time.perf_counter() - started
    running.clear()
    poller.join()
    return result["l"], statuses, took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--senders", type=int, default=4)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tc-hostile-"))
    env = {
        **os.environ,
        "TRUSTCENTER_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'trustcenter.db'}",
        "TRUSTCENTER_PLUGINS": "",
        "TRUSTCENTER_LOG_LEVEL": "WARNING",
        "TRUSTCENTER_DISCLOSURE_KEY_FILE": str(folder / "disclosure.key"),
    }
    serve = [TRUSTCENTER, "serve", "--host", "127.0.0.1"]
    server = Server("trustcenter serve", serve, env, folder / "serve.log")
    try:
        token = staff_token(server.base, env)
        rows = []
        for name, staff, body in attacks():

            def work(body: Any = body, staff: bool = staff) -> list[str]:
                out: list[str] = []

                def sender() -> None:
                    for _ in range(args.rounds):
                        out.append(send(server.base, body, token if staff else None))

                threads = [threading.Thread(target=sender) for _ in range(args.senders)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                return out

            latencies, statuses, took = measure(server.base, work)
            rows.append((name, latencies, statuses, took))
        longest = max(took for *_, took in rows)
        baseline, _, _ = measure(server.base, None, longest)
        worst_base = max(baseline)
        print(f"{args.senders} senders x {args.rounds} rounds per attack; one uvicorn worker")
        print(
            f"{'baseline (no attack)':52} worst {worst_base * 1000:7.1f} ms  "
            f"median {statistics.median(baseline) * 1000:5.1f} ms  probes {len(baseline)}"
        )
        for name, latencies, statuses, took in rows:
            worst = max(latencies)
            answers = ", ".join(f"{s}x{n}" for s, n in sorted(Counter(statuses).items()))
            print(
                f"{name:52} worst {worst * 1000:7.1f} ms  "
                f"median {statistics.median(latencies) * 1000:5.1f} ms  "
                f"x{worst / worst_base:5.1f}  probes {len(latencies):4}  "
                f"attack {took:5.2f} s  answers {answers}"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
