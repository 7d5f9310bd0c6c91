"""Fixtures shared by the API tests."""

from __future__ import annotations

import pytest

from tests.helpers import Actor, Flow, World
from trustcenter.clock import FixedClock


@pytest.fixture
async def flow(world: World, clock: FixedClock) -> Flow:
    """An agency in DE and a reviewer with every staff scope, moving requests through the
    lifecycle (the disclosure tests have their own, in ``tests/api/disclosure``)."""
    return Flow(world, clock, await world.agency_actor("DE"), await world.staff_actor())


@pytest.fixture
async def agency(world: World) -> Actor:
    """An agency in DE with the agency scopes."""
    return await world.agency_actor("DE")


@pytest.fixture
async def reviewer(world: World) -> Actor:
    """Staff who review and audit, but are not admins."""
    return await world.staff_actor(["review", "audit"])


@pytest.fixture
async def staff(world: World) -> Actor:
    """Staff with every staff scope."""
    return await world.staff_actor()
