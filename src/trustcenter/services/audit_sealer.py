"""Sealing the audit chain in the background, every few seconds (``serve`` and the notice
worker run one; ``--seal-every 0`` turns it off).

Each round is ``services.audit.seal``: short transactions, each closed before the next
starts. Between rounds the task holds no connection and no transaction: it only waits, for
the interval or for ``stop``. ``stop`` ends it between rounds (a round under way finishes,
or is cancelled after a grace period and rolled back like any unit of work)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from trustcenter.services.audit import seal
from trustcenter.services.deps import AppParts

log = logging.getLogger("trustcenter.audit")

#: seconds between rounds unless told otherwise
SEAL_EVERY = 2.0
#: seconds a round under way may take to finish when the sealer is stopped
GRACE = 10.0


class AuditSealer:
    """One background task sealing every ``every`` seconds until stopped."""

    def __init__(self, app: AppParts, every: float) -> None:
        if every <= 0:
            raise ValueError("the sealer needs an interval above zero")
        self._app = app
        self._every = every
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.sealed = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="audit-sealer")

    async def _run(self) -> None:
        while not self._stop.is_set():
            try:
                result = await seal(self._app)
                self.sealed += result.sealed
                if result.stuck is not None:
                    log.error(
                        "audit event %s is not sealed: %s (run 'trustcenter audit verify')",
                        result.stuck.seq,
                        result.stuck.reason,
                    )
            except Exception:
                log.exception("sealing the audit chain failed; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._every)

    async def stop(self) -> None:
        """End the task between rounds (a round under way gets ``GRACE`` seconds)."""
        self._stop.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), GRACE)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@contextlib.asynccontextmanager
async def sealing(app: AppParts, every: float) -> AsyncIterator[AuditSealer | None]:
    """A sealer running for the block's duration (none when ``every`` is 0), stopped at its end
    whatever happens."""
    if every <= 0:
        yield None
        return
    sealer = AuditSealer(app, every)
    sealer.start()
    try:
        yield sealer
    finally:
        await sealer.stop()
