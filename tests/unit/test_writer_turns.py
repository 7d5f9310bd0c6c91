"""The queue SQLite's writers of one process wait in (``db.writer_turns``): first come, first
served; a writer nested in one that holds a turn does not wait for itself; a writer that has
waited as long as the timeout goes on without its turn."""

from __future__ import annotations

import asyncio

from trustcenter.db.writer_turns import WriterTurns


async def test_writers_take_turns_in_the_order_they_came() -> None:
    turns, seen = WriterTurns(), []

    async def writer(name: str) -> None:
        async with turns.turn():
            seen.append(f"{name} starts")
            await asyncio.sleep(0)  # the others are queued meanwhile
            await asyncio.sleep(0)
            seen.append(f"{name} ends")

    await asyncio.gather(*(writer(n) for n in "abc"))
    assert seen == ["a starts", "a ends", "b starts", "b ends", "c starts", "c ends"]


async def test_a_writer_nested_in_its_own_turn_does_not_wait_for_itself() -> None:
    turns = WriterTurns(timeout=5)

    async def nested() -> str:
        async with turns.turn(), turns.turn():
            return "done"

    assert await asyncio.wait_for(nested(), 1) == "done"


async def test_a_writer_waits_no_longer_than_the_timeout() -> None:
    turns, seen = WriterTurns(timeout=0.05), []
    release = asyncio.Event()

    async def holder() -> None:
        async with turns.turn():
            seen.append("holder in")
            await release.wait()
        seen.append("holder out")

    task = asyncio.create_task(holder())
    await asyncio.sleep(0)
    async with turns.turn():  # the holder never lets go: this one goes on without a turn
        seen.append("second in")
    release.set()
    await task
    assert seen == ["holder in", "second in", "holder out"]
    async with turns.turn():  # the turn the holder gave back is free again
        seen.append("third in")
    assert seen[-1] == "third in"


async def test_each_event_loop_has_a_queue_of_its_own() -> None:
    turns = WriterTurns(timeout=5)

    async def once() -> None:
        async with turns.turn():
            await asyncio.sleep(0)

    await once()
    await asyncio.to_thread(asyncio.run, once())  # another loop, another thread: no error
