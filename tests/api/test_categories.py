"""Categories are extensible: a plugin registers one and submitRequest accepts it."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.helpers import SUBMIT, submission
from trustcenter.db.models import Request
from trustcenter.plugins import CategorySpec, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load


class Preservation:
    @hookimpl
    def trustcenter_categories(self) -> list[CategorySpec]:
        return [CategorySpec("PRESERVATION", "Preservation requests", "keep, disclose nothing")]


@pytest.fixture
def with_preservation(container):
    container.plugins = PluginHost(*load("", extra=[("preservation", Preservation())]))
    return container


async def test_a_plugin_category_is_accepted_and_listed(with_preservation, world):
    agency = await world.agency_actor("DE")
    payload = await agency.data(SUBMIT, {"input": submission(category="PRESERVATION")})
    request = payload["submitRequest"]["request"]
    assert payload["submitRequest"]["userErrors"] == []
    assert request["category"] == "PRESERVATION"
    codes = [c["code"] for c in (await agency.data("{ categories { code label } }"))["categories"]]
    assert codes == ["PRODUCT", "ACCOUNT", "TRANSACTION", "EMERGENCY", "PRESERVATION"]
    staff = await world.staff_actor(["review"])
    listed = await staff.data("{ requests(filter: {category: [PRESERVATION]}) { totalCount } }")
    assert listed["requests"]["totalCount"] == 1


async def test_the_category_can_be_written_as_an_enum_literal(world):
    agency = await world.agency_actor("DE")
    data = await agency.data(
        """mutation($o: OfficerInput!, $b: LegalBasisInput!, $t: [TargetInput!]!) {
             submitRequest(input: {jurisdiction: "DE", category: PRODUCT, officer: $o,
                                   legalBasis: $b, targets: $t, reason: "r"}) {
               request { category } userErrors { code } } }""",
        {
            "o": submission()["officer"],
            "b": submission()["legalBasis"],
            "t": submission()["targets"],
        },
    )
    assert data["submitRequest"]["request"]["category"] == "PRODUCT"


async def test_an_unknown_category_is_a_user_error_and_changes_nothing(world, container):
    agency = await world.agency_actor("DE")
    payload = await agency.data(SUBMIT, {"input": submission(category="PRESERVATION")})
    errors = payload["submitRequest"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [("category", "UNKNOWN_CATEGORY")]
    assert "ACCOUNT" in errors[0]["message"]
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Request)) == 0


async def test_a_malformed_category_is_refused_by_the_schema(world):
    agency = await world.agency_actor("DE")
    r = await agency.gql(SUBMIT, {"input": submission(category="not a category")})
    assert "not a category name" in r.json()["errors"][0]["message"]
