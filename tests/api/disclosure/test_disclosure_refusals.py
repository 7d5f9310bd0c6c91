"""Releasing refused, on SQLite and PostgreSQL: before approval, twice, by an agency, or of a
request the reviewer rejected; a refused release stores no disclosure.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.api.disclosure.support import REQUEST_FIELDS, SUSPECT_TARGETS, UserData
from tests.helpers import Flow, mutation
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    Disclosure,
)

# --- refusals -------------------------------------------------------------------------------------


async def disclosure_count(container: Container) -> int:
    async with container.db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(Disclosure)) or 0)


async def test_release_is_refused_twice_before_approval_and_for_an_agency(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    # from IN_REVIEW
    req = await flow.submit(targets=SUSPECT_TARGETS)
    await flow.ok(flow.staff, "startReview", requestId=req["id"])
    errors = await flow.refused(flow.staff, "releaseDisclosure", requestId=req["id"])
    assert {e["code"] for e in errors} == {"INVALID_TRANSITION"}
    assert "IN_REVIEW" in errors[0]["message"]
    assert (await flow.read(req["id"]))["status"] == "IN_REVIEW"
    assert await disclosure_count(container) == 0

    # by the agency itself
    approved = await flow.approved_request(SUSPECT_TARGETS)
    flow.clock.advance(timedelta(seconds=1))
    r = await flow.agency.gql(
        mutation("releaseDisclosure", REQUEST_FIELDS), {"input": {"requestId": approved["id"]}}
    )
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert (body.get("data") or {}).get("releaseDisclosure") is None
    assert (await flow.read(approved["id"]))["status"] == "APPROVED"
    assert await disclosure_count(container) == 0

    # twice
    first = await flow.ok(flow.staff, "releaseDisclosure", requestId=approved["id"])
    assert first["status"] == "DISCLOSED"
    errors = await flow.refused(flow.staff, "releaseDisclosure", requestId=approved["id"])
    assert {e["code"] for e in errors} == {"INVALID_TRANSITION"}
    after = await flow.read(approved["id"])
    assert after["disclosure"] == first["disclosure"]
    assert after["version"] == first["version"]
    assert await disclosure_count(container) == 1


async def test_releasing_a_request_the_reviewer_rejected_is_refused(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    reject = {"outcome": "REJECT", "reasonCode": "NO_LEGAL_BASIS", "explanation": "No warrant."}
    req = await flow.approved_request([SUSPECT_TARGETS[1]], decide={"C6N1234567/B": reject})
    assert req["status"] == "REJECTED"
    errors = await flow.refused(flow.staff, "releaseDisclosure", requestId=req["id"])
    assert {e["code"] for e in errors} == {"INVALID_TRANSITION"}
    assert await disclosure_count(container) == 0
