"""Callers who try to bend the category, jurisdiction and no-oracle rules, on SQLite and
PostgreSQL: an agency flagging nothing yet asking for EMERGENCY, look-alike jurisdiction codes, a
plugin classifying a request out of the category the policy gives it, a reviewer moving a request
into a plugin's category its plugin would refuse, grants across suspension, and an agency probing
global ids for what the company holds."""

from __future__ import annotations

import base64
from typing import Any

import pytest
import trustcenter_preservation.plugin
from sqlalchemy import func, select

from tests.api.test_jurisdiction_rules import VERIFY, agency_gid, codes
from tests.api.test_no_oracle import agency_readable_query, apart_from_ids_and_times
from tests.helpers import (
    OPERATOR,
    SUBMIT,
    World,
    account_and_camera_owner,
    request_count,
    submission,
    submit,
)
from trustcenter.bootstrap import Container
from trustcenter.db.models import Account, AuditEvent, Finding, Product
from trustcenter.domain.enums import VerificationState
from trustcenter.plugins import Finding as PluginFinding
from trustcenter.plugins import RequestView, Severity, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load
from trustcenter.services.agencies import set_verification

CAMERA = [{"identifierType": "SERIAL_NUMBER", "identifier": "CAM0000001", "infoTypes": ["B"]}]
ASKS_FOR_D = [{"identifierType": "EMAIL", "identifier": "a@example.com", "infoTypes": ["A", "D"]}]
RECLASSIFY = """mutation($i: ReclassifyRequestInput!) { reclassifyRequest(input: $i) {
  request { id category version } userErrors { field code message } } }"""
STAFF_READ = """query($id: ID!) { request(id: $id) { category version
  items { id infoType } findings { id plugin code resolvedAt } } }"""
START = """mutation($i: StartReviewInput!) { startReview(input: $i) {
  request { version } userErrors { code message } } }"""
DECIDE = """mutation($i: DecideRequestInput!) { decideRequest(input: $i) {
  request { status } userErrors { field code message } } }"""
NODE = "query($id: ID!) { node(id: $id) { id } }"


def use(container: Container, *plugins: tuple[str, Any]) -> PluginHost:
    container.plugins = PluginHost(*load("", extra=list(plugins)))
    return container.plugins


def gid(type_name: str, raw_id: object) -> str:
    return base64.b64encode(f"{type_name}:{raw_id}".encode()).decode()


# --- the category ---------------------------------------------------------------------------


async def test_emergency_without_the_flag_is_a_category_mismatch(world: World, container):
    agency = await world.agency_actor("DE")
    payload = await submit(agency, category="EMERGENCY")
    assert payload["request"] is None
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == ("category", "CATEGORY_MISMATCH")
    assert "not flagged as an emergency" in error["message"]
    assert "so it is ACCOUNT, not EMERGENCY" in error["message"]
    assert await request_count(container) == 0


class ClassifiesAsProduct:
    """A plugin that files every request under PRODUCT, whatever it asks for."""

    @hookimpl
    def trustcenter_classify(self, request: RequestView) -> str:
        return "PRODUCT"


async def test_a_plugin_cannot_move_a_request_out_of_its_policy_category(world: World, container):
    use(container, ("lenient", ClassifiesAsProduct()))
    agency = await world.agency_actor("DE")
    r = await agency.gql(SUBMIT, {"input": submission(targets=ASKS_FOR_D)})
    [error] = r.json()["errors"]
    assert error["extensions"]["code"] == "PLUGIN_FAILED"
    assert error["extensions"]["plugin"] == "lenient"
    assert "policy classifies this request as TRANSACTION" in error["message"]
    assert await request_count(container) == 0
    # where the precedence gives the same, its answer stands
    assert (await agency.submit(targets=CAMERA))["category"] == "PRODUCT"


@pytest.fixture
def preservation(container: Container) -> PluginHost:
    return use(container, ("preservation", trustcenter_preservation.plugin))


async def test_reclassifying_into_a_plugin_category_is_checked_by_its_plugin(
    preservation: PluginHost, world: World, container
):
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=CAMERA)  # on a warrant
    staff = await world.staff_actor(["review"])
    done = await staff.data(
        RECLASSIFY,
        {"i": {"requestId": request["id"], "version": request["version"],
               "category": "PRESERVATION", "reason": "they only want it kept"}},
    )  # fmt: skip
    payload = done["reclassifyRequest"]
    assert payload["request"] is None
    [error] = payload["userErrors"]
    assert (error["field"], error["code"]) == ("category", "INVALID_INPUT")
    assert "PRESERVATION_ORDER" in error["message"]
    seen = (await staff.data(STAFF_READ, {"id": request["id"]}))["request"]
    assert (seen["category"], seen["version"]) == ("PRODUCT", request["version"])
    async with container.db.reader() as session:
        actions = (await session.scalars(select(AuditEvent.action))).all()
    assert "request.reclassified" not in actions


class FlagsAccounts:
    """Findings that depend on the category: a rule for account requests only."""

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["DE"]

    @hookimpl
    def trustcenter_review_findings(self, request: RequestView) -> list[PluginFinding]:
        if request.category != "ACCOUNT":
            return []
        return [PluginFinding(Severity.WARNING, "XX_ACCOUNT_RULE", "check it", "XX § 1")]


async def test_reclassifying_brings_the_findings_up_to_date(world: World, container):
    use(container, ("xx", FlagsAccounts()))
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=CAMERA)
    staff = await world.staff_actor(["review"])
    assert (await staff.data(STAFF_READ, {"id": request["id"]}))["request"]["findings"] == []
    done = await staff.data(
        RECLASSIFY,
        {"i": {"requestId": request["id"], "version": request["version"], "category": "ACCOUNT",
               "reason": "the serial number is the login"}},
    )  # fmt: skip
    assert done["reclassifyRequest"]["userErrors"] == []
    found = (await staff.data(STAFF_READ, {"id": request["id"]}))["request"]["findings"]
    assert [(f["plugin"], f["code"], f["resolvedAt"]) for f in found] == [
        ("xx", "XX_ACCOUNT_RULE", None)
    ]


# --- the jurisdiction -----------------------------------------------------------------------


async def test_look_alike_codes_are_no_codes_and_case_and_spaces_do_not_matter(
    world: World, container
):
    italian = await world.agency_actor("IT")
    for look_alike in ("\u0131t", "\uff29\uff34", "IT\u200b"):  # dotless i, full width, ZWSP
        assert codes(await submit(italian, jurisdiction=look_alike)) == [
            ("jurisdiction", "INVALID_JURISDICTION")
        ]
    assert codes(await submit(italian, jurisdiction="IT-XX")) == [
        ("jurisdiction", "INVALID_JURISDICTION")
    ]
    assert (await italian.submit(jurisdiction=" it "))["jurisdiction"] == "IT"
    assert (await italian.submit(jurisdiction="it-21"))["jurisdiction"] == "IT-21"
    german = await world.agency_actor("DE")
    assert codes(await submit(german, jurisdiction=" us ")) == [("jurisdiction", "JURISDICTION")]
    admin = await world.staff_actor(["admin"])
    done = await admin.data(
        VERIFY,
        {"i": {"agencyId": await agency_gid(german), "jurisdictions": ["\u0131t"],
               "evidence": "e"}},
    )  # fmt: skip
    assert codes(done["verifyAgency"]) == [("jurisdictions", "INVALID_JURISDICTION")]
    assert await request_count(container) == 2


async def test_grants_survive_suspension_and_a_plain_reverification(world: World, container):
    agency = await world.agency_actor("DE")
    admin = await world.staff_actor(["admin"])
    agency_id = await agency_gid(agency)
    granted = await admin.data(
        VERIFY, {"i": {"agencyId": agency_id, "jurisdictions": ["FR"], "evidence": "JIT treaty"}}
    )
    assert granted["verifyAgency"]["userErrors"] == []
    assert (await agency.submit(jurisdiction="FR"))["jurisdiction"] == "FR"
    c = container
    await set_verification(c, OPERATOR, agency.agency_id, VerificationState.SUSPENDED)
    r = await agency.gql(SUBMIT, {"input": submission(jurisdiction="FR")})
    assert r.status_code == 401  # a suspended agency's token stops working at once
    again = await admin.data(VERIFY, {"i": {"agencyId": agency_id}})
    assert again["verifyAgency"]["agency"]["grantedJurisdictions"] == ["FR"]
    await agency.fetch_token()
    assert (await agency.submit(jurisdiction="FR"))["jurisdiction"] == "FR"
    # an explicit empty list withdraws the grant
    cleared = await admin.data(VERIFY, {"i": {"agencyId": agency_id, "jurisdictions": []}})
    assert cleared["verifyAgency"]["agency"]["grantedJurisdictions"] == []
    assert codes(await submit(agency, jurisdiction="FR")) == [("jurisdiction", "JURISDICTION")]


def without_identifiers(value: Any) -> Any:
    """The two requests name different addresses: everything else must be the same."""
    if isinstance(value, dict):
        return {k: without_identifiers(v) for k, v in value.items() if k != "identifier"}
    if isinstance(value, list):
        return [without_identifiers(v) for v in value]
    return value


# --- no oracle ------------------------------------------------------------------------------


async def test_global_ids_of_findings_and_subjects_tell_the_agency_nothing(world: World, container):
    await account_and_camera_owner(container)
    agency = await world.agency_actor("DE")
    staff = await world.staff_actor(["review"])
    owner_d = {"identifierType": "EMAIL", "identifier": "owner@example.com", "infoTypes": ["D"]}
    known = await agency.submit(targets=[owner_d])
    await staff.data(START, {"i": {"requestId": known["id"]}})
    async with container.db.reader() as session:
        finding = await session.scalar(select(Finding.id))
        account = await session.scalar(select(Account.id))
        product = await session.scalar(select(Product.id))
        missing = "00000000-0000-4000-8000-000000000000"
    assert finding is not None and account is not None and product is not None
    answers = []
    probes = [("Finding", finding), ("Finding", missing), ("Account", account),
              ("Account", missing), ("Product", product), ("Product", missing),
              ("Subject", account), ("Target", account), ("Request", account)]  # fmt: skip
    for type_name, raw in probes:
        r = await agency.gql(NODE, {"id": gid(type_name, raw)})
        assert r.status_code == 200
        answers.append({k: v for k, v in r.json().items() if k != "extensions"})  # cost
    assert answers == [{"data": {"node": None}}] * len(answers)


async def test_a_known_account_and_an_unknown_address_read_the_same_after_review_starts(
    world: World, container
):
    """A, asked of a known account and of an address the company does not know: the lookup
    at startReview raises NOT_HELD for the second only, and the agency cannot tell."""
    await account_and_camera_owner(container)
    agency = await world.agency_actor("DE")
    staff = await world.staff_actor(["review"])
    seen = []
    for address in ("owner@example.com", "nobody@example.com"):
        target = {"identifierType": "EMAIL", "identifier": address, "infoTypes": ["A"]}
        rid = (await agency.submit(targets=[target]))["id"]
        assert (await staff.data(START, {"i": {"requestId": rid}}))["startReview"][
            "userErrors"
        ] == []
        query = await agency_readable_query(agency, rid)
        view = (await agency.data(query, {"id": rid}))["request"]
        seen.append(apart_from_ids_and_times(without_identifiers(view)))
    assert seen[0] == seen[1]
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Finding)) == 1  # NOT_HELD


async def test_narrow_cannot_carry_an_account_state_code(world: World, container):
    await account_and_camera_owner(container)
    agency = await world.agency_actor("DE")
    staff = await world.staff_actor(["review"])
    rid = (await agency.submit(targets=[
        {"identifierType": "EMAIL", "identifier": "owner@example.com", "infoTypes": ["C"],
         "from": "2026-01-01", "to": "2026-06-30"}]))["id"]  # fmt: skip
    await staff.data(START, {"i": {"requestId": rid}})
    read = (await staff.data(STAFF_READ, {"id": rid}))["request"]
    decision = {"itemId": read["items"][0]["id"], "outcome": "NARROW", "reasonCode": "NOT_HELD",
                "from": "2026-02-01", "to": "2026-03-01"}  # fmt: skip
    payload = (
        await staff.data(
            DECIDE, {"i": {"requestId": rid, "version": read["version"], "decisions": [decision]}}
        )
    )["decideRequest"]
    assert payload["request"] is None
    assert codes(payload) == [("decisions[0].reasonCode", "INVALID_INPUT")]
