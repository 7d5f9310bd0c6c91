"""Findings follow the decisions, on SQLite and PostgreSQL.

A US subpoena asks for A, B, C and D; the US plugin blocks it (a subpoena reaches subscriber
information only). Once the reviewer rejects B and D the block no longer applies: decideRequest
shows it resolved at once, release goes ahead without an admin's override, and the audit trail
holds the resolution. Approving B again while the request is in review reopens the block.
Agencies never read findings.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import trustcenter_us.plugin

from tests.api.test_plugins import use
from tests.helpers import Actor, World, account_and_camera_owner
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.plugins.host import PluginHost

BLOCK = "US_SUBPOENA_BEYOND_SUBSCRIBER_INFO"
SUBPOENA: dict[str, Any] = {
    "jurisdiction": "US",
    "legalBasis": {
        "kind": "SUBPOENA",
        "reference": "GJ-2026-311",
        "issuedBy": "Grand Jury, Southern District of New York",
        "issuedAt": "2026-11-20",
        "document": "JVBERi0xLjQgc3VicG9lbmE=",  # %PDF-1.4 subpoena
    },
    "targets": [
        {"identifierType": "EMAIL", "identifier": "owner@example.com", "infoTypes": list("ABCD")}
    ],
}
FINDINGS = "findings { id plugin severity code message resolvedAt resolvedReason }"
READ = f"""query($id: ID!) {{ request(id: $id) {{ status version
  items {{ id infoType }} {FINDINGS} }} }}"""
DECIDE = f"""mutation($i: DecideRequestInput!) {{ decideRequest(input: $i) {{
  request {{ status version }} userErrors {{ field code message }} {FINDINGS} }} }}"""
START = """mutation($i: StartReviewInput!) { startReview(input: $i) {
  request { version } userErrors { code } } }"""
RELEASE = """mutation($i: ReleaseDisclosureInput!) { releaseDisclosure(input: $i) {
  request { status disclosure { sha256 } } userErrors { code message } } }"""
TRAIL = """query($id: ID!) { request(id: $id) { auditTrail { action data } } }"""


@pytest.fixture
def us(container: Container) -> PluginHost:
    return use(container, ("us", trustcenter_us.plugin))


@pytest.fixture
async def agency(world: World) -> Actor:
    return await world.agency_actor("US")


def block_of(findings: list[dict[str, Any]]) -> dict[str, Any]:
    (block,) = [f for f in findings if f["code"] == BLOCK]
    return block


class Review:
    def __init__(self, reviewer: Actor, clock: FixedClock, rid: str) -> None:
        self.reviewer, self.clock, self.rid = reviewer, clock, rid

    async def read(self) -> dict[str, Any]:
        return (await self.reviewer.data(READ, {"id": self.rid}))["request"]  # type: ignore[no-any-return]

    async def decide(self, **outcomes: str) -> dict[str, Any]:
        """Decide items by information type: APPROVE, or REJECT with NO_LEGAL_BASIS."""
        current = await self.read()
        by_type = {i["infoType"]: i["id"] for i in current["items"]}
        decisions = [
            {"itemId": by_type[t], "outcome": "APPROVE"}
            if o == "APPROVE"
            else {
                "itemId": by_type[t],
                "outcome": o,
                "reasonCode": "NO_LEGAL_BASIS",
                "explanation": f"A subpoena does not reach {t}.",
            }
            for t, o in outcomes.items()
        ]
        self.clock.advance(timedelta(minutes=1))
        payload = (
            await self.reviewer.data(
                DECIDE,
                {
                    "i": {
                        "requestId": self.rid,
                        "version": current["version"],
                        "decisions": decisions,
                    }
                },
            )
        )["decideRequest"]
        assert payload["userErrors"] == [], payload
        return payload  # type: ignore[no-any-return]


async def test_a_block_that_no_longer_applies_is_resolved_and_release_goes_ahead(
    us: PluginHost,
    container: Container,
    clock: FixedClock,
    agency: Actor,
    reviewer: Actor,
) -> None:
    await account_and_camera_owner(container)
    rid = (await agency.submit(**SUBPOENA))["id"]
    review = Review(reviewer, clock, rid)
    block = block_of((await review.read())["findings"])
    assert block["plugin"] == "us" and block["resolvedAt"] is None
    assert "B, D" in block["message"]
    await reviewer.data(START, {"i": {"requestId": rid}})

    # rejecting B and D: the block no longer applies, and the reviewer sees so at once
    payload = await review.decide(B="REJECT", D="REJECT")
    assert payload["request"]["status"] == "IN_REVIEW"
    resolved = block_of(payload["findings"])
    assert resolved["id"] == block["id"]
    assert resolved["resolvedAt"] is not None and resolved["resolvedReason"]
    # the warning about C still applies
    open_codes = {f["code"] for f in payload["findings"] if f["resolvedAt"] is None}
    assert open_codes == {"US_SUBPOENA_LOGIN_IPS_ONLY"}

    # approving B again reopens it; rejecting it once more resolves it again
    payload = await review.decide(B="APPROVE")
    reopened = block_of(payload["findings"])
    assert reopened["id"] == block["id"] and reopened["resolvedAt"] is None
    assert "; B needs" in reopened["message"]  # D was rejected: the block is about B alone
    payload = await review.decide(B="REJECT")
    assert block_of(payload["findings"])["resolvedAt"] is not None

    payload = await review.decide(A="APPROVE", C="APPROVE")
    assert payload["request"]["status"] == "PARTIALLY_APPROVED"
    assert block_of(payload["findings"])["resolvedAt"] is not None

    # release needs no admin override
    clock.advance(timedelta(minutes=1))
    released = (await reviewer.data(RELEASE, {"i": {"requestId": rid}}))["releaseDisclosure"]
    assert released["userErrors"] == [], released
    assert released["request"]["status"] == "DISCLOSED"

    # on the record: resolved, reopened, resolved; the finding stays readable
    trail = (await reviewer.data(TRAIL, {"id": rid}))["request"]["auditTrail"]
    about_block = [e["action"] for e in trail if e["data"].get("code") == BLOCK]
    assert about_block == ["finding.resolved", "finding.reopened", "finding.resolved"]
    assert block_of((await review.read())["findings"])["resolvedAt"] is not None


async def test_a_block_that_still_applies_stops_release(
    us: PluginHost,
    container: Container,
    clock: FixedClock,
    agency: Actor,
    reviewer: Actor,
) -> None:
    """Rejecting only D leaves B approved: the block stays open (its message now names B
    alone) and release is refused with BLOCKED_BY_FINDING."""
    await account_and_camera_owner(container)
    rid = (await agency.submit(**SUBPOENA))["id"]
    review = Review(reviewer, clock, rid)
    await reviewer.data(START, {"i": {"requestId": rid}})
    payload = await review.decide(A="APPROVE", B="APPROVE", C="APPROVE", D="REJECT")
    block = block_of(payload["findings"])
    assert block["resolvedAt"] is None
    assert "; B needs" in block["message"]
    released = (await reviewer.data(RELEASE, {"i": {"requestId": rid}}))["releaseDisclosure"]
    assert [e["code"] for e in released["userErrors"]] == ["BLOCKED_BY_FINDING"]


async def test_the_agency_never_reads_findings_nor_decides(
    us: PluginHost,
    container: Container,
    clock: FixedClock,
    agency: Actor,
    reviewer: Actor,
) -> None:
    rid = (await agency.submit(**SUBPOENA))["id"]
    await reviewer.data(START, {"i": {"requestId": rid}})
    r = await agency.gql(READ, {"id": rid})
    assert {e["extensions"]["code"] for e in r.json()["errors"]} == {"FORBIDDEN"}
    assert BLOCK not in r.text
    items = (
        await agency.data(
            "query($id: ID!) { request(id: $id) { version items { id } } }", {"id": rid}
        )
    )["request"]
    r = await agency.gql(
        DECIDE,
        {
            "i": {
                "requestId": rid,
                "version": items["version"],
                "decisions": [{"itemId": items["items"][0]["id"], "outcome": "APPROVE"}],
            }
        },
    )
    body = r.json()
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert BLOCK not in r.text
