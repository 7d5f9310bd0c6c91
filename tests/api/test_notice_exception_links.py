"""A dated exception can be lifted from the request's page: the exceptions due for review and the
exception holding a notice back name their request and carry the id the lift mutation takes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import RELEASE, Actor, World, approve_all
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Account

RECORD = """mutation($i: RecordNoticeExceptionInput!) { recordNoticeException(input: $i) {
  exception { id requestId } userErrors { field code message } } }"""
LIFT = """mutation($i: ChangeNoticeExceptionInput!) { liftNoticeException(input: $i) {
  exception { id liftedAt } userErrors { field code message } } }"""
DUE = """{ noticeExceptionsDueForReview {
  id kind requestId request { id status notices { status } } } }"""
DUE_IDS = "{ noticeExceptionsDueForReview { id requestId } }"
PAGE = """query($id: ID!) { request(id: $id) { id
  notices { status exception { id kind requestId endsOn } } } }"""
TARGET = [{"identifierType": "EMAIL", "identifier": "user@example.com", "infoTypes": ["A"]}]


@pytest.fixture
async def released(container: Container, world: World) -> tuple[str, Actor]:
    """A released request whose one affected user is owed a notice, and staff to act on it."""
    async with container.db.transaction() as s:
        s.add(
            Account(
                username="user",
                email="user@example.com",
                region="DE",
                registered_at=datetime(2024, 1, 1, tzinfo=UTC),
            )
        )
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=TARGET)
    staff = await world.staff_actor()
    await approve_all(staff, request["id"])
    done = await staff.data(RELEASE, {"i": {"requestId": request["id"]}})
    assert done["releaseDisclosure"]["userErrors"] == []
    return request["id"], staff


async def record(staff: Actor, request_id: str, **fields: Any) -> dict[str, Any]:
    body = {
        "requestId": request_id,
        "kind": "RISK_OF_HARM",
        "justification": "the user may endanger a witness",
        **fields,
    }
    payload = (await staff.data(RECORD, {"i": body}))["recordNoticeException"]
    assert payload["userErrors"] == []
    return payload["exception"]  # type: ignore[no-any-return]


async def lift(staff: Actor, exception_id: str) -> dict[str, Any]:
    body = {"exceptionId": exception_id, "justification": "risk assessed again"}
    return (await staff.data(LIFT, {"i": body}))["liftNoticeException"]  # type: ignore[no-any-return]


async def test_due_exceptions_name_their_request_and_lift_by_the_id_listed(
    released: tuple[str, Actor], clock: FixedClock
) -> None:
    request_id, staff = released
    recorded = await record(staff, request_id)
    assert recorded["requestId"] == request_id
    clock.advance(timedelta(days=91))
    await staff.fetch_token()

    [due] = (await staff.data(DUE))["noticeExceptionsDueForReview"]
    assert due["kind"] == "RISK_OF_HARM"
    assert due["requestId"] == request_id
    assert due["request"] == {
        "id": request_id,
        "status": "DISCLOSED",
        "notices": [{"status": "SUPPRESSED"}],
    }

    lifted = await lift(staff, due["id"])
    assert lifted["userErrors"] == []
    assert lifted["exception"]["id"] == due["id"] and lifted["exception"]["liftedAt"]
    assert (await staff.data(DUE))["noticeExceptionsDueForReview"] == []
    page = (await staff.data(PAGE, {"id": due["requestId"]}))["request"]
    assert page["notices"] == [{"status": "SCHEDULED", "exception": None}]


async def test_the_exception_on_a_notice_lifts_from_the_requests_page(
    released: tuple[str, Actor],
) -> None:
    request_id, staff = released
    recorded = await record(
        staff, request_id, kind="COURT_ORDER_OR_LAW", reference="GAG-7", endsOn="2027-12-31"
    )

    [notice] = (await staff.data(PAGE, {"id": request_id}))["request"]["notices"]
    assert notice["status"] == "SUPPRESSED"
    assert notice["exception"] == {
        "id": recorded["id"],
        "kind": "COURT_ORDER_OR_LAW",
        "requestId": request_id,
        "endsOn": "2027-12-31",
    }

    lifted = await lift(staff, notice["exception"]["id"])
    assert lifted["userErrors"] == []
    [notice] = (await staff.data(PAGE, {"id": request_id}))["request"]["notices"]
    assert notice == {"status": "SCHEDULED", "exception": None}


async def test_notices_staff_see_the_request_id_but_not_the_request(
    released: tuple[str, Actor], world: World, clock: FixedClock
) -> None:
    request_id, staff = released
    await record(staff, request_id)
    clock.advance(timedelta(days=91))
    await staff.fetch_token()
    notices_only = await world.staff_actor(["notices"])

    assert (await notices_only.data(DUE_IDS))["noticeExceptionsDueForReview"] == [
        {"id": (await staff.data(DUE_IDS))["noticeExceptionsDueForReview"][0]["id"],
         "requestId": request_id}
    ]  # fmt: skip
    r = await notices_only.gql(DUE)
    body = r.json()
    assert r.status_code == 200
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    [due] = body["data"]["noticeExceptionsDueForReview"]
    assert due["requestId"] == request_id and due["request"] is None
