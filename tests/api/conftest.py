"""Fixtures shared by the API tests."""

from __future__ import annotations

import pytest

from tests.helpers import Actor, Flow, World
from tests.support.state_copy import kept
from trustcenter.clock import FixedClock


@pytest.fixture
async def flow(world: World, clock: FixedClock) -> Flow:
    """An agency in DE and a reviewer with every staff scope, moving requests through the
    lifecycle (the disclosure tests have their own, in ``tests/api/disclosure``)."""

    async def make() -> list[Actor]:
        return [await world.agency_actor("DE"), await world.staff_actor()]

    agency, staff = await kept(world, "flow", make)
    return Flow(world, clock, agency, staff)


@pytest.fixture
async def agency(world: World) -> Actor:
    """An agency in DE with the agency scopes."""

    async def make() -> list[Actor]:
        return [await world.agency_actor("DE")]

    [actor] = await kept(world, "agency", make)
    return actor


@pytest.fixture
async def reviewer(world: World) -> Actor:
    """Staff who review and audit, but are not admins."""

    async def make() -> list[Actor]:
        return [await world.staff_actor(["review", "audit"])]

    [actor] = await kept(world, "reviewer", make)
    return actor


@pytest.fixture
async def staff(world: World) -> Actor:
    """Staff with every staff scope."""

    async def make() -> list[Actor]:
        return [await world.staff_actor()]

    [actor] = await kept(world, "staff", make)
    return actor
