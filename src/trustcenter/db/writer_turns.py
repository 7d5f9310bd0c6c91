"""SQLite's writers of one process take turns before they ask SQLite for its write lock.

A SQLite write transaction holds the database's write lock from its ``BEGIN IMMEDIATE`` to its
end. A second writer is refused and retried by SQLite's busy handler, which sleeps in the
driver's thread between tries — 1, 2, 5, 10 … up to 100 ms — and so wakes long after the lock
is free: with 16 submits at once, half of the write units lasted over 25 ms and one in ten
over half a second, most of it asleep, while the lock itself was held for about 5 ms and
the process sat idle.

Here the writers of the process queue on an :class:`asyncio.Lock` (first come, first served)
and each starts the moment the one before it ends, so SQLite's own lock is always free when
asked for and its busy handler never sleeps. SQLite's lock stays the guard: another process
(a command run beside ``serve``) is still queued by it, as before. A writer that has waited
for its turn as long as SQLite's busy timeout goes on without it (SQLite's lock then decides,
as before this queue existed), so a writer opened while another of the same process is
open — nested, or in a task the first one waits for — is delayed, never dead-locked; a
nested writer in the same task does not wait at all. PostgreSQL needs none of this: its
writers lock rows, not the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import AsyncIterator
from contextvars import ContextVar

#: how long a writer waits for its turn before it goes on without one: SQLite's busy timeout
#: (``PRAGMA busy_timeout``, ``db.session``), the wait SQLite itself would have allowed
TURN_TIMEOUT = 10.0


class WriterTurns:
    """One queue of writers per event loop (a test suite runs several loops in turn)."""

    def __init__(self, timeout: float = TURN_TIMEOUT) -> None:
        self._timeout = timeout
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        #: whether the current task (and the tasks it starts) holds a turn already
        self._holding: ContextVar[bool] = ContextVar(f"writer_turn_{id(self)}", default=False)

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for this writer's turn (none when this task holds one already, or when the
        wait reaches the timeout) and hold it for the block."""
        if self._holding.get():
            yield
            return
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        try:
            async with asyncio.timeout(self._timeout):  # a timer, no task of its own
                await lock.acquire()
        except TimeoutError:
            yield  # SQLite's own lock decides, as it did before writers took turns
            return
        held = self._holding.set(True)
        try:
            yield
        finally:
            self._holding.reset(held)
            lock.release()
