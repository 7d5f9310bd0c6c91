"""Categories are extensible: a plugin registers one and submitRequest accepts it."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers import RELEASE, SUBMIT, approve_all, submission
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
            "t": [{"identifierType": "SERIAL_NUMBER", "identifier": "CAM1", "infoTypes": ["B"]}],
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


@pytest.fixture
def with_trustcenter_preservation(container):
    import trustcenter_preservation.plugin

    container.plugins = PluginHost(
        *load("", extra=[("preservation", trustcenter_preservation.plugin)])
    )
    return container


async def test_trustcenter_preservation_accepts_and_never_releases(
    with_trustcenter_preservation, world, container
):
    from trustcenter.db.models import Disclosure

    agency = await world.agency_actor("DE")
    basis = {
        "kind": "PRESERVATION_ORDER",
        "reference": "P-1",
        "issuedBy": "StA Berlin",
        "issuedAt": "2026-11-01",
        "document": base64.b64encode(b"%PDF-1.4 preservation order").decode(),
    }
    wrong = await agency.data(SUBMIT, {"input": submission(category="PRESERVATION")})
    assert [(e["field"], e["code"]) for e in wrong["submitRequest"]["userErrors"]] == [
        ("legalBasis.kind", "INVALID_INPUT")
    ]
    request = await agency.submit(category="PRESERVATION", legalBasis=basis)
    assert request["category"] == "PRESERVATION"
    hold = await agency.data(
        "query($id: ID!) { request(id: $id) { receivedAt holdUntil } }", {"id": request["id"]}
    )
    received = datetime.fromisoformat(hold["request"]["receivedAt"])
    assert datetime.fromisoformat(hold["request"]["holdUntil"]) == received + timedelta(days=90)
    staff = await world.staff_actor()
    decided = await approve_all(staff, request["id"])
    assert decided["request"]["status"] == "APPROVED"
    refused = await staff.data(RELEASE, {"i": {"requestId": request["id"]}})
    errors = refused["releaseDisclosure"]["userErrors"]
    assert [e["code"] for e in errors] == ["RELEASE_REFUSED"]
    assert "preservation" in errors[0]["message"] and "discloses nothing" in errors[0]["message"]
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Disclosure)) == 0
    extend = """mutation($i: ExtendHoldInput!) { extendHold(input: $i) {
      request { holdUntil holdExtensions } userErrors { code message } } }"""
    first = await staff.data(
        extend, {"i": {"requestId": request["id"], "justification": "order still pending"}}
    )
    assert first["extendHold"]["request"]["holdExtensions"] == 1
    extended = datetime.fromisoformat(first["extendHold"]["request"]["holdUntil"])
    assert extended == received + timedelta(days=180)
    second = await staff.data(extend, {"i": {"requestId": request["id"], "justification": "again"}})
    assert [e["code"] for e in second["extendHold"]["userErrors"]] == ["HOLD_EXTENSION_REFUSED"]
    assert "once" in second["extendHold"]["userErrors"][0]["message"]


class LetterKind:
    @hookimpl
    def trustcenter_legal_basis_kinds(self) -> list[str]:
        return ["preservation_letter"]


async def test_legal_basis_kinds_are_extensible_and_checked(container, world):
    agency = await world.agency_actor("DE")
    basis = {
        "kind": "PRESERVATION_LETTER",
        "reference": "L-1",
        "issuedBy": "DA",
        "issuedAt": "2026-11-01",
    }
    refused = await agency.data(SUBMIT, {"input": submission(legalBasis=basis)})
    errors = refused["submitRequest"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        ("legalBasis.kind", "UNKNOWN_LEGAL_BASIS_KIND")
    ]
    assert "WARRANT" in errors[0]["message"]
    container.plugins = PluginHost(*load("", extra=[("letters", LetterKind())]))
    accepted = await agency.data(SUBMIT, {"input": submission(legalBasis=basis)})
    request_id = accepted["submitRequest"]["request"]["id"]
    read = await agency.data(
        "query($id: ID!) { request(id: $id) { legalBasis { kind } } }", {"id": request_id}
    )
    assert read["request"]["legalBasis"]["kind"] == "PRESERVATION_LETTER"
