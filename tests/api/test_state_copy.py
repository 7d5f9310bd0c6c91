"""The fixtures' actors are made once per process and copied after (tests/support/state_copy.py):
a copy put back must be the database the making left, and its actors must work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from tests.conftest import MigratedDatabase
from tests.helpers import OPERATOR, Actor, World
from tests.support.demo_copy import TABLES
from tests.support.state_copy import kept
from trustcenter.domain.enums import AgencyKind
from trustcenter.services.agencies import create_agency


async def _every_row(world: World) -> dict[str, list[tuple[Any, ...]]]:
    rows = {}
    async with world.container.db.engine.connect() as conn:
        for t in TABLES:
            found = await conn.execute(text(f'SELECT * FROM "{t}"'))  # noqa: S608 (the models)
            rows[t] = sorted(map(tuple, found.all()), key=repr)
    return rows


async def _next_agency_and_event(world: World) -> tuple[int, ...]:
    """What the ids handed out next are: the audit event of one more agency."""
    await create_agency(
        world.container, OPERATOR, name="One more", kind=AgencyKind.JUDICIAL, country="FR"
    )
    async with world.container.db.engine.connect() as conn:
        return tuple((await conn.execute(text("SELECT max(seq) FROM audit_events"))).one())


async def test_a_copy_put_back_is_what_the_making_left_and_its_actors_work(
    world: World, migrated: MigratedDatabase
) -> None:
    made: list[int] = []

    async def make() -> list[Actor]:
        made.append(1)
        return [await world.agency_actor("DE"), await world.staff_actor(["review"])]

    first = await kept(world, f"state copy test {migrated.backend}", make)
    rows_made = await _every_row(world)
    next_made = await _next_agency_and_event(world)

    await migrated.fresh()  # as the next test's database starts
    again = await kept(world, f"state copy test {migrated.backend}", make)
    assert made == [1]  # put back, not made again
    assert await _every_row(world) == rows_made
    assert [(a.client_id, a.token) for a in again] == [(a.client_id, a.token) for a in first]
    assert await _next_agency_and_event(world) == next_made

    agency, reviewer = again
    assert (await agency.data("{ requests(first: 1) { totalCount } }"))["requests"] == {
        "totalCount": 0
    }
    submitted = await agency.submit()
    read = await reviewer.data(
        "query($id: ID!) { request(id: $id) { status } }", {"id": submitted["id"]}
    )
    assert read["request"] == {"status": "RECEIVED"}


async def test_a_database_that_is_not_fresh_gets_its_actors_made(world: World) -> None:
    made: list[int] = []

    async def make() -> list[Actor]:
        made.append(1)
        return [await world.staff_actor()]

    await kept(world, "state copy test, not fresh", make)
    await world.agency("FR")  # written before the next asks
    await kept(world, "state copy test, not fresh", make)
    assert made == [1, 1]
