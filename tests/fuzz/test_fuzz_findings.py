"""Inputs the fuzz runs found turning into internal errors, each kept as a plain test."""

from __future__ import annotations

import pytest

from tests.api.test_report_graphql import PUBLISH
from tests.helpers import World


@pytest.mark.parametrize("year", [-1, 0, 9999, 2_147_483_647])
async def test_publishing_a_report_for_an_impossible_year_is_refused(
    world: World, year: int
) -> None:
    staff = await world.staff_actor()
    r = await staff.gql(PUBLISH, {"y": year})
    body = r.json()
    assert r.status_code == 200 and "errors" not in body, body
    payload = body["data"]["publishTransparencyReport"]
    assert payload["report"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [("year", "INVALID_INPUT")]
