"""Lifecycle operations refused over GraphQL, on SQLite and PostgreSQL: stale and future versions,
the wrong state, a missing message; each refusal names why and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.lifecycle_helpers import approve, items, non_approval
from tests.helpers import Actor, Flow, World, submission


async def test_a_stale_version_is_a_conflict_and_overwrites_nothing(
    flow: Flow, world: World
) -> None:
    req = await flow.in_review()
    by_type = items(req)
    second_reviewer = await world.staff_actor(["review"])
    # Both reviewers read version v; the first one decides.
    await flow.decide(req, non_approval(by_type["A"], "REJECT", "OVERBROAD", "Too broad."))
    after_first = await flow.read(req["id"])
    errors = await flow.refused(
        second_reviewer,
        "decideRequest",
        "CONFLICT",
        requestId=req["id"],
        version=req["version"],
        decisions=[approve(by_type["A"]), approve(by_type["B"]), approve(by_type["C"])],
    )
    assert errors[0]["field"] == "version"
    now = await flow.read(req["id"])
    assert now == after_first
    assert now["version"] == req["version"] + 1
    assert items(now)["A"]["outcome"] == "REJECT" and items(now)["B"]["outcome"] is None
    assert now["status"] == "IN_REVIEW"


async def test_a_future_version_is_a_conflict_too(flow: Flow) -> None:
    req = await flow.in_review()
    await flow.refused(
        flow.staff,
        "decideRequest",
        "CONFLICT",
        requestId=req["id"],
        version=req["version"] + 1,
        decisions=[approve(items(req)["A"])],
    )
    assert await flow.read(req["id"]) == req


async def test_start_review_and_close_check_the_version_when_given(flow: Flow) -> None:
    req = await flow.submit()
    errors = await flow.refused(
        flow.staff, "startReview", "CONFLICT", requestId=req["id"], version=7
    )
    assert errors[0]["field"] == "version"
    assert (await flow.read(req["id"]))["status"] == "RECEIVED"
    await flow.ok(flow.staff, "startReview", requestId=req["id"], version=1)
    current = await flow.read(req["id"])
    objected = await flow.decide(current, *[non_approval(i, "OBJECT") for i in current["items"]])
    errors = await flow.refused(
        flow.staff, "closeRequest", "CONFLICT", requestId=req["id"], version=current["version"]
    )
    assert errors[0]["field"] == "version"
    assert (await flow.read(req["id"]))["status"] == "OBJECTED"
    closed = await flow.ok(
        flow.staff, "closeRequest", requestId=req["id"], version=objected["version"]
    )
    assert closed["status"] == "CLOSED"


async def test_ask_clarification_checks_the_version_when_given(flow: Flow) -> None:
    req = await flow.in_review()
    errors = await flow.refused(
        flow.staff,
        "askClarification",
        "CONFLICT",
        requestId=req["id"],
        message="Which months?",
        version=req["version"] - 1,
    )
    assert errors[0]["field"] == "version"
    assert await flow.read(req["id"]) == req


async def test_decisions_outside_review_are_invalid_transitions(flow: Flow) -> None:
    req = await flow.submit()
    received = await flow.read(req["id"])
    decisions = [approve(i) for i in received["items"]]
    await flow.refused(
        flow.staff,
        "decideRequest",
        "INVALID_TRANSITION",
        requestId=req["id"],
        version=received["version"],
        decisions=decisions,
    )
    assert await flow.read(req["id"]) == received

    await flow.ok(flow.staff, "startReview", requestId=req["id"])
    await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Why?")
    waiting = await flow.read(req["id"])
    await flow.refused(
        flow.staff,
        "decideRequest",
        "INVALID_TRANSITION",
        requestId=req["id"],
        version=waiting["version"],
        decisions=decisions,
    )
    assert await flow.read(req["id"]) == waiting

    await flow.ok(flow.agency, "answerClarification", requestId=req["id"], message="Because.")
    decided = await flow.decide(await flow.read(req["id"]), *decisions)
    assert decided["status"] == "APPROVED"
    approved = await flow.read(req["id"])
    await flow.refused(
        flow.staff,
        "decideRequest",
        "INVALID_TRANSITION",
        requestId=req["id"],
        version=approved["version"],
        decisions=[non_approval(items(approved)["A"], "REJECT")],
    )
    assert await flow.read(req["id"]) == approved


# --- operations from a state that does not allow them ---------------------------------------


async def test_operations_from_the_wrong_state_are_refused_and_change_nothing(
    flow: Flow,
) -> None:
    agency, staff = flow.agency, flow.staff
    req = await flow.submit()
    rid = req["id"]

    async def refused(actor: Actor, name: str, **input: Any) -> None:
        before = await flow.read(rid)
        errors = await flow.refused(actor, name, "INVALID_TRANSITION", requestId=rid, **input)
        assert errors[0]["field"] == "requestId"
        assert before["status"] in errors[0]["message"]
        assert await flow.read(rid) == before

    # RECEIVED
    await refused(agency, "answerClarification", message="Nobody asked.")
    await refused(staff, "askClarification", message="Too early.")
    await refused(staff, "closeRequest")
    await flow.ok(staff, "startReview", requestId=rid)
    # IN_REVIEW
    await refused(staff, "startReview")
    await refused(staff, "closeRequest")
    await refused(agency, "answerClarification", message="Nobody asked.")
    await flow.ok(staff, "askClarification", requestId=rid, message="Which months?")
    # CLARIFICATION_REQUESTED
    await refused(staff, "askClarification", message="Again?")
    await refused(staff, "startReview")
    await flow.ok(agency, "answerClarification", requestId=rid, message="January.")
    current = await flow.read(rid)
    await flow.decide(current, *[non_approval(i, "OBJECT") for i in current["items"]])
    # OBJECTED
    await refused(staff, "startReview")
    await refused(agency, "answerClarification", message="Late answer.")
    await flow.ok(staff, "closeRequest", requestId=rid)
    # CLOSED
    await refused(agency, "withdrawRequest", reason="Changed our mind.")
    await refused(staff, "closeRequest")
    await refused(staff, "startReview")
    await refused(agency, "reviseRequest", revision=submission())


async def test_the_refusal_names_the_current_state(flow: Flow) -> None:
    req = await flow.in_review()
    errors = await flow.refused(
        flow.staff, "startReview", "INVALID_TRANSITION", requestId=req["id"]
    )
    assert "IN_REVIEW" in errors[0]["message"]


async def test_closing_an_approved_request_before_disclosure_is_refused(flow: Flow) -> None:
    req = await flow.in_review()
    await flow.decide(req, *[approve(i) for i in req["items"]])
    approved = await flow.read(req["id"])
    assert approved["status"] == "APPROVED"
    await flow.refused(flow.staff, "closeRequest", "INVALID_TRANSITION", requestId=req["id"])
    assert await flow.read(req["id"]) == approved


@pytest.mark.parametrize("outcome", ["OBJECT", "REJECT"])
async def test_objected_and_rejected_requests_can_be_closed(flow: Flow, outcome: str) -> None:
    req = await flow.in_review()
    decided = await flow.decide(req, *[non_approval(i, outcome) for i in req["items"]])
    closed = await flow.ok(
        flow.staff, "closeRequest", requestId=req["id"], version=decided["version"]
    )
    assert closed["status"] == "CLOSED"
    seen = await flow.read(req["id"], flow.agency)
    assert seen["status"] == "CLOSED" and seen["nextOperations"] == []


async def test_answering_needs_a_message(flow: Flow) -> None:
    req = await flow.in_review()
    await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Which months?")
    before = await flow.read(req["id"])
    errors = await flow.refused(
        flow.agency, "answerClarification", "INVALID_INPUT", requestId=req["id"], message="  "
    )
    assert errors[0]["field"] == "message"
    assert await flow.read(req["id"]) == before
    errors = await flow.refused(
        flow.agency,
        "answerClarification",
        "INVALID_INPUT",
        requestId=req["id"],
        message="x" * 4001,
    )
    assert errors[0]["field"] == "message"
    assert await flow.read(req["id"]) == before
    errors = await flow.refused(
        flow.staff, "askClarification", "INVALID_INPUT", requestId=req["id"], message=""
    )
    assert errors[0]["field"] == "message"


async def test_refusals_read_as_english(flow: Flow) -> None:
    req = await flow.submit()
    errors = await flow.refused(
        flow.staff, "askClarification", "INVALID_TRANSITION", requestId=req["id"], message="?"
    )
    assert errors[0]["message"].startswith(
        "cannot ask for clarification on a request that is RECEIVED"
    )
    await flow.ok(flow.agency, "withdrawRequest", requestId=req["id"])
    errors = await flow.refused(
        flow.agency,
        "reviseRequest",
        "INVALID_TRANSITION",
        requestId=req["id"],
        revision=submission(),
    )
    assert errors[0]["message"].startswith("cannot revise a request that is WITHDRAWN")
