"""The auth epoch, read for every authenticated request on one connection of its own, by
reads that run one at a time and answer everyone who asked before they started.

Every authenticated request reads the auth epoch (``services.principals``: a revocation, a
suspension or a changed client moves it, and the next request sees it). Checking a pooled
connection out and back in for that one row cost more CPU than the read itself (about
0.26 ms of 0.5 ms; a submit gave the connection back before its write unit took another).
Here one connection per process and event loop stays open for these reads, without a
transaction (each statement sees what is committed when it runs).

One read is in flight at a time. A request that asks while one is in flight waits for the
*next* read, which starts when the current one ends: a read that began before the request
asked might not see a revocation committed just before it asked, so its answer is never
reused. Every request therefore gets an epoch read after it asked — revocation stays
immediate — and concurrent requests share one read. The reads run in a task of their own,
so a request that is cancelled while waiting cancels nobody else's read.

When the connection fails (the server restarted, a proxy closed it), it is dropped, the read
is made once more on a pooled connection (``fallback``), and the next read opens a new one.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

EpochRead = Callable[[AsyncConnection], Awaitable[int | None]]


@dataclass
class _Loop:
    """The reads of one event loop."""

    connection: AsyncConnection | None = None
    #: the read in flight (its answer is for those who asked before it started)
    running: asyncio.Task[None] | None = None
    #: those who asked while a read was in flight: answered by the next one
    waiting: asyncio.Future[int | None] | None = None


class EpochReads:
    """The auth epoch for the running event loop, read as the module says."""

    def __init__(
        self, engine: AsyncEngine, read: EpochRead, fallback: Callable[[], Awaitable[int | None]]
    ) -> None:
        self._engine, self._read, self._fallback = engine, read, fallback
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Loop] = (
            weakref.WeakKeyDictionary()
        )

    async def epoch(self) -> int | None:
        loop = asyncio.get_running_loop()
        state = self._loops.get(loop)
        if state is None:
            state = self._loops[loop] = _Loop()
        answer = state.waiting
        if answer is None:
            answer = state.waiting = loop.create_future()
            if state.running is None:
                self._start(state)
        return await asyncio.shield(answer)

    def _start(self, state: _Loop) -> None:
        """Start the read that answers everyone waiting now."""
        answer, state.waiting = state.waiting, None
        assert answer is not None
        state.running = asyncio.get_running_loop().create_task(self._run(state, answer))

    async def _run(self, state: _Loop, answer: asyncio.Future[int | None]) -> None:
        try:
            value = await self._on_own_connection(state)
        except asyncio.CancelledError:  # the loop is closing
            answer.cancel()
            raise
        except Exception as error:  # both connections failed: the waiters get the error
            answer.set_exception(error)
            answer.exception()  # retrieved: waiters that went away leave nothing to log
        else:
            answer.set_result(value)
        finally:
            state.running = None
            if state.waiting is not None:
                self._start(state)

    async def _on_own_connection(self, state: _Loop) -> int | None:
        try:
            if state.connection is None:
                state.connection = await self._engine.connect()
            return await self._read(state.connection)
        except Exception:
            await self._drop(state)
            return await self._fallback()

    @staticmethod
    async def _drop(state: _Loop) -> None:
        connection, state.connection = state.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.invalidate()
            with contextlib.suppress(Exception):
                await connection.close()

    def kept(self) -> int:
        """How many connections these reads keep open (one per event loop that read)."""
        return sum(1 for state in self._loops.values() if state.connection is not None)

    async def close(self) -> None:
        """Close the running loop's connection once its read in flight has ended (the
        connections of loops that are gone went with them)."""
        state = self._loops.pop(asyncio.get_running_loop(), None)
        if state is None:
            return
        while state.running is not None:
            with contextlib.suppress(BaseException):
                await asyncio.shield(state.running)
        connection, state.connection = state.connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()
