"""Failed client authentication is throttled per claimed client id and per source address.

A moving window of one minute (the ``limits`` library) in the rate-limit storage the service
is configured with: this process's memory by default, Redis when several processes serve, so
that failures on one exhaust the budget on all. Only failures spend the budget; while either
budget is spent the token endpoint answers 429 ``slow_down`` with ``Retry-After`` before doing
any work. When the storage cannot be reached the throttle lets requests through (and says so in
the log) rather than refuse every client.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

from trustcenter.auth.client_auth import cut

log = logging.getLogger("trustcenter.auth")


class AuthThrottle:
    def __init__(
        self, storage: Storage, *, per_client: int, per_address: int, prefix: str = "trustcenter"
    ) -> None:
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_client = RateLimitItemPerMinute(per_client, namespace=f"{prefix}-auth-client")
        self._per_address = RateLimitItemPerMinute(per_address, namespace=f"{prefix}-auth-addr")

    def _budgets(
        self, client_id: str | None, address: str
    ) -> list[tuple[RateLimitItemPerMinute, str]]:
        budgets = [(self._per_address, cut(address, 100))]
        if client_id:
            budgets.append((self._per_client, cut(client_id)))
        return budgets

    async def retry_after(self, client_id: str | None, address: str) -> int | None:
        """Seconds until another attempt may fail when a budget is spent; None otherwise."""
        waits = []
        try:
            for item, key in self._budgets(client_id, address):
                if not await self._limiter.test(item, key):
                    stats = await self._limiter.get_window_stats(item, key)
                    waits.append(max(1, math.ceil(stats.reset_time - time.time())))
        except Exception as exc:  # the storage is down: let the request through
            log.warning("auth throttle storage unavailable: %s", type(exc).__name__)
            return None
        return max(waits) if waits else None

    async def failed(self, client_id: str | None, address: str) -> None:
        """Spend one unit of each budget."""
        try:
            for item, key in self._budgets(client_id, address):
                await self._limiter.hit(item, key)
        except Exception as exc:
            log.warning("auth throttle storage unavailable: %s", type(exc).__name__)


#: seconds between two sweeps of a memory storage's expired keys
SWEEP_EVERY = 1.0


class SweptMemoryStorage(MemoryStorage):
    """``limits``' memory storage, its sweep of expired keys started at most every
    :data:`SWEEP_EVERY` seconds. The library starts one as a task, over every key it holds, on
    nearly every hit once the last one finished: for the GraphQL budgets one per request. The
    counts are the same: a fixed window's expired count is dropped when it is read, a moving
    window counts only the entries within it; the sweep only frees the memory of keys no one
    reads again, here at most a second later."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._clock = clock
        self._next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = self._clock()
        if now >= self._next_sweep:
            self._next_sweep = now + SWEEP_EVERY
            await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


def storage_for(uri: str) -> Storage:
    """The ``limits`` storage ``TRUSTCENTER_RATE_LIMIT_STORAGE`` names: ``memory://`` or
    ``redis://host:port/db`` (redis-py's asyncio client)."""
    from limits.storage import storage_from_string

    uri = uri.strip() or "memory://"
    scheme = uri.split("://", 1)[0].lower()
    if scheme == "memory":
        return SweptMemoryStorage()
    if scheme not in ("redis", "rediss"):
        raise SystemExit(
            f"TRUSTCENTER_RATE_LIMIT_STORAGE must be memory:// or redis://…, not {scheme}://"
        )
    storage = storage_from_string(f"async+{uri}", implementation="redispy")
    assert isinstance(storage, Storage)
    return storage
