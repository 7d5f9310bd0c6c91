"""SQLite: the writers of one process take turns in the process, not at the database's lock.

A SQLite write transaction holds the database's write lock from its first statement
(``BEGIN IMMEDIATE``) to its commit. A second writer that asks meanwhile is refused by SQLite
and retried by its busy handler, which sleeps between tries (1, 2, 5, 10 … up to 100 ms): the
lock is often free long before the waiting writer wakes, and under a burst of writers the
server sits idle while they sleep. Writers of the same process therefore queue on an
:class:`asyncio.Lock` first and each starts the moment the one before it ended. Other processes
(the worker, the CLI) still meet at SQLite's lock, as before.

A writer opened while the same task holds the turn (a unit inside a unit) does not wait for
itself; a turn not given after :data:`WAIT` seconds is not waited for any longer (SQLite's own
busy timeout then decides, as without the queue).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

#: seconds a writer waits for its turn in the process (SQLite's busy timeout is 10 s)
WAIT = 10.0


class WriteTurns:
    """One writer of this process at a time, in the order they asked."""

    def __init__(self) -> None:
        self._lock: asyncio.Lock | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._owner: asyncio.Task[object] | None = None

    def _lock_of(self, loop: asyncio.AbstractEventLoop) -> asyncio.Lock:
        # an asyncio.Lock belongs to one event loop; a process may run several in turn
        if self._lock is None or self._loop is not loop:
            self._lock, self._loop, self._owner = asyncio.Lock(), loop, None
        return self._lock

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        lock = self._lock_of(asyncio.get_running_loop())
        if task is not None and task is self._owner:
            yield
            return
        try:
            async with asyncio.timeout(WAIT):
                await lock.acquire()
        except TimeoutError:
            yield
            return
        self._owner = task
        try:
            yield
        finally:
            self._owner = None
            lock.release()
