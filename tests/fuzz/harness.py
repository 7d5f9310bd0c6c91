"""The fuzz runs' shared harness: bounded, repeatable hypothesis settings, and the one oracle
every target uses (no 5xx, no INTERNAL_SERVER_ERROR, no ERROR logged by the server).

Hypothesis runs its (synchronous) test in a worker thread; each example's request is sent on
the test's own event loop, where the container's database pool lives.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, Phase, settings

from tests.support.hypothesis_profiles import examples

T = TypeVar("T")

DEFAULT_EXAMPLES = 16
#: examples per GraphQL operation and token: 16 under the ``ci`` hypothesis profile, a quarter
#: under ``dev`` (tests/support/hypothesis_profiles.py); more with the variable (the
#: single-target runs, the token endpoint's and the documents', scale with it)
EXAMPLES = int(os.environ.get("TRUSTCENTER_FUZZ_EXAMPLES") or examples(DEFAULT_EXAMPLES))


def scaled(base: int) -> int:
    """``base`` examples at the default setting, proportionally more or fewer otherwise."""
    return max(1, base * EXAMPLES // DEFAULT_EXAMPLES)


def bounded(examples: int = EXAMPLES) -> settings:
    """Fixed example count, derandomized (the same inputs on every run), no example database,
    no timing deadline (CI machines are slow; the suite never measures time)."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )


class Server:
    """Sends requests on the test's loop from hypothesis's thread and checks each answer."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        http: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        self.loop = loop
        self.http = http
        self.caplog = caplog
        #: how many answers of each status the run saw
        self.statuses: Counter[int] = Counter()
        caplog.set_level(logging.WARNING, logger="trustcenter")

    def run(self, coro: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)  # type: ignore[arg-type]

    def send(self, what: str, request: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        """Send one request and fail, naming the input, on a 5xx, an INTERNAL_SERVER_ERROR or
        an ERROR record logged by the server while answering it."""
        seen = len(self.caplog.records)

        async def call() -> httpx.Response:
            return await request()

        response = self.run(call())
        self.statuses[response.status_code] += 1
        errors = [
            f"{r.name}: {r.getMessage()}"
            for r in self.caplog.records[seen:]
            if r.levelno >= logging.ERROR and r.name.startswith("trustcenter")
        ]
        assert response.status_code < 500, (what, response.status_code, response.text[:2000])
        assert "INTERNAL_SERVER_ERROR" not in response.text, (what, response.text[:2000])
        assert not errors, (what, errors)
        return response


async def in_thread(body: Callable[[], Any]) -> None:
    """Run a hypothesis test (``body``) off the loop, so its requests can run on it."""
    await asyncio.to_thread(body)
