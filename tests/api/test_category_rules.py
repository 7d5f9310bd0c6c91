"""The category is the product's, not the requester's (SPEC section 6), on SQLite and
PostgreSQL: for PRODUCT, ACCOUNT, TRANSACTION and EMERGENCY the product classifies and an
agency's category is only a hint that must agree; a plugin's category stays explicit; a reviewer
may reclassify with a reason, audited, and the report counts what is stored."""

from __future__ import annotations

from typing import Any

import pytest
import trustcenter_preservation.plugin
from sqlalchemy import select

from tests.helpers import World, request_count, submit
from trustcenter.bootstrap import Container
from trustcenter.db.models import AuditEvent
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

CAMERA = [{"identifierType": "SERIAL_NUMBER", "identifier": "CAM0000001", "infoTypes": ["B"]}]
ASKS_FOR_D = [
    {"identifierType": "SERIAL_NUMBER", "identifier": "CAM0000001", "infoTypes": ["A", "D"]}
]
RECLASSIFY = """mutation($i: ReclassifyRequestInput!) { reclassifyRequest(input: $i) {
  request { id category version } userErrors { field code message } } }"""
READ = "query($id: ID!) { request(id: $id) { category version } }"
BUILD = """mutation($y: Int!) { buildTransparencyReport(input: {year: $y}) {
  report { rows { country category requests } } userErrors { field code message } } }"""


# --- submission: the hint must agree ------------------------------------------------------


async def test_the_lying_agency_is_refused_and_nothing_is_stored(world: World, container):
    agency = await world.agency_actor("DE")
    payload = await submit(agency, category="PRODUCT", targets=ASKS_FOR_D)
    assert payload["request"] is None
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == ("category", "CATEGORY_MISMATCH")
    assert "asks for D" in error["message"] and "TRANSACTION" in error["message"]
    assert "not PRODUCT" in error["message"]
    assert await request_count(container) == 0


async def test_an_agreeing_hint_is_stored(world: World):
    agency = await world.agency_actor("DE")
    payload = await submit(agency, category="TRANSACTION", targets=ASKS_FOR_D)
    assert payload["userErrors"] == []
    assert payload["request"]["category"] == "TRANSACTION"
    product = await submit(agency, category="product", targets=CAMERA)
    assert product["userErrors"] == [] and product["request"]["category"] == "PRODUCT"


async def test_without_a_hint_the_product_classifies(world: World):
    agency = await world.agency_actor("DE")
    assert (await agency.submit())["category"] == "ACCOUNT"  # an e-mail target, no D
    assert (await agency.submit(targets=CAMERA))["category"] == "PRODUCT"
    assert (await agency.submit(targets=ASKS_FOR_D))["category"] == "TRANSACTION"


async def test_the_emergency_flag_wins(world: World, container):
    agency = await world.agency_actor("DE")
    emergency = {"emergency": True, "emergencyDescription": "A child is missing."}
    classified = await agency.submit(targets=ASKS_FOR_D, **emergency)
    assert classified["category"] == "EMERGENCY"
    refused = await submit(agency, category="TRANSACTION", targets=ASKS_FOR_D, **emergency)
    [error] = refused["userErrors"]
    assert error["code"] == "CATEGORY_MISMATCH"
    assert "emergency" in error["message"] and "EMERGENCY" in error["message"]
    assert await request_count(container) == 1


async def test_an_account_hint_on_a_camera_request_is_refused(world: World, container):
    agency = await world.agency_actor("DE")
    payload = await submit(agency, category="ACCOUNT", targets=CAMERA)
    [error] = payload["userErrors"]
    assert error["code"] == "CATEGORY_MISMATCH" and "PRODUCT" in error["message"]
    assert await request_count(container) == 0


@pytest.fixture
def preservation(container: Container) -> PluginHost:
    container.plugins = PluginHost(
        *load("", extra=[("preservation", trustcenter_preservation.plugin)])
    )
    return container.plugins


async def test_a_plugin_category_stays_explicit(preservation, world: World):
    agency = await world.agency_actor("DE")
    basis = {"kind": "PRESERVATION_ORDER", "reference": "P-1", "issuedBy": "StA Berlin",
             "issuedAt": "2026-11-01"}  # fmt: skip
    kept = await agency.submit(category="PRESERVATION", legalBasis=basis, targets=ASKS_FOR_D)
    assert kept["category"] == "PRESERVATION"  # D asked for, yet not TRANSACTION
    wrong = await submit(agency, category="PRESERVATION")  # its plugin still validates it
    assert [(e["field"], e["code"]) for e in wrong["userErrors"]] == [
        ("legalBasis.kind", "INVALID_INPUT")
    ]
    # without a hint the product classifies, plugin loaded or not
    assert (await agency.submit(legalBasis=basis))["category"] == "ACCOUNT"


# --- a reviewer reclassifies ----------------------------------------------------------------


async def test_a_reviewer_reclassifies_and_the_agency_sees_it(world: World):
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=CAMERA)
    assert request["category"] == "PRODUCT"
    staff = await world.staff_actor(["review", "audit"])
    done = await staff.data(
        RECLASSIFY,
        {"i": {"requestId": request["id"], "version": request["version"], "category": "ACCOUNT",
               "reason": "the serial number is the suspect's account login"}},
    )  # fmt: skip
    payload = done["reclassifyRequest"]
    assert payload["userErrors"] == []
    assert payload["request"]["category"] == "ACCOUNT"
    assert payload["request"]["version"] == request["version"] + 1
    seen = await agency.data(READ, {"id": request["id"]})
    assert seen["request"]["category"] == "ACCOUNT"
    trail = await staff.data(
        "query($id: ID!) { request(id: $id) { auditTrail { action actorId data } } }",
        {"id": request["id"]},
    )
    [event] = [e for e in trail["request"]["auditTrail"] if e["action"] == "request.reclassified"]
    assert event["data"]["from"] == "PRODUCT" and event["data"]["to"] == "ACCOUNT"
    assert event["data"]["reason"] == "the serial number is the suspect's account login"
    assert event["actorId"] == staff.client_id


async def test_reclassification_refuses_bad_input(world: World, container):
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=CAMERA)
    staff = await world.staff_actor(["review"])
    base = {"requestId": request["id"], "version": request["version"]}

    async def errors(**changes: Any) -> list[tuple[str, str]]:
        data = await staff.data(RECLASSIFY, {"i": {**base, **changes}})
        assert data["reclassifyRequest"]["request"] is None
        return [(e["field"], e["code"]) for e in data["reclassifyRequest"]["userErrors"]]

    assert await errors(category="PRESERVATION", reason="r") == [("category", "UNKNOWN_CATEGORY")]
    assert await errors(category="ACCOUNT", reason="  ") == [("reason", "INVALID_INPUT")]
    stale = {"version": request["version"] + 5}
    assert await errors(category="ACCOUNT", reason="r", **stale) == [("version", "CONFLICT")]
    assert await errors(category="PRODUCT", reason="r") == [("category", "INVALID_INPUT")]
    seen = await agency.data(READ, {"id": request["id"]})
    assert seen["request"] == {"category": "PRODUCT", "version": request["version"]}
    async with container.db.reader() as session:
        actions = (await session.scalars(select(AuditEvent.action))).all()
    assert "request.reclassified" not in actions


async def test_an_agency_cannot_reclassify(world: World):
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=CAMERA)
    r = await agency.gql(
        RECLASSIFY,
        {"i": {"requestId": request["id"], "version": request["version"],
               "category": "ACCOUNT", "reason": "please"}},
    )  # fmt: skip
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await agency.data(READ, {"id": request["id"]}))["request"]["category"] == "PRODUCT"


async def test_a_withdrawn_request_keeps_its_category(world: World):
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=CAMERA)
    withdrawn = await agency.data(
        """mutation($i: WithdrawRequestInput!) { withdrawRequest(input: $i) {
             request { version } userErrors { code } } }""",
        {"i": {"requestId": request["id"]}},
    )
    version = withdrawn["withdrawRequest"]["request"]["version"]
    staff = await world.staff_actor(["review"])
    data = await staff.data(
        RECLASSIFY,
        {"i": {"requestId": request["id"], "version": version, "category": "ACCOUNT",
               "reason": "r"}},
    )  # fmt: skip
    [error] = data["reclassifyRequest"]["userErrors"]
    assert error["code"] == "INVALID_TRANSITION" and "WITHDRAWN" in error["message"]


async def test_the_report_counts_the_stored_category(world: World):
    agency = await world.agency_actor("DE")
    refused = await submit(agency, category="PRODUCT", targets=ASKS_FOR_D)
    assert refused["userErrors"][0]["code"] == "CATEGORY_MISMATCH"
    await agency.submit(targets=ASKS_FOR_D)
    moved = await agency.submit(targets=CAMERA)
    staff = await world.staff_actor(["review", "reports"])
    done = await staff.data(
        RECLASSIFY,
        {"i": {"requestId": moved["id"], "version": moved["version"], "category": "ACCOUNT",
               "reason": "the serial number names an account here"}},
    )  # fmt: skip
    assert done["reclassifyRequest"]["userErrors"] == []
    built = (await staff.data(BUILD, {"y": 2026}))["buildTransparencyReport"]
    assert built["userErrors"] == []
    rows = {(r["country"], r["category"].upper()): r["requests"] for r in built["report"]["rows"]}
    assert rows == {("DE", "TRANSACTION"): 1, ("DE", "ACCOUNT"): 1}
