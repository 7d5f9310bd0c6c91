"""Disclosure end to end (SPEC sections 2 to 4), on SQLite and PostgreSQL.

An agency submits, staff question, the agency clarifies, staff approve some items, narrow
others and reject the rest, release; the agency downloads a package that holds exactly the
approved scope and whose digest matches; nobody else can fetch it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import date, datetime

from sqlalchemy import select

from tests.api.disclosure.support import (
    ALL,
    READ,
    SUSPECT_TARGETS,
    Approved,
    UserData,
    assert_package_holds_exactly,
    request_uuid,
)
from tests.helpers import Flow, World
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    AuditEvent,
)
from trustcenter.domain.enums import (
    InfoType,
)


async def downloads_recorded(container: Container, disclosure_id: str) -> list[AuditEvent]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "disclosure.downloaded",
                AuditEvent.subject_id == disclosure_id,
            )
            .order_by(AuditEvent.seq)
        )
        return list(rows.all())


# --- the whole path -----------------------------------------------------------------------------


async def test_submit_question_clarify_decide_release_and_download_exactly_the_approved_scope(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    req = await flow.submit(targets=SUSPECT_TARGETS)
    rid = req["id"]
    assert req["status"] == "RECEIVED"

    await flow.ok(flow.staff, "startReview", requestId=rid)
    asked = await flow.ok(
        flow.staff,
        "askClarification",
        requestId=rid,
        message="Which devices does the case concern?",
    )
    assert asked["status"] == "CLARIFICATION_REQUESTED"
    answered = await flow.ok(
        flow.agency, "answerClarification", requestId=rid, message="The hall camera only."
    )
    assert answered["status"] == "IN_REVIEW"

    current = await flow.read(rid)
    items = {f"{i['target']['identifier']}/{i['infoType']}": i for i in current["items"]}
    assert set(items) == {
        "suspect@example.com/A",
        "suspect@example.com/C",
        "suspect@example.com/E",
        "C6N1234567/B",
    }
    decided = await flow.ok(
        flow.staff,
        "decideRequest",
        requestId=rid,
        version=current["version"],
        decisions=[
            {
                "itemId": items["suspect@example.com/A"]["id"],
                "outcome": "NARROW",
                "reasonCode": "OVERBROAD",
                "fields": ["username", "email"],
                "explanation": "Name and address identify the user; the rest is not needed.",
            },
            {
                "itemId": items["suspect@example.com/C"]["id"],
                "outcome": "NARROW",
                "reasonCode": "OVERBROAD",
                "from": "2026-03-01",
                "to": "2026-06-30",
                "explanation": "The burglaries began in March.",
            },
            {
                "itemId": items["suspect@example.com/E"]["id"],
                "outcome": "REJECT",
                "reasonCode": "OVERBROAD",
                "explanation": "Support conversations are not related to the offence.",
            },
            {"itemId": items["C6N1234567/B"]["id"], "outcome": "APPROVE"},
        ],
    )
    assert decided["status"] == "PARTIALLY_APPROVED"
    assert decided["disclosure"] is None

    released = await flow.ok(flow.staff, "releaseDisclosure", requestId=rid)
    assert released["status"] == "DISCLOSED"
    disclosure = released["disclosure"]
    assert disclosure is not None
    assert disclosure["downloadPath"] == f"/disclosures/{disclosure['id']}"
    assert datetime.fromisoformat(disclosure["releasedAt"]) == flow.clock.now()
    # the agency sees the same disclosure on its request
    assert (await flow.read(rid, flow.agency))["disclosure"] == disclosure

    r = await flow.download(disclosure["downloadPath"], flow.agency.token)
    assert r.status_code == 200, r.text
    body = r.content
    assert r.headers["content-type"].startswith("application/json")
    # user data is saved as a file, never shown in or framed by a page
    assert r.headers["content-disposition"].startswith("attachment;")
    assert "x-frame-options" not in r.headers
    assert hashlib.sha256(body).hexdigest() == disclosure["sha256"]
    assert len(body) == disclosure["size"] == int(r.headers["content-length"])
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert r.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert "no-store" in r.headers["cache-control"]

    package = json.loads(body)
    assert package["format"] == "trustcenter-disclosure/1"
    assert package["request"]["id"] == str(request_uuid(rid))
    assert package["request"]["legal_basis"]["reference"] == "AG-2026-113"
    approved = [
        Approved(
            "email",
            "suspect@example.com",
            InfoType.A,
            "narrow",
            frozenset({"username", "email"}),
            None,
            None,
        ),
        Approved(
            "email",
            "suspect@example.com",
            InfoType.C,
            "narrow",
            ALL[InfoType.C],
            date(2026, 3, 1),
            date(2026, 6, 30),
        ),
        Approved("serial_number", "C6N1234567", InfoType.B, "approve", ALL[InfoType.B], None, None),
    ]
    assert_package_holds_exactly(package, approved, userdata)
    # the narrowed usage range, boundaries included: Mar 1 00:00, Apr 15, Jun 30 23:59:59
    usage = package["targets"][0]["items"][1]["records"]
    assert sorted(u["occurred_at"] for u in usage) == [
        "2026-03-01T00:00:00+00:00",
        "2026-04-15T12:00:00+00:00",
        "2026-06-30T23:59:59+00:00",
    ]
    assert disclosure["recordCount"] == 1 + 3 + 1

    text = body.decode()
    suspect = userdata.people["suspect"]
    assert suspect.account["phone"] not in text  # A narrowed to name and e-mail
    assert suspect.account["background"] not in text
    # the suspect's other camera was not asked for with B
    assert "VC-C6N2222222" not in text
    assert "wifi suspect Garten" not in text
    for record in suspect.support:  # E was rejected
        assert record["content"] not in text
    for other in ("plain", "bystander"):
        for value in [userdata.people[other].account["email"]] + [
            u["ip_address"] for u in userdata.people[other].usage
        ]:
            assert value not in text


async def test_the_package_goes_to_the_requesting_agency_alone_and_every_download_is_audited(
    flow: Flow, userdata: UserData, container: Container, world: World
) -> None:
    released = await flow.released(SUSPECT_TARGETS)
    disclosure = released["disclosure"]
    path = disclosure["downloadPath"]

    other_agency = await world.agency_actor("FR")
    staff = await world.staff_actor()  # every staff scope
    own_without_scope = await world.agency_actor("DE", agency_id=flow.agency.agency_id)
    await own_without_scope.fetch_token("requests:submit requests:read")
    refusals = [
        await flow.download(path, other_agency.token),
        await flow.download(path, staff.token),
        await flow.download(path, own_without_scope.token),
        await flow.download(f"/disclosures/{uuid.uuid4()}", flow.agency.token),
        await flow.download("/disclosures/not-a-uuid", flow.agency.token),
    ]
    assert [r.status_code for r in refusals] == [404] * 5
    assert len({r.content for r in refusals}) == 1, "a refusal must not tell why"
    assert disclosure["sha256"] not in refusals[0].text

    anonymous = await flow.download(path, None)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert (await flow.download(path, "not-a-token")).status_code == 401

    # another agency does not even see the request, hence not the disclosure
    other_view = await other_agency.data(READ, {"id": released["id"]})
    assert other_view["request"] is None

    assert await downloads_recorded(container, disclosure["id"]) == []
    first = await flow.download(path, flow.agency.token)
    second = await flow.download(path, flow.agency.token)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    events = await downloads_recorded(container, disclosure["id"])
    assert len(events) == 2
    for event in events:
        assert event.actor_kind == "agency"
        assert event.actor_id == flow.agency.client_id
        assert event.request_id == request_uuid(released["id"])
        assert json.loads(event.data)["sha256"] == disclosure["sha256"]


async def test_transaction_records_only_for_the_premium_account(
    flow: Flow, userdata: UserData
) -> None:
    targets = [
        {
            "identifierType": "EMAIL",
            "identifier": "suspect@example.com",
            "infoTypes": ["D"],
            "from": "2026-01-01",
            "to": "2026-06-30",
        },
        {"identifierType": "EMAIL", "identifier": "plain@example.com", "infoTypes": ["A", "D"]},
    ]
    req = await flow.submit(targets=targets)
    started = await flow.ok(flow.staff, "startReview", requestId=req["id"])
    by_key = {f"{i['target']['identifier']}/{i['infoType']}": i for i in started["items"]}
    plain_d = by_key["plain@example.com/D"]
    assert plain_d["outcome"] is None  # a finding for the reviewer, not a decision
    assert by_key["suspect@example.com/D"]["outcome"] is None

    # the reviewer cannot approve it
    errors = await flow.refused(
        flow.staff,
        "decideRequest",
        requestId=req["id"],
        version=started["version"],
        decisions=[{"itemId": plain_d["id"], "outcome": "APPROVE"}],
    )
    assert {e["code"] for e in errors} == {"NOT_PREMIUM"}

    decided = await flow.ok(
        flow.staff,
        "decideRequest",
        requestId=req["id"],
        version=started["version"],
        decisions=[
            {"itemId": by_key["suspect@example.com/D"]["id"], "outcome": "APPROVE"},
            {"itemId": by_key["plain@example.com/A"]["id"], "outcome": "APPROVE"},
            {
                "itemId": plain_d["id"],
                "outcome": "REJECT",
                "reasonCode": "NOT_PREMIUM",
                "explanation": "No premium service on this account.",
            },
        ],
    )
    assert decided["status"] == "PARTIALLY_APPROVED"
    released = await flow.ok(flow.staff, "releaseDisclosure", requestId=req["id"])
    r = await flow.download(released["disclosure"]["downloadPath"], flow.agency.token)
    assert r.status_code == 200
    package = json.loads(r.content)
    assert_package_holds_exactly(
        package,
        [
            Approved(
                "email",
                "suspect@example.com",
                InfoType.D,
                "approve",
                ALL[InfoType.D],
                date(2026, 1, 1),
                date(2026, 6, 30),
            ),
            Approved(
                "email", "plain@example.com", InfoType.A, "approve", ALL[InfoType.A], None, None
            ),
        ],
        userdata,
    )
    orders = package["targets"][0]["items"][0]["records"]
    assert [o["order_number"] for o in orders] == ["ORD-suspect-1", "ORD-suspect-2"]
    for record in userdata.people["plain"].orders + userdata.people["bystander"].orders:
        assert record["order_number"] not in r.text
        assert record["delivery_address"] not in r.text
