"""Exceptions hold notices back; lifting the last one makes them due again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.helpers import RELEASE, approve_all
from trustcenter.db.models import Account, AuditEvent

RECORD = """mutation($i: RecordNoticeExceptionInput!) { recordNoticeException(input: $i) {
  exception { id kind reviewDueAt endsOn } userErrors { field code message } } }"""
LIFT = """mutation($i: ChangeNoticeExceptionInput!) { liftNoticeException(input: $i) {
  exception { liftedAt } userErrors { field code } } }"""
CONFIRM = """mutation($i: ChangeNoticeExceptionInput!) { confirmNoticeException(input: $i) {
  exception { reviewDueAt } userErrors { field code } } }"""
NOTICES = """query($id: ID!) { request(id: $id) { notices { status dueAt } } }"""
DUE = "{ noticeExceptionsDueForReview { id kind } }"
TARGET = [{"identifierType": "EMAIL", "identifier": "user@example.com", "infoTypes": ["A"]}]


@pytest.fixture
async def account(container):
    async with container.db.transaction() as s:
        s.add(
            Account(
                username="user",
                email="user@example.com",
                region="DE",
                registered_at=datetime(2024, 1, 1, tzinfo=UTC),
            )
        )


@pytest.fixture
async def case(account, world):
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=TARGET)
    staff = await world.staff_actor()
    await approve_all(staff, request["id"])
    return request["id"], staff


async def release(staff, request_id) -> None:
    done = await staff.data(RELEASE, {"i": {"requestId": request_id}})
    assert done["releaseDisclosure"]["userErrors"] == []


async def statuses(staff, request_id) -> list[str]:
    return [
        n["status"] for n in (await staff.data(NOTICES, {"id": request_id}))["request"]["notices"]
    ]


async def record(staff, request_id, **fields) -> dict:
    body = {
        "requestId": request_id,
        "kind": "RISK_OF_HARM",
        "justification": "the user may endanger a witness",
        **fields,
    }
    return (await staff.data(RECORD, {"i": body}))["recordNoticeException"]


async def test_an_exception_before_release_suppresses_the_notice(case):
    request_id, staff = case
    recorded = await record(staff, request_id, kind="CHILD_ABUSE", justification="case type")
    assert recorded["userErrors"] == []
    await release(staff, request_id)
    assert await statuses(staff, request_id) == ["SUPPRESSED"]


async def test_lifting_makes_the_notice_due_again(case, clock):
    request_id, staff = case
    await release(staff, request_id)
    assert await statuses(staff, request_id) == ["SCHEDULED"]
    first = (await record(staff, request_id))["exception"]
    second = (
        await record(
            staff, request_id, kind="COURT_ORDER_OR_LAW", reference="GAG-7", endsOn="2027-12-31"
        )
    )["exception"]
    assert await statuses(staff, request_id) == ["SUPPRESSED"]
    lifted = await staff.data(
        LIFT, {"i": {"exceptionId": first["id"], "justification": "risk assessed again"}}
    )
    assert lifted["liftNoticeException"]["exception"]["liftedAt"]
    assert await statuses(staff, request_id) == ["SUPPRESSED"]  # the court order still holds
    clock.advance(timedelta(days=40))
    await staff.fetch_token()
    await staff.data(LIFT, {"i": {"exceptionId": second["id"], "justification": "order lifted"}})
    [notice] = (await staff.data(NOTICES, {"id": request_id}))["request"]["notices"]
    assert notice["status"] == "SCHEDULED"
    assert datetime.fromisoformat(notice["dueAt"]) == clock.now()  # overdue by then: due now


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "COURT_ORDER_OR_LAW"}, "reference"),
        ({"justification": "  "}, "justification"),
        ({"endsOn": "2020-01-01"}, "endsOn"),
    ],
)
async def test_bad_exceptions_are_refused(case, fields, field):
    request_id, staff = case
    refused = await record(staff, request_id, **fields)
    assert refused["exception"] is None
    assert field in [e["field"] for e in refused["userErrors"]]


async def test_only_staff_with_the_notices_scope(case, world):
    request_id, _ = case
    reviewer = await world.staff_actor(["review"])
    r = await reviewer.gql(
        RECORD, {"i": {"requestId": request_id, "kind": "RISK_OF_HARM", "justification": "x"}}
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    agency = await world.agency_actor("FR")
    r = await agency.gql(DUE)
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_open_ended_exceptions_come_up_for_review_every_90_days(case, clock, container):
    request_id, staff = case
    open_ended = (await record(staff, request_id))["exception"]
    await record(
        staff, request_id, kind="COURT_ORDER_OR_LAW", reference="GAG-1", endsOn="2027-12-31"
    )
    assert (await staff.data(DUE))["noticeExceptionsDueForReview"] == []
    clock.advance(timedelta(days=91))
    await staff.fetch_token()
    due = (await staff.data(DUE))["noticeExceptionsDueForReview"]
    assert [d["id"] for d in due] == [open_ended["id"]]
    confirmed = await staff.data(
        CONFIRM, {"i": {"exceptionId": open_ended["id"], "justification": "still a risk"}}
    )
    next_review = confirmed["confirmNoticeException"]["exception"]["reviewDueAt"]
    assert datetime.fromisoformat(next_review) == clock.now() + timedelta(days=90)
    assert (await staff.data(DUE))["noticeExceptionsDueForReview"] == []
    async with container.db.reader() as s:
        actions = set((await s.scalars(select(AuditEvent.action))).all())
    assert {"notice_exception.recorded", "notice_exception.confirmed"} <= actions


EXCEPTIONS = """query($id: ID!) { request(id: $id) { noticeExceptions {
  id kind reference endsOn justification liftedAt reviewDueAt } } }"""


async def test_the_request_lists_every_exception_lifted_ones_too_and_only_to_staff(
    account, world, clock
):
    agency = await world.agency_actor("DE")
    request_id = (await agency.submit(targets=TARGET))["id"]
    staff = await world.staff_actor()
    assert (await staff.data(EXCEPTIONS, {"id": request_id}))["request"]["noticeExceptions"] == []
    first = (await record(staff, request_id))["exception"]
    clock.advance(timedelta(minutes=5))
    await staff.fetch_token()
    second = (await record(staff, request_id, kind="COURT_ORDER_OR_LAW", reference="GAG-7"))[
        "exception"
    ]
    await staff.data(LIFT, {"i": {"exceptionId": first["id"], "justification": "risk gone"}})

    listed = (await staff.data(EXCEPTIONS, {"id": request_id}))["request"]["noticeExceptions"]
    assert [e["id"] for e in listed] == [first["id"], second["id"]]  # oldest first
    assert listed[0]["kind"] == "RISK_OF_HARM" and listed[0]["liftedAt"] is not None
    assert listed[1]["reference"] == "GAG-7" and listed[1]["liftedAt"] is None
    assert listed[1]["reviewDueAt"] is not None
    # the agency that asked never learns that its target's notice is held back, nor why
    r = await agency.gql(EXCEPTIONS, {"id": request_id})
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "GAG-7" not in r.text and "risk" not in r.text
