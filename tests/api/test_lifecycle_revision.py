"""The agency revises and withdraws over GraphQL, on SQLite and PostgreSQL: a revision is a new
request that supersedes the old one, a retried revision returns the same one, and withdrawing
records the reason in the thread.
"""

from __future__ import annotations

import pytest

from tests.api.lifecycle_helpers import approve, non_approval
from tests.helpers import Flow, request_count, submission
from trustcenter.bootstrap import Container

# --- revise and withdraw --------------------------------------------------------------------


async def test_a_revision_is_a_new_request_and_the_old_one_is_superseded(
    flow: Flow, container: Container
) -> None:
    old = await flow.in_review()
    count = await request_count(container)
    revised = await flow.ok(
        flow.agency,
        "reviseRequest",
        requestId=old["id"],
        revision=submission(reason="Narrowed to the account only."),
    )
    assert revised["id"] != old["id"]
    assert revised["status"] == "RECEIVED" and revised["version"] == 1
    assert revised["revisionOf"] == {"id": old["id"]}
    assert await request_count(container) == count + 1

    seen_old = await flow.read(old["id"], flow.agency)
    assert seen_old["status"] == "SUPERSEDED" and seen_old["nextOperations"] == []
    seen_new = await flow.read(revised["id"], flow.agency)
    assert seen_new["revisionOf"] == {"id": old["id"]}
    assert all(i["outcome"] is None for i in seen_new["items"])

    # a superseded request can be neither revised again nor withdrawn nor reviewed
    before = await flow.read(old["id"])
    await flow.refused(
        flow.agency,
        "reviseRequest",
        "INVALID_TRANSITION",
        requestId=old["id"],
        revision=submission(),
    )
    await flow.refused(flow.agency, "withdrawRequest", "INVALID_TRANSITION", requestId=old["id"])
    await flow.refused(flow.staff, "startReview", "INVALID_TRANSITION", requestId=old["id"])
    assert await flow.read(old["id"]) == before
    assert await request_count(container) == count + 1
    # the revision goes through the lifecycle on its own
    started = await flow.ok(flow.staff, "startReview", requestId=revised["id"])
    assert started["status"] == "IN_REVIEW"


async def test_a_retried_revision_returns_the_same_revision(
    flow: Flow, container: Container
) -> None:
    old = await flow.in_review()
    revision = submission(idempotencyKey="revise-1", reason="Narrowed to January.")
    first = await flow.ok(flow.agency, "reviseRequest", requestId=old["id"], revision=revision)
    count = await request_count(container)
    again = await flow.ok(flow.agency, "reviseRequest", requestId=old["id"], revision=revision)
    assert again["id"] == first["id"] and again["revisionOf"] == {"id": old["id"]}
    assert await request_count(container) == count
    assert (await flow.read(old["id"]))["status"] == "SUPERSEDED"


async def test_a_closed_request_cannot_be_revised(flow: Flow, container: Container) -> None:
    req = await flow.in_review()
    await flow.decide(req, *[non_approval(i, "REJECT") for i in req["items"]])
    await flow.ok(flow.staff, "closeRequest", requestId=req["id"])
    before = await flow.read(req["id"])
    count = await request_count(container)
    await flow.refused(
        flow.agency,
        "reviseRequest",
        "INVALID_TRANSITION",
        requestId=req["id"],
        revision=submission(),
    )
    assert await flow.read(req["id"]) == before
    assert await request_count(container) == count


async def test_an_invalid_revision_leaves_the_old_request_alone(
    flow: Flow, container: Container
) -> None:
    old = await flow.in_review()
    count = await request_count(container)
    payload = await flow.call(
        flow.agency, "reviseRequest", requestId=old["id"], revision=submission(targets=[])
    )
    assert payload["request"] is None and payload["userErrors"]
    assert await flow.read(old["id"]) == old
    assert await request_count(container) == count


async def test_withdrawing_records_the_reason_in_the_thread(flow: Flow) -> None:
    req = await flow.in_review()
    withdrawn = await flow.ok(
        flow.agency, "withdrawRequest", requestId=req["id"], reason="  Suspect identified.  "
    )
    assert withdrawn["status"] == "WITHDRAWN"
    for actor in (flow.agency, flow.staff):
        seen = await flow.read(req["id"], actor)
        assert seen["status"] == "WITHDRAWN" and seen["nextOperations"] == []
        assert [m["author"] for m in seen["messages"]] == ["AGENCY"]
        assert "Suspect identified." in seen["messages"][0]["body"]
    before = await flow.read(req["id"])
    await flow.refused(flow.agency, "withdrawRequest", "INVALID_TRANSITION", requestId=req["id"])
    await flow.refused(flow.staff, "startReview", "INVALID_TRANSITION", requestId=req["id"])
    assert await flow.read(req["id"]) == before


@pytest.mark.parametrize("outcome", ["OBJECT", "REJECT", "APPROVE"])
async def test_a_decided_request_can_still_be_withdrawn_before_disclosure(
    flow: Flow, outcome: str
) -> None:
    req = await flow.in_review()
    decisions = [
        approve(i) if outcome == "APPROVE" else non_approval(i, outcome) for i in req["items"]
    ]
    await flow.decide(req, *decisions)
    done = await flow.ok(flow.agency, "withdrawRequest", requestId=req["id"])
    assert done["status"] == "WITHDRAWN"
    assert (await flow.read(req["id"]))["messages"] == []  # no reason given, no message
