"""SQLite's writers of one process queue in the process (``db.write_turns``): one at a time,
in the order they asked, and a unit opened inside a unit of the same task never waits for
itself."""

from __future__ import annotations

import asyncio

from trustcenter.db.write_turns import WriteTurns


async def test_writers_take_turns_in_the_order_they_asked() -> None:
    turns = WriteTurns()
    seen: list[str] = []

    async def writer(name: str) -> None:
        async with turns.turn():
            seen.append(f"{name} starts")
            await asyncio.sleep(0.01)  # a statement's round trip: another writer would start
            seen.append(f"{name} ends")

    await asyncio.gather(*(writer(n) for n in "abcd"))
    assert seen == [f"{n} {what}" for n in "abcd" for what in ("starts", "ends")]


async def test_a_unit_inside_a_unit_of_the_same_task_does_not_wait_for_itself() -> None:
    turns = WriteTurns()

    async def nested() -> str:
        async with turns.turn(), turns.turn():
            return "done"

    assert await asyncio.wait_for(nested(), timeout=2) == "done"
    # and the turn is free again afterwards
    assert await asyncio.wait_for(nested(), timeout=2) == "done"


async def test_the_turns_follow_the_event_loop_they_are_used_on() -> None:
    """The test suite (and the CLI) run several event loops one after the other in a process
    with one Database: a lock made on one loop must not be used on the next."""
    turns = WriteTurns()

    async def twice() -> None:
        async with turns.turn():
            await asyncio.sleep(0)

    async def both() -> None:
        await asyncio.gather(twice(), twice())

    await both()
    await asyncio.to_thread(asyncio.run, both())
