"""Vendors holding some of the data (SPEC sections 2 and 4), on SQLite and PostgreSQL.

Data a vendor holds is not disclosed while the vendor lacks the same-standards clause or a valid
attestation: releasing is refused with a reason naming the vendor, and nothing is released,
until an admin records a valid attestation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import START
from tests.helpers import Actor, World
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Disclosure

VENDOR_FIELDS = "id name infoTypes sameStandardsClause attestedUntil blockedBecause"
VENDORS = f"{{ vendors {{ {VENDOR_FIELDS} }} }}"
CREATE = (
    "mutation($input: CreateVendorInput!) { createVendor(input: $input) { "
    f"vendor {{ {VENDOR_FIELDS} }} userErrors {{ field message code }} }} }}"
)
ATTEST = (
    "mutation($input: RecordVendorAttestationInput!) { recordVendorAttestation(input: $input) { "
    f"vendor {{ {VENDOR_FIELDS} }} userErrors {{ field message code }} }} }}"
)
REQUEST_FIELDS = (
    "id status version items { id infoType outcome } disclosure { id sha256 downloadPath }"
)
START_REVIEW = (
    "mutation($input: StartReviewInput!) { startReview(input: $input) { "
    f"request {{ {REQUEST_FIELDS} }} userErrors {{ code }} }} }}"
)
DECIDE = (
    "mutation($input: DecideRequestInput!) { decideRequest(input: $input) { "
    f"request {{ {REQUEST_FIELDS} }} userErrors {{ code message }} }} }}"
)
RELEASE = (
    "mutation($input: ReleaseDisclosureInput!) { releaseDisclosure(input: $input) { "
    f"request {{ {REQUEST_FIELDS} }} userErrors {{ field message code }} }} }}"
)
READ = f"query($id: ID!) {{ request(id: $id) {{ {REQUEST_FIELDS} }} }}"


def targets(*infos: str) -> list[dict[str, Any]]:
    return [
        {
            "identifierType": "EMAIL",
            "identifier": "suspect@example.com",
            "infoTypes": list(infos),
            "from": "2026-01-01",
            "to": "2026-06-30",
        }
    ]


class Desk:
    def __init__(
        self, world: World, clock: FixedClock, agency: Actor, reviewer: Actor, admin: Actor
    ) -> None:
        self.world = world
        self.clock = clock
        self.agency = agency
        self.reviewer = reviewer
        self.admin = admin

    def tick(self) -> None:
        self.clock.advance(timedelta(seconds=1))

    async def vendor(
        self, name: str, infos: list[str], clause: bool = True, actor: Actor | None = None
    ) -> dict[str, Any]:
        self.tick()
        payload = (
            await (actor or self.admin).data(
                CREATE,
                {"input": {"name": name, "infoTypes": infos, "sameStandardsClause": clause}},
            )
        )["createVendor"]
        assert payload["userErrors"] == [], payload
        return payload["vendor"]  # type: ignore[no-any-return]

    async def attest(self, vendor_id: str, expires: datetime, **extra: Any) -> dict[str, Any]:
        self.tick()
        return (  # type: ignore[no-any-return]
            await self.admin.data(
                ATTEST,
                {
                    "input": {
                        "vendorId": vendor_id,
                        "reference": "ATT-2026-01",
                        "expiresAt": expires.isoformat(),
                        **extra,
                    }
                },
            )
        )["recordVendorAttestation"]

    async def approved(self, *infos: str, decide: dict[str, Any] | None = None) -> dict[str, Any]:
        """A request for ``infos``, every item approved unless ``decide`` says otherwise."""
        self.tick()
        req = await self.agency.submit(targets=targets(*infos))
        self.tick()
        started = (await self.reviewer.data(START_REVIEW, {"input": {"requestId": req["id"]}}))[
            "startReview"
        ]["request"]
        decisions = [
            {"itemId": i["id"], **(decide or {}).get(i["infoType"], {"outcome": "APPROVE"})}
            for i in started["items"]
        ]
        self.tick()
        payload = (
            await self.reviewer.data(
                DECIDE,
                {
                    "input": {
                        "requestId": req["id"],
                        "version": started["version"],
                        "decisions": decisions,
                    }
                },
            )
        )["decideRequest"]
        assert payload["userErrors"] == [], payload
        return payload["request"]  # type: ignore[no-any-return]

    async def release(self, rid: str) -> dict[str, Any]:
        self.tick()
        return (await self.reviewer.data(RELEASE, {"input": {"requestId": rid}}))[  # type: ignore[no-any-return]
            "releaseDisclosure"
        ]

    async def read(self, rid: str) -> dict[str, Any]:
        return (await self.reviewer.data(READ, {"id": rid}))["request"]  # type: ignore[no-any-return]

    async def vendors(self, actor: Actor | None = None) -> dict[str, dict[str, Any]]:
        return {v["name"]: v for v in (await (actor or self.reviewer).data(VENDORS))["vendors"]}

    async def refetch_tokens(self) -> None:
        for actor in (self.agency, self.reviewer, self.admin):
            await actor.fetch_token()


@pytest.fixture
async def desk(world: World, clock: FixedClock) -> Desk:
    agency = await world.agency_actor("DE")
    reviewer = await world.staff_actor(["review"])
    admin = await world.staff_actor(["admin"])
    return Desk(world, clock, agency, reviewer, admin)


async def disclosures(container: Container) -> int:
    async with container.db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(Disclosure)) or 0)


async def assert_blocked(
    desk: Desk, container: Container, req: dict[str, Any], vendor: str, reason: str
) -> dict[str, Any]:
    before = await desk.read(req["id"])
    count = await disclosures(container)
    payload = await desk.release(req["id"])
    assert payload["request"] is None, payload
    errors = payload["userErrors"]
    assert [e["code"] for e in errors] == ["VENDOR_NOT_ATTESTED"], errors
    assert vendor in errors[0]["message"]
    assert reason in errors[0]["message"]
    after = await desk.read(req["id"])
    assert after == before  # still APPROVED / PARTIALLY_APPROVED, same version, no disclosure
    assert after["disclosure"] is None
    assert await disclosures(container) == count
    return errors[0]


async def test_a_vendor_without_attestation_blocks_until_an_admin_records_one(
    desk: Desk, container: Container
) -> None:
    vendor = await desk.vendor("CloudLog GmbH", ["C"])
    assert vendor["blockedBecause"] is not None
    assert vendor["attestedUntil"] is None
    req = await desk.approved("A", "C")
    assert req["status"] == "APPROVED"
    error = await assert_blocked(desk, container, req, "CloudLog GmbH", "no attestation")
    assert "C" in error["message"]

    until = START + timedelta(days=365)
    attested = await desk.attest(vendor["id"], until)
    assert attested["userErrors"] == []
    assert attested["vendor"]["blockedBecause"] is None
    assert datetime.fromisoformat(attested["vendor"]["attestedUntil"]) == until

    payload = await desk.release(req["id"])
    assert payload["userErrors"] == []
    assert payload["request"]["status"] == "DISCLOSED"
    assert payload["request"]["disclosure"] is not None


async def test_a_partially_approved_request_stays_so_while_blocked(
    desk: Desk, container: Container
) -> None:
    await desk.vendor("CloudLog GmbH", ["C"])
    reject = {"outcome": "REJECT", "reasonCode": "OVERBROAD", "explanation": "Too broad."}
    req = await desk.approved("C", "E", decide={"E": reject})
    assert req["status"] == "PARTIALLY_APPROVED"
    await assert_blocked(desk, container, req, "CloudLog GmbH", "no attestation")


async def test_a_vendor_without_the_same_standards_clause_blocks_even_when_attested(
    desk: Desk, container: Container
) -> None:
    vendor = await desk.vendor("LooseCloud Ltd", ["C", "E"], clause=False)
    attested = await desk.attest(vendor["id"], START + timedelta(days=365))
    assert attested["userErrors"] == []
    assert "same standards" in attested["vendor"]["blockedBecause"]
    req = await desk.approved("C")
    await assert_blocked(desk, container, req, "LooseCloud Ltd", "same standards")


async def test_an_expired_attestation_blocks_and_a_new_one_unblocks(
    desk: Desk, container: Container, clock: FixedClock
) -> None:
    vendor = await desk.vendor("CloudLog GmbH", ["C"])
    expiry = START + timedelta(days=10)
    await desk.attest(vendor["id"], expiry)
    early = await desk.approved("C")
    late = await desk.approved("C")

    # while it holds, a release goes through
    assert (await desk.release(early["id"]))["request"]["status"] == "DISCLOSED"

    clock.set(expiry + timedelta(hours=1))
    await desk.refetch_tokens()
    listed = (await desk.vendors())["CloudLog GmbH"]
    assert "expired" in listed["blockedBecause"]
    assert "2026-12-10" in listed["blockedBecause"]
    await assert_blocked(desk, container, late, "CloudLog GmbH", "expired on 2026-12-10")

    renewed = await desk.attest(vendor["id"], clock.now() + timedelta(days=365))
    assert renewed["userErrors"] == []
    assert renewed["vendor"]["blockedBecause"] is None
    assert (await desk.release(late["id"]))["request"]["status"] == "DISCLOSED"


async def test_an_attestation_expiring_exactly_now_no_longer_holds(
    desk: Desk, container: Container, clock: FixedClock
) -> None:
    vendor = await desk.vendor("CloudLog GmbH", ["C"])
    expiry = START + timedelta(days=3)
    await desk.attest(vendor["id"], expiry)
    req = await desk.approved("C")
    clock.set(expiry)
    await desk.refetch_tokens()
    await assert_blocked(desk, container, req, "CloudLog GmbH", "expired")


async def test_vendors_holding_other_types_do_not_block(desk: Desk, container: Container) -> None:
    await desk.vendor("SupportDesk AG", ["E"])
    await desk.vendor("PayCo", ["D"])
    req = await desk.approved("A", "C")
    payload = await desk.release(req["id"])
    assert payload["userErrors"] == []
    assert payload["request"]["status"] == "DISCLOSED"


async def test_a_rejected_item_of_the_vendors_type_does_not_block(
    desk: Desk, container: Container
) -> None:
    await desk.vendor("CloudLog GmbH", ["C"])
    reject = {"outcome": "REJECT", "reasonCode": "OVERBROAD", "explanation": "Too broad."}
    req = await desk.approved("A", "C", decide={"C": reject})
    assert req["status"] == "PARTIALLY_APPROVED"
    payload = await desk.release(req["id"])
    assert payload["userErrors"] == []
    assert payload["request"]["status"] == "DISCLOSED"


async def test_every_blocking_vendor_is_named(desk: Desk, container: Container) -> None:
    await desk.vendor("CloudLog GmbH", ["C"])
    await desk.vendor("Archive SA", ["A", "C"], clause=False)
    req = await desk.approved("A", "C")
    payload = await desk.release(req["id"])
    errors = payload["userErrors"]
    assert {e["code"] for e in errors} == {"VENDOR_NOT_ATTESTED"}
    text = " ".join(e["message"] for e in errors)
    assert "CloudLog GmbH" in text and "Archive SA" in text
    assert (await desk.read(req["id"]))["status"] == "APPROVED"


async def test_the_vendor_list_shows_why_each_is_blocked(desk: Desk, clock: FixedClock) -> None:
    ok = await desk.vendor("Good Cloud", ["C"])
    await desk.attest(ok["id"], START + timedelta(days=30))
    await desk.vendor("No Attestation", ["E"])
    await desk.vendor("No Clause", ["D"], clause=False)
    listed = await desk.vendors()
    assert set(listed) == {"Good Cloud", "No Attestation", "No Clause"}
    assert listed["Good Cloud"]["blockedBecause"] is None
    assert listed["Good Cloud"]["infoTypes"] == ["C"]
    assert "no attestation" in listed["No Attestation"]["blockedBecause"]
    assert "same standards" in listed["No Clause"]["blockedBecause"]
    assert listed["No Clause"]["sameStandardsClause"] is False
    # admins see the same list
    assert await desk.vendors(desk.admin) == listed

    clock.advance(timedelta(days=31))
    await desk.refetch_tokens()
    assert "expired" in (await desk.vendors())["Good Cloud"]["blockedBecause"]


async def test_only_admins_create_vendors_and_record_attestations(desk: Desk, world: World) -> None:
    vendor = await desk.vendor("CloudLog GmbH", ["C"])
    for actor in (desk.reviewer, desk.agency):
        desk.tick()
        r = await actor.gql(
            CREATE,
            {"input": {"name": "Sneaky", "infoTypes": ["C"], "sameStandardsClause": True}},
        )
        body = r.json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert (body.get("data") or {}).get("createVendor") is None
        r = await actor.gql(
            ATTEST,
            {
                "input": {
                    "vendorId": vendor["id"],
                    "reference": "FAKE",
                    "expiresAt": (START + timedelta(days=365)).isoformat(),
                }
            },
        )
        body = r.json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    listed = await desk.vendors()
    assert set(listed) == {"CloudLog GmbH"}
    assert listed["CloudLog GmbH"]["attestedUntil"] is None

    # agencies do not even read the vendor list
    r = await desk.agency.gql(VENDORS)
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_attestation_and_vendor_input_is_checked(desk: Desk) -> None:
    vendor = await desk.vendor("CloudLog GmbH", ["C"])
    past = await desk.attest(vendor["id"], START - timedelta(days=1))
    assert [e["code"] for e in past["userErrors"]] == ["INVALID_INPUT"]
    assert past["userErrors"][0]["field"] == "expiresAt"
    missing = await desk.attest("00000000-0000-0000-0000-000000000001", START + timedelta(days=9))
    assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]
    blank = await desk.attest(vendor["id"], START + timedelta(days=9), reference="  ")
    assert [e["code"] for e in blank["userErrors"]] == ["INVALID_INPUT"]
    assert (await desk.vendors())["CloudLog GmbH"]["attestedUntil"] is None

    desk.tick()
    dup = (
        await desk.admin.data(
            CREATE,
            {"input": {"name": "CloudLog GmbH", "infoTypes": ["E"], "sameStandardsClause": True}},
        )
    )["createVendor"]
    assert [e["code"] for e in dup["userErrors"]] == ["CONFLICT"]
    empty = (
        await desk.admin.data(
            CREATE, {"input": {"name": " ", "infoTypes": [], "sameStandardsClause": True}}
        )
    )["createVendor"]
    assert {e["field"] for e in empty["userErrors"]} == {"name", "infoTypes"}


async def test_an_expiry_without_a_time_zone_is_a_user_error_not_a_crash(desk: Desk) -> None:
    vendor = await desk.vendor("CloudLog GmbH", ["C"])
    desk.tick()
    r = await desk.admin.gql(
        ATTEST,
        {
            "input": {
                "vendorId": vendor["id"],
                "reference": "ATT-1",
                "expiresAt": (START + timedelta(days=30)).replace(tzinfo=None).isoformat(),
            }
        },
    )
    body = r.json()
    assert not body.get("errors"), body
    payload = body["data"]["recordVendorAttestation"]
    if payload["userErrors"]:
        assert payload["userErrors"][0]["field"] == "expiresAt"
    else:  # taken as UTC
        until = datetime.fromisoformat(payload["vendor"]["attestedUntil"])
        assert until == (START + timedelta(days=30)).astimezone(UTC)
