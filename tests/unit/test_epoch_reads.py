"""How the auth epoch is read (``db.epoch_reads``): one read at a time on a kept connection;
a request that asks while a read is in flight gets the next read, never one that began before
it asked (a revocation committed just before it asked is seen); requests that ask together
share one read; a connection that fails is dropped and the read made on the fallback."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from trustcenter.db.epoch_reads import EpochReads


class Connection:
    def __init__(self, db: Database) -> None:
        self.db, self.closed = db, False

    async def invalidate(self) -> None:
        self.closed = True

    async def close(self) -> None:
        self.closed = True


class Database:
    """The epoch as committed; each read sees it as it is when the read starts, then waits
    until the test lets it answer."""

    def __init__(self) -> None:
        self.epoch, self.reads, self.opened = 0, 0, []  # type: ignore[var-annotated]
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_next = False

    async def connect(self) -> Connection:
        connection = Connection(self)
        self.opened.append(connection)
        return connection

    async def read(self, connection: Any) -> int:
        if self.fail_next:
            self.fail_next = False
            raise ConnectionResetError("the server closed the connection")
        self.reads += 1
        seen = self.epoch
        await self.gate.wait()
        return seen


def reader(db: Database, fallback_value: int = -1) -> EpochReads:
    async def fallback() -> int:
        return fallback_value

    return EpochReads(db, db.read, fallback)  # type: ignore[arg-type]


async def test_a_request_asking_during_a_read_gets_a_read_that_began_after_it_asked() -> None:
    db = Database()
    epochs = reader(db)
    db.gate.clear()
    first = asyncio.create_task(epochs.epoch())
    await asyncio.sleep(0)
    await asyncio.sleep(0)  # the first read has begun and seen epoch 0
    db.epoch = 1  # a revocation commits, then a second request asks
    second = asyncio.create_task(epochs.epoch())
    await asyncio.sleep(0)
    db.gate.set()
    assert await first == 0
    assert await second == 1  # not the first read's answer: that read began too early
    assert db.reads == 2


async def test_requests_that_ask_together_share_one_read() -> None:
    db = Database()
    epochs = reader(db)
    db.gate.clear()
    busy = asyncio.create_task(epochs.epoch())
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(epochs.epoch()) for _ in range(15)]
    await asyncio.sleep(0)
    db.gate.set()
    assert await busy == 0 and [await w for w in waiting] == [0] * 15
    assert db.reads == 2  # the one in flight, and one for the fifteen who asked meanwhile
    assert len(db.opened) == 1  # on the one kept connection


async def test_a_failed_connection_is_dropped_the_fallback_answers_and_the_next_read_reopens(
) -> None:  # fmt: skip
    db = Database()
    epochs = reader(db, fallback_value=7)
    assert await epochs.epoch() == 0
    db.fail_next = True
    assert await epochs.epoch() == 7
    assert db.opened[0].closed
    db.epoch = 3
    assert await epochs.epoch() == 3
    assert len(db.opened) == 2 and not db.opened[1].closed


async def test_an_error_of_both_reads_reaches_its_waiters_and_the_next_read_starts_afresh(
) -> None:  # fmt: skip
    db = Database()

    async def broken() -> int:
        raise RuntimeError("no database")

    epochs = EpochReads(db, db.read, broken)  # type: ignore[arg-type]
    db.fail_next = True
    failing = asyncio.create_task(epochs.epoch())
    await asyncio.sleep(0)
    also = [asyncio.create_task(epochs.epoch()) for _ in range(3)]  # asked too late for it
    results = await asyncio.gather(failing, *also, return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert results[1:] == [0, 0, 0]  # the next read, on a new connection
    assert len(db.opened) == 2


async def test_a_waiter_cancelled_cancels_nobody_elses_read() -> None:
    db = Database()
    epochs = reader(db)
    db.gate.clear()
    leaving = asyncio.create_task(epochs.epoch())
    staying = asyncio.create_task(epochs.epoch())
    await asyncio.sleep(0)
    leaving.cancel()
    db.gate.set()
    assert await staying == 0
    with pytest.raises(asyncio.CancelledError):
        await leaving


async def test_close_closes_the_kept_connection() -> None:
    db = Database()
    epochs = reader(db)
    await epochs.epoch()
    await epochs.close()
    assert db.opened[0].closed
