"""Jurisdiction is bound to the agency, on SQLite and PostgreSQL: an agency submits for its own
country and that country's subdivisions, plus what an admin granted when verifying it; anything
else is cross-border and needs a legal-basis kind the requested jurisdiction's rules accept
from abroad. Grants are recorded with the verifying person and the evidence, in the audit."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import trustcenter_eu.plugin
import trustcenter_us.plugin
from sqlalchemy import func, select

from tests.helpers import SUBMIT, Actor, World, request_count, submission, submit
from trustcenter.bootstrap import Container
from trustcenter.db.models import AuditEvent
from trustcenter.plugins import RequestView, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

VERIFY = """mutation($i: VerifyAgencyInput!) { verifyAgency(input: $i) {
  agency { id country grantedJurisdictions verifiedAt verifiedBy verificationEvidence }
  userErrors { field code message } } }"""
ME = """{ me { agency {
  id country grantedJurisdictions verifiedAt verifiedBy verificationEvidence } } }"""
FINDINGS = "query($id: ID!) { request(id: $id) { jurisdiction findings { plugin code } } }"


def basis(kind: str, **more: Any) -> dict[str, Any]:
    return {"kind": kind, "reference": "REF-2026-7", "issuedBy": "Issuing authority",
            "issuedAt": "2026-11-01", **more}  # fmt: skip


def use(container: Container, *plugins: tuple[str, Any]) -> None:
    container.plugins = PluginHost(*load("", extra=list(plugins)))


def codes(payload: dict[str, Any]) -> list[tuple[str, str]]:
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


def due_in(request: dict[str, Any]) -> timedelta:
    return datetime.fromisoformat(request["deadline"]) - datetime.fromisoformat(
        request["receivedAt"]
    )


async def agency_gid(agency: Actor) -> str:
    return str((await agency.data(ME))["me"]["agency"]["id"])


# --- the agency's own country -------------------------------------------------------------


@pytest.mark.parametrize("with_us_plugin", [False, True], ids=["defaults", "us-plugin"])
async def test_a_german_warrant_for_the_us_is_refused(
    world: World, container, with_us_plugin: bool
):
    if with_us_plugin:
        use(container, ("us", trustcenter_us.plugin))
    agency = await world.agency_actor("DE")
    payload = await submit(agency, jurisdiction="US")
    assert payload["request"] is None
    assert codes(payload) == [("jurisdiction", "JURISDICTION")]
    message = payload["userErrors"][0]["message"]
    assert "US" in message and "DE" in message and "WARRANT" in message
    assert await request_count(container) == 0


async def test_its_own_subdivisions_are_its_own(world: World):
    agency = await world.agency_actor("DE")
    request = await agency.submit(jurisdiction="DE-BE")
    assert request["jurisdiction"] == "DE-BE"


async def test_mutual_legal_assistance_reaches_abroad_and_gets_that_countrys_rules(
    world: World, container
):
    use(container, ("us", trustcenter_us.plugin), ("eu", trustcenter_eu.plugin))
    agency = await world.agency_actor("DE")
    request = await agency.submit(jurisdiction="US", legalBasis=basis("MUTUAL_LEGAL_ASSISTANCE"))
    assert request["jurisdiction"] == "US"
    assert due_in(request) == timedelta(days=30)  # not the EU's ten days
    staff = await world.staff_actor(["review"])
    found = (await staff.data(FINDINGS, {"id": request["id"]}))["request"]["findings"]
    assert found and {f["plugin"] for f in found} == {"us"}
    assert all(f["code"].startswith("US_") for f in found)


async def test_an_eu_production_order_between_member_states(world: World, container):
    french = await world.agency_actor("FR")
    order = {"jurisdiction": "DE", "legalBasis": basis("PRODUCTION_ORDER", issuerRole="JUDGE")}
    refused = await submit(french, **order)  # without the EU rules: not accepted from abroad
    assert codes(refused) == [("jurisdiction", "JURISDICTION")]
    assert "PRODUCTION_ORDER" in refused["userErrors"][0]["message"]
    use(container, ("eu", trustcenter_eu.plugin))
    request = (await submit(french, **order))["request"]
    assert request["jurisdiction"] == "DE" and due_in(request) == timedelta(days=10)
    # but not from outside the Union, and not a warrant
    american = await world.agency_actor("US")
    assert codes(await submit(american, **order)) == [("jurisdiction", "JURISDICTION")]
    warrant = {"jurisdiction": "DE", "legalBasis": basis("WARRANT")}
    assert codes(await submit(french, **warrant)) == [("jurisdiction", "JURISDICTION")]
    assert await request_count(container) == 1


async def test_an_executive_agreement_reaches_the_us_with_its_plugin(world: World, container):
    use(container, ("us", trustcenter_us.plugin))
    british = await world.agency_actor("GB")
    request = await british.submit(
        jurisdiction="US", legalBasis=basis("EXECUTIVE_AGREEMENT"), targets=[
            {"identifierType": "EMAIL", "identifier": "a@example.com", "infoTypes": ["A"]}]
    )  # fmt: skip
    staff = await world.staff_actor(["review"])
    found = (await staff.data(FINDINGS, {"id": request["id"]}))["request"]["findings"]
    assert [f["code"] for f in found] == ["US_EXECUTIVE_AGREEMENT"]
    german = await world.agency_actor("DE")  # the kind is the US plugin's: to DE it is not
    refused = await submit(german, jurisdiction="FR", legalBasis=basis("EXECUTIVE_AGREEMENT"))
    assert codes(refused) == [("jurisdiction", "JURISDICTION")]


async def test_a_revision_is_bound_the_same_way(world: World, container):
    agency = await world.agency_actor("DE")
    request = await agency.submit()
    revise = await agency.data(
        """mutation($i: ReviseRequestInput!) { reviseRequest(input: $i) {
             request { id } userErrors { field code } } }""",
        {"i": {"requestId": request["id"], "revision": submission(jurisdiction="US")}},
    )
    assert [(e["field"], e["code"]) for e in revise["reviseRequest"]["userErrors"]] == [
        ("jurisdiction", "JURISDICTION")
    ]
    read = await agency.data(
        "query($id: ID!) { request(id: $id) { status } }", {"id": request["id"]}
    )
    assert read["request"]["status"] == "RECEIVED"  # not superseded
    assert await request_count(container) == 1


class AnswersNonsense:
    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["BR"]

    @hookimpl
    def trustcenter_accepts_from_abroad(self, request: RequestView) -> Any:
        return "yes, why not"


async def test_a_plugin_answering_nonsense_is_a_plugin_failure(world: World, container):
    use(container, ("nonsense", AnswersNonsense()))
    agency = await world.agency_actor("DE")
    r = await agency.gql(SUBMIT, {"input": submission(jurisdiction="BR")})
    [error] = r.json()["errors"]
    assert error["extensions"]["code"] == "PLUGIN_FAILED"
    assert error["extensions"]["plugin"] == "nonsense"
    assert "trustcenter_accepts_from_abroad" in error["message"]
    assert await request_count(container) == 0


# --- grants at verification -----------------------------------------------------------------


async def test_a_granted_jurisdiction_works_after_verify_agency(world: World, container):
    body = await world.agency_actor("NL")  # a European body seated in the Netherlands
    assert codes(await submit(body, jurisdiction="DE")) == [("jurisdiction", "JURISDICTION")]
    admin = await world.staff_actor(["admin"])
    evidence = "Regulation (EU) 2016/794, Art. 4: support to the member states' authorities"
    done = await admin.data(
        VERIFY,
        {"i": {"agencyId": await agency_gid(body), "jurisdictions": ["de", "FR-IDF"],
               "evidence": evidence, "verifiedBy": "A. Admin"}},
    )  # fmt: skip
    payload = done["verifyAgency"]
    assert payload["userErrors"] == []
    assert payload["agency"]["grantedJurisdictions"] == ["DE", "FR-IDF"]
    assert payload["agency"]["verifiedBy"] == "A. Admin"
    assert payload["agency"]["verificationEvidence"] == evidence  # staff read what was seen
    assert payload["agency"]["verifiedAt"] is not None
    assert (await body.submit(jurisdiction="DE"))["jurisdiction"] == "DE"
    assert (await body.submit(jurisdiction="DE-BY"))["jurisdiction"] == "DE-BY"  # a country's
    assert (await body.submit(jurisdiction="FR-IDF"))["jurisdiction"] == "FR-IDF"
    assert codes(await submit(body, jurisdiction="FR")) == [("jurisdiction", "JURISDICTION")]
    # the agency reads its own grants, not who verified it nor the evidence seen
    me = (await body.data(ME))["me"]["agency"]
    assert me["grantedJurisdictions"] == ["DE", "FR-IDF"] and me["verifiedBy"] is None
    assert me["verificationEvidence"] is None
    async with container.db.reader() as session:
        event = (
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "agency.verified")
                .order_by(AuditEvent.seq.desc())
            )
        ).first()
    assert event is not None and event.actor_id == admin.client_id
    data = json.loads(event.data)
    assert data["jurisdictions"] == ["DE", "FR-IDF"]
    assert data["evidence"] == evidence and data["verified_by"] == "A. Admin"


async def test_the_verifying_person_defaults_to_the_staff_client(world: World):
    agency = await world.agency_actor("DE")
    admin = await world.staff_actor(["admin"])
    done = await admin.data(
        VERIFY, {"i": {"agencyId": await agency_gid(agency), "jurisdictions": ["DE-BE"]}}
    )
    payload = done["verifyAgency"]
    assert payload["userErrors"] == []  # within its own country: no evidence needed
    assert payload["agency"]["verifiedBy"] == admin.client_id


async def test_an_agency_cannot_verify_itself(world: World, container):
    agency = await world.agency_actor("DE")
    r = await agency.gql(
        VERIFY,
        {"i": {"agencyId": await agency_gid(agency), "jurisdictions": ["US"],
               "evidence": "trust me"}},
    )  # fmt: skip
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await agency.data(ME))["me"]["agency"]["grantedJurisdictions"] == []
    assert codes(await submit(agency, jurisdiction="US")) == [("jurisdiction", "JURISDICTION")]


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        ({"jurisdictions": ["XX"], "evidence": "e"}, "jurisdictions", "INVALID_JURISDICTION"),
        ({"jurisdictions": ["DE-ZZ9"]}, "jurisdictions", "INVALID_JURISDICTION"),
        ({"jurisdictions": ["<script>DE</script>"]}, "jurisdictions", "INVALID_JURISDICTION"),
        ({"jurisdictions": ["US"]}, "evidence", "INVALID_INPUT"),
        ({"jurisdictions": ["US"], "evidence": "   "}, "evidence", "INVALID_INPUT"),
        ({"verifiedBy": "x" * 201}, "verifiedBy", "INVALID_INPUT"),
    ],
    ids=[
        "unknown-country",
        "unknown-subdivision",
        "garbage",
        "no-evidence",
        "blank-evidence",
        "long-name",
    ],
)
async def test_bad_grants_are_refused_and_change_nothing(
    world: World, container, given: dict[str, Any], field: str, code: str
):
    agency = await world.agency_actor("DE")
    admin = await world.staff_actor(["admin"])
    async with container.db.reader() as session:
        before = await session.scalar(select(func.count()).select_from(AuditEvent))
    done = await admin.data(VERIFY, {"i": {"agencyId": await agency_gid(agency), **given}})
    assert done["verifyAgency"]["agency"] is None
    assert [(e["field"], e["code"]) for e in done["verifyAgency"]["userErrors"]] == [(field, code)]
    assert (await agency.data(ME))["me"]["agency"]["grantedJurisdictions"] == []
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == before


async def test_an_unknown_agency_is_not_found(world: World):
    admin = await world.staff_actor(["admin"])
    missing = base64.b64encode(b"Agency:00000000-0000-4000-8000-000000000000").decode()
    done = await admin.data(VERIFY, {"i": {"agencyId": missing}})
    assert codes(done["verifyAgency"]) == [("agencyId", "NOT_FOUND")]
    wrong_type = base64.b64encode(b"Request:00000000-0000-4000-8000-000000000000").decode()
    done = await admin.data(VERIFY, {"i": {"agencyId": wrong_type}})
    assert codes(done["verifyAgency"]) == [("agencyId", "NOT_FOUND")]
