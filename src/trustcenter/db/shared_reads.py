"""One pooled connection for all the read units of one request.

A GraphQL request reads in several units of work: the token's standing (the auth epoch), the
page, each DataLoader's batch. Each unit checking out its own connection costs a pool checkout
and, at its end, a reset of the connection (a ``ROLLBACK``; on SQLite a hop to the driver's
thread each). Inside :meth:`SharedReads.scope` (opened around a request by the web layer) the
request's read units share one connection instead: checked out when the first of them begins,
handed to one unit at a time (sibling resolvers run concurrently; an ``asyncio.Lock`` takes
them in turn), returned to the pool when the request ends, whatever ended it.

Reads see what is committed, as before: the read connection runs every statement in its own
implicit transaction (``Database.read_engine``), so it holds no snapshot between units and a
mutation's answer, read after its write committed, shows the write. Each unit has its own
session, so no unit sees rows another unit loaded.

The connection is given back early when the request is about to check out another one (a
write, or a read of its own outside the units) while no unit is using it: a request never holds
an idle read connection while it waits for a second one, so a full pool cannot leave every
request holding one and waiting for another.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

T = TypeVar("T")


async def _to_completion(work: Coroutine[Any, Any, T]) -> T:
    """Run ``work`` to its end even when the caller is cancelled meanwhile (a connection half
    given back is lost to the pool); the cancellation is raised once it has ended."""
    task = asyncio.ensure_future(work)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            result = await asyncio.shield(task)
        except asyncio.CancelledError as err:
            if task.done():
                raise
            cancelled = err
        else:
            break
    if cancelled is not None:
        raise cancelled
    return result


class SharedReads:
    """The read connection of one request (made by :meth:`scope`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        self._stack: AsyncExitStack | None = None
        self._connection: AsyncConnection | None = None
        self._closed = False

    @classmethod
    @asynccontextmanager
    async def scope(cls, engine: AsyncEngine) -> AsyncIterator[SharedReads]:
        """Share one connection among the read units begun inside the block (and in the tasks
        it starts); the connection goes back to the pool when the block ends, by error or
        cancellation too."""
        shared = cls(engine)
        token = _CURRENT.set(shared)
        try:
            yield shared
        finally:
            _CURRENT.reset(token)
            await _to_completion(shared._close())

    @staticmethod
    def current() -> SharedReads | None:
        """The shared connection of the request being served, if any."""
        return _CURRENT.get()

    @property
    def available(self) -> bool:
        """Whether a unit may use the shared connection: not after the request ended, and not
        from inside a unit that already uses it (a nested unit gets its own)."""
        return not self._closed and (
            self._owner is None or self._owner is not asyncio.current_task()
        )

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[AsyncConnection | None]:
        """The connection, for one unit at a time; None when the request ended meanwhile (the
        unit reads on a connection of its own). A unit that ends by an error gives the
        connection back (it may be broken, or a cancelled statement may still be running on
        it); the next unit checks out another."""
        async with self._lock:
            if self._closed:
                yield None
                return
            self._owner = asyncio.current_task()
            try:
                yield await self._checked_out()
            except BaseException:
                await _to_completion(self._give_back())
                raise
            finally:
                self._owner = None

    async def give_back_if_idle(self) -> None:
        """Return the connection to the pool now if no unit uses it: the request is about to
        check out another connection."""
        if self._connection is None or self._lock.locked():
            return
        async with self._lock:
            await _to_completion(self._give_back())

    @property
    def checked_out(self) -> bool:
        return self._connection is not None

    async def _checked_out(self) -> AsyncConnection:
        if self._connection is None:
            stack = AsyncExitStack()
            connection = await stack.enter_async_context(self._engine.connect())
            try:
                # the units' sessions join this transaction and leave it open; on the read
                # engine it starts nothing in the database (each statement commits itself)
                await connection.begin()
            except BaseException:
                await stack.aclose()
                raise
            self._stack, self._connection = stack, connection
        return self._connection

    async def _give_back(self) -> None:
        stack, self._stack, self._connection = self._stack, None, None
        if stack is not None:
            await stack.aclose()

    async def _close(self) -> None:
        self._closed = True
        async with self._lock:  # a unit still reading finishes first
            await self._give_back()


_CURRENT: ContextVar[SharedReads | None] = ContextVar("shared_reads", default=None)
