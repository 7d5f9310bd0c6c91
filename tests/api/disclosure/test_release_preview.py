"""The release preview (issue 14, the console's release page), on SQLite and PostgreSQL: it
shows exactly what the release then packages — item by item the same records, counts,
fields and ranges, D only for premium accounts — and what would stop the release, in the
release's own words (status, block findings, vendors, four eyes); it never changes the
request, stores no disclosure or approval, and is audited with counts only.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from strawberry.relay import to_base64

from tests.api.disclosure.support import SUSPECT_TARGETS, UserData, request_uuid
from tests.api.test_plugins import use
from tests.helpers import Actor, Flow, World
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    Account,
    AuditEvent,
    Disclosure,
    PremiumSubscription,
    ReleaseApproval,
)
from trustcenter.plugins import Finding, RequestView, Severity, hookimpl

PREVIEW = """query($id: ID!, $n: Int! = 3) { releasePreview(requestId: $id, firstRecords: $n) {
  request { id status version }
  items { itemId identifierType identifier infoType outcome fields rangeFrom rangeTo from to
          recordCount firstRecords }
  vendors { name infoTypes attestedUntil blockedBecause }
  refusals } }"""
RELEASE = """mutation($i: ReleaseDisclosureInput!) { releaseDisclosure(input: $i) {
  approvalNeeded request { id status disclosure { id recordCount downloadPath } }
  userErrors { field code message } } }"""
APPROVE = """mutation($i: ApproveReleaseInput!) { approveRelease(input: $i) {
  request { status } userErrors { code message } } }"""
CREATE_VENDOR = """mutation($i: CreateVendorInput!) { createVendor(input: $i) {
  vendor { id } userErrors { message } } }"""
ATTEST = """mutation($i: RecordVendorAttestationInput!) { recordVendorAttestation(input: $i) {
  userErrors { message } } }"""
OVERRIDE = """mutation($i: OverrideFindingInput!) { overrideFinding(input: $i) {
  userErrors { message } } }"""
FINDINGS = "query($id: ID!) { request(id: $id) { findings { id severity } } }"

#: the suspect's A narrowed to two fields, C to March-June, D approved; the plain account's A
TARGETS = [
    {
        "identifierType": "EMAIL",
        "identifier": "Suspect@Example.com",
        "infoTypes": ["A", "C", "D", "E"],
        "from": "2026-01-01",
        "to": "2026-06-30",
    },
    {"identifierType": "SERIAL_NUMBER", "identifier": "c6n1234567", "infoTypes": ["B", "C"]},
    {"identifierType": "EMAIL", "identifier": "plain@example.com", "infoTypes": ["A"]},
]
DECISIONS = {
    "suspect@example.com/A": {
        "outcome": "NARROW",
        "reasonCode": "OVERBROAD",
        "explanation": "Name and address suffice.",
        "fields": ["username", "email"],
    },
    "suspect@example.com/C": {
        "outcome": "NARROW",
        "reasonCode": "OVERBROAD",
        "explanation": "The burglaries began in March.",
        "from": "2026-03-01",
        "to": "2026-06-30",
    },
    "suspect@example.com/E": {
        "outcome": "REJECT",
        "reasonCode": "OVERBROAD",
        "explanation": "Support conversations are not related.",
    },
}


async def preview(actor: Actor, rid: str, n: int = 3) -> dict[str, Any]:
    found: dict[str, Any] = (await actor.data(PREVIEW, {"id": rid, "n": n}))["releasePreview"]
    return found


async def release(flow: Flow, actor: Actor, rid: str) -> dict[str, Any]:
    flow.clock.advance(timedelta(seconds=1))
    out: dict[str, Any] = (await actor.data(RELEASE, {"i": {"requestId": rid}}))[
        "releaseDisclosure"
    ]
    return out


async def package_of(flow: Flow, released: dict[str, Any]) -> dict[str, Any]:
    r = await flow.download(released["request"]["disclosure"]["downloadPath"], flow.agency.token)
    assert r.status_code == 200, r.text
    package: dict[str, Any] = json.loads(r.content)
    return package


def packaged_items(package: dict[str, Any]) -> list[dict[str, Any]]:
    """The package's items in its order, each with its target."""
    return [
        {"identifier_type": t["identifier_type"], "identifier": t["identifier"], **item}
        for t in package["targets"]
        for item in t["items"]
    ]


def assert_preview_is_the_package(
    previewed: list[dict[str, Any]], package: dict[str, Any], n: int
) -> None:
    """Item by item, in order: the same target, type, decision, record count and records."""
    packaged = packaged_items(package)
    assert len(previewed) == len(packaged)
    for shown, item in zip(previewed, packaged, strict=True):
        assert shown["identifierType"].lower() == item["identifier_type"]
        assert shown["identifier"] == item["identifier"]
        assert shown["infoType"] == item["info_type"]
        decision = item["decision"]
        assert shown["outcome"].lower() == decision["outcome"]
        assert shown["fields"] == decision["fields"]
        assert (shown["from"], shown["to"]) == (decision["from"], decision["to"])
        assert shown["recordCount"] == len(item["records"])
        assert shown["firstRecords"] == item["records"][:n]


async def stored(container: Container) -> tuple[int, int]:
    async with container.db.reader() as s:
        disclosures = await s.scalar(select(func.count()).select_from(Disclosure))
        approvals = await s.scalar(select(func.count()).select_from(ReleaseApproval))
    return int(disclosures or 0), int(approvals or 0)


async def previews_audited(container: Container) -> list[AuditEvent]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "release.previewed")
            .order_by(AuditEvent.seq)
        )
        return list(rows.all())


async def test_the_preview_is_exactly_what_the_release_then_packages(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    decided = await flow.approved_request(TARGETS, DECISIONS)
    rid, version = decided["id"], decided["version"]
    assert decided["status"] == "PARTIALLY_APPROVED"

    whole = await preview(flow.staff, rid, 20)
    first_two = await preview(flow.staff, rid, 2)
    none = await preview(flow.staff, rid, 0)
    assert whole["refusals"] == [] and whole["vendors"] == []
    assert whole["request"] == {"id": rid, "status": "PARTIALLY_APPROVED", "version": version}
    shown = [(i["identifier"], i["infoType"]) for i in whole["items"]]
    assert shown == [  # E was rejected; in the package's order
        ("suspect@example.com", "A"),
        ("suspect@example.com", "C"),
        ("suspect@example.com", "D"),
        ("C6N1234567", "B"),
        ("C6N1234567", "C"),
        ("plain@example.com", "A"),
    ]
    by_key = {(i["identifier"], i["infoType"]): i for i in whole["items"]}
    usage = by_key[("suspect@example.com", "C")]
    assert usage["outcome"] == "NARROW" and usage["recordCount"] == 3
    assert (usage["from"], usage["to"]) == ("2026-03-01", "2026-06-30")
    assert usage["rangeFrom"].startswith("2026-03-01T00:00:00")
    assert usage["rangeTo"].startswith("2026-07-01T00:00:00")  # the end, exclusive
    assert by_key[("suspect@example.com", "A")]["fields"] == ["email", "username"]
    assert [len(i["firstRecords"]) for i in first_two["items"]] == [
        min(2, i["recordCount"]) for i in whole["items"]
    ]
    assert all(i["firstRecords"] == [] for i in none["items"])
    ids = {i["itemId"] for i in whole["items"]}
    assert ids <= {i["id"] for i in decided["items"]}

    # nothing changed, nothing stored; each preview is on record with counts, no records
    after = await flow.read(rid)
    assert (after["status"], after["version"], after["disclosure"]) == (
        "PARTIALLY_APPROVED",
        version,
        None,
    )
    assert await stored(container) == (0, 0)
    events = await previews_audited(container)
    assert len(events) == 3
    data = json.loads(events[0].data)
    total = sum(i["recordCount"] for i in whole["items"])
    assert data == {"version": version, "items": 6, "records": total, "vendors": 0, "refusals": 0}
    assert events[0].request_id == request_uuid(rid)
    assert events[0].actor_id == flow.staff.client_id
    for event in events:
        assert not any(value in event.data for value in userdata.everything())

    released = await release(flow, flow.staff, rid)
    assert released["userErrors"] == [] and released["request"]["status"] == "DISCLOSED"
    assert released["request"]["disclosure"]["recordCount"] == total
    package = await package_of(flow, released)
    assert_preview_is_the_package(whole["items"], package, 20)
    assert_preview_is_the_package(first_two["items"], package, 2)


async def test_d_is_previewed_and_packaged_only_while_the_account_is_premium(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    targets = [
        {"identifierType": "EMAIL", "identifier": "suspect@example.com", "infoTypes": ["A", "D"]}
    ]
    decided = await flow.approved_request(targets)
    rid = decided["id"]
    assert [i["infoType"] for i in (await preview(flow.staff, rid))["items"]] == ["A", "D"]

    async with container.db.transaction() as s:  # the premium service is gone since
        suspect = select(Account.id).where(Account.email == "suspect@example.com")
        await s.execute(
            delete(PremiumSubscription).where(PremiumSubscription.account_id.in_(suspect))
        )
    shown = await preview(flow.staff, rid)
    assert [i["infoType"] for i in shown["items"]] == ["A"]
    released = await release(flow, flow.staff, rid)
    assert_preview_is_the_package(shown["items"], await package_of(flow, released), 3)


async def test_a_request_not_ready_shows_why_and_nothing_to_release(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    req = await flow.in_review(targets=SUSPECT_TARGETS)
    shown = await preview(flow.staff, req["id"])
    assert shown["items"] == []
    [refusal] = shown["refusals"]
    assert "IN_REVIEW" in refusal
    refused = await flow.refused(flow.staff, "releaseDisclosure", requestId=req["id"])
    assert [e["message"] for e in refused] == [refusal]
    assert (await flow.read(req["id"]))["version"] == req["version"]


class Blocker:
    """A German rule that blocks every request until an admin overrides it."""

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["DE"]

    @hookimpl
    def trustcenter_review_findings(self, request: RequestView) -> list[Finding]:
        return [Finding(Severity.BLOCK, "TEST_BLOCK", "a judge must confirm", "Test Act, s. 1")]


async def test_block_findings_and_unattested_vendors_are_listed_as_the_release_says_them(
    flow: Flow, userdata: UserData, container: Container, world: World
) -> None:
    use(container, ("blocker", Blocker()))
    admin = await world.staff_actor(["admin"])
    vendor = (
        await admin.data(
            CREATE_VENDOR,
            {"i": {"name": "CloudCo", "infoTypes": ["A", "E"], "sameStandardsClause": True}},
        )
    )["createVendor"]["vendor"]
    decided = await flow.approved_request(SUSPECT_TARGETS)
    rid = decided["id"]

    shown = await preview(flow.staff, rid)
    [block, unattested] = shown["refusals"]
    assert "blocker" in block and "a judge must confirm" in block and "Test Act, s. 1" in block
    assert "CloudCo" in unattested and "no attestation" in unattested
    assert shown["vendors"] == [
        {
            "name": "CloudCo",
            "infoTypes": ["A", "E"],
            "attestedUntil": None,
            "blockedBecause": "it has no attestation on record",
        }
    ]
    refused = await release(flow, flow.staff, rid)
    assert [e["message"] for e in refused["userErrors"]] == [block]  # the block is said first

    [finding] = [
        f
        for f in (await flow.staff.data(FINDINGS, {"id": rid}))["request"]["findings"]
        if f["severity"] == "BLOCK"
    ]
    overridden = await admin.data(
        OVERRIDE, {"i": {"findingId": finding["id"], "justification": "Confirmed by the judge."}}
    )
    assert overridden["overrideFinding"]["userErrors"] == []
    assert (await preview(flow.staff, rid))["refusals"] == [unattested]
    refused = await release(flow, flow.staff, rid)
    assert [e["message"] for e in refused["userErrors"]] == [unattested]

    until = flow.clock.now() + timedelta(days=90)
    attested = await admin.data(
        ATTEST,
        {"i": {"vendorId": vendor["id"], "reference": "ATT-1", "expiresAt": until.isoformat()}},
    )
    assert attested["recordVendorAttestation"]["userErrors"] == []
    ready = await preview(flow.staff, rid)
    assert ready["refusals"] == []
    [cloud] = ready["vendors"]
    assert cloud["blockedBecause"] is None and cloud["attestedUntil"].startswith(
        until.date().isoformat()
    )
    assert await stored(container) == (0, 0)
    released = await release(flow, flow.staff, rid)
    assert released["request"]["status"] == "DISCLOSED"
    assert_preview_is_the_package(ready["items"], await package_of(flow, released), 3)


class FourEyes:
    @hookimpl
    def trustcenter_release_approvers(self, request: RequestView) -> int | None:
        return 2


async def test_four_eyes_the_approvals_still_needed_are_listed_and_preview_approves_nothing(
    flow: Flow, userdata: UserData, container: Container, world: World
) -> None:
    use(container, ("four-eyes", FourEyes()))
    second = await world.staff_actor(["review"])
    rid = (await flow.approved_request(SUSPECT_TARGETS))["id"]

    [alone] = (await preview(flow.staff, rid))["refusals"]
    assert "2 people must agree" in alone
    assert await stored(container) == (0, 0)  # previewing is no approval
    asked = await release(flow, flow.staff, rid)
    assert asked["approvalNeeded"] is True

    waiting, mine = (await preview(flow.staff, rid))["refusals"]
    assert "waiting for a second approval" in waiting
    assert "you approved this release already" in mine
    assert (await preview(second, rid))["refusals"] == [waiting]
    assert await stored(container) == (0, 1)
    flow.clock.advance(timedelta(seconds=1))
    approved = await second.data(APPROVE, {"i": {"requestId": rid}})
    assert approved["approveRelease"]["request"]["status"] == "DISCLOSED"
    done = await preview(second, rid)
    assert len(done["refusals"]) == 1 and "DISCLOSED" in done["refusals"][0]


async def test_who_may_not_release_may_not_preview_and_nothing_is_recorded(
    flow: Flow, userdata: UserData, container: Container, world: World
) -> None:
    rid = (await flow.approved_request(SUSPECT_TARGETS))["id"]
    callers = [flow.agency, await world.staff_actor(["notices", "reports", "audit", "admin"])]
    for caller in callers:
        body = (await caller.gql(PREVIEW, {"id": rid})).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert body["data"] is None
    for bad in (-1, 21):
        body = (await flow.staff.gql(PREVIEW, {"id": rid, "n": bad})).json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body
    body = (await flow.staff.gql(PREVIEW, {"id": to_base64("Request", str(uuid.uuid4()))})).json()
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND", body
    assert await previews_audited(container) == []
