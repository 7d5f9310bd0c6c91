"""Fixtures of the disclosure tests: the seeded user data, and an agency and a reviewer (review
and audit) moving requests to a release.
"""

from __future__ import annotations

import pytest

from tests.api.disclosure.support import READ, REQUEST_FIELDS, UserData
from tests.helpers import Actor, Flow, World
from tests.support.state_copy import kept
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock


@pytest.fixture
async def userdata(container: Container) -> UserData:
    data = UserData()
    await data.seed(container)
    return data


@pytest.fixture
async def flow(world: World, clock: FixedClock) -> Flow:
    async def make() -> list[Actor]:
        return [await world.agency_actor("DE"), await world.staff_actor(["review", "audit"])]

    agency, staff = await kept(world, "disclosure flow", make)
    return Flow(world, clock, agency, staff, fields=REQUEST_FIELDS, read=READ)
