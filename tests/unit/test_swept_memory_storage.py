"""The in-process rate-limit storage counts as ``limits``' own, and sweeps its expired keys at
most once a second instead of starting a sweep over every key on nearly every hit."""

from __future__ import annotations

import asyncio

from limits import RateLimitItemPerMinute
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from trustcenter.auth.throttle import SWEEP_EVERY, SweptMemoryStorage, storage_for


def counted_sweeps(storage: SweptMemoryStorage) -> list[int]:
    sweeps: list[int] = []
    sweep = storage._MemoryStorage__expire_events  # type: ignore[attr-defined]

    async def counted() -> None:
        sweeps.append(1)
        await sweep()

    storage._MemoryStorage__expire_events = counted  # type: ignore[attr-defined]
    return sweeps


async def test_hits_count_as_before_and_sweep_once_a_second() -> None:
    now = [100.0]
    storage = SweptMemoryStorage(clock=lambda: now[0])
    sweeps = counted_sweeps(storage)
    item = RateLimitItemPerMinute(3)
    for limiter in (FixedWindowRateLimiter(storage), MovingWindowRateLimiter(storage)):
        allowed = []
        for _ in range(10):
            allowed.append(await limiter.hit(item, type(limiter).__name__))
            await asyncio.sleep(0)  # a finished sweep would let the library start another
        assert allowed == [True] * 3 + [False] * 7
    assert len(sweeps) == 1
    now[0] += SWEEP_EVERY
    assert not await FixedWindowRateLimiter(storage).hit(item, "FixedWindowRateLimiter")
    await asyncio.sleep(0)
    assert len(sweeps) == 2


def test_the_configured_memory_storage_is_the_swept_one() -> None:
    assert isinstance(storage_for("memory://"), SweptMemoryStorage)
