"""The request lifecycle over GraphQL (SPEC sections 3 and 4), on SQLite and PostgreSQL.

startReview, askClarification / answerClarification, decideRequest, reviseRequest,
withdrawRequest and closeRequest, as the agency and the reviewers see them: what each does,
when it is refused (wrong state, stale version, bad decision, missing scope, someone else's
request), and that a refusal changes nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry.relay import to_base64

from tests.conftest import START
from tests.helpers import Actor, World, submission
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Account, PremiumSubscription, Request

INPUT_TYPES = {
    "startReview": "StartReviewInput",
    "askClarification": "AskClarificationInput",
    "answerClarification": "AnswerClarificationInput",
    "decideRequest": "DecideRequestInput",
    "reviseRequest": "ReviseRequestInput",
    "withdrawRequest": "WithdrawRequestInput",
    "closeRequest": "CloseRequestInput",
}

READ = """
query($id: ID!) { request(id: $id) {
  id status version nextOperations
  revisionOf { id }
  items { id infoType from to outcome reasonCode explanation
          approvedFrom approvedTo approvedFields target { identifier } }
  messages { author body }
} }
"""


def mutation(name: str) -> str:
    return (
        f"mutation($input: {INPUT_TYPES[name]}!) {{ {name}(input: $input) {{ "
        "request { id status version revisionOf { id } "
        "items { id infoType outcome reasonCode explanation } } "
        "userErrors { field message code } } }"
    )


def missing_request_id() -> str:
    return to_base64("Request", uuid.uuid4())


class Flow:
    """An agency and a reviewer (all staff scopes) moving requests through the lifecycle.

    The clock moves one second before every change, as a real one would, so the thread reads
    in the order things were said."""

    def __init__(self, world: World, clock: FixedClock, agency: Actor, staff: Actor) -> None:
        self.world = world
        self.clock = clock
        self.agency = agency
        self.staff = staff

    async def call(self, actor: Actor, name: str, **input: Any) -> dict[str, Any]:
        """The payload; any GraphQL-level error fails the test."""
        self.clock.advance(timedelta(seconds=1))
        return (await actor.data(mutation(name), {"input": input}))[name]  # type: ignore[no-any-return]

    async def ok(self, actor: Actor, name: str, **input: Any) -> dict[str, Any]:
        payload = await self.call(actor, name, **input)
        assert payload["userErrors"] == [], payload
        assert payload["request"] is not None
        return payload["request"]  # type: ignore[no-any-return]

    async def refused(
        self, actor: Actor, name: str, code: str, **input: Any
    ) -> list[dict[str, Any]]:
        payload = await self.call(actor, name, **input)
        assert payload["request"] is None, payload
        errors = payload["userErrors"]
        assert errors, payload
        assert {e["code"] for e in errors} == {code}, errors
        return errors  # type: ignore[no-any-return]

    async def forbidden(self, actor: Actor, name: str, **input: Any) -> None:
        self.clock.advance(timedelta(seconds=1))
        r = await actor.gql(mutation(name), {"input": input})
        body = r.json()
        assert body.get("errors"), body
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert (body.get("data") or {}).get(name) is None

    async def read(self, rid: str, actor: Actor | None = None) -> dict[str, Any]:
        data = await (actor or self.staff).data(READ, {"id": rid})
        assert data["request"] is not None
        return data["request"]  # type: ignore[no-any-return]

    async def submit(self, actor: Actor | None = None, **changes: Any) -> dict[str, Any]:
        self.clock.advance(timedelta(seconds=1))
        return await (actor or self.agency).submit(**changes)

    async def in_review(self, **changes: Any) -> dict[str, Any]:
        """A freshly submitted request, taken into review; as the reviewer reads it."""
        req = await self.submit(**changes)
        await self.ok(self.staff, "startReview", requestId=req["id"])
        return await self.read(req["id"])

    async def decide(
        self, req: dict[str, Any], *decisions: dict[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        return await self.ok(
            self.staff,
            "decideRequest",
            requestId=req["id"],
            version=req["version"] if version is None else version,
            decisions=list(decisions),
        )


@pytest.fixture
async def flow(world: World, clock: FixedClock) -> Flow:
    return Flow(world, clock, await world.agency_actor("DE"), await world.staff_actor())


def items(req: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Items by information type (the default submission asks A and C of an e-mail, B of a
    serial number: one item per type)."""
    return {i["infoType"]: i for i in req["items"]}


def approve(item: dict[str, Any]) -> dict[str, Any]:
    return {"itemId": item["id"], "outcome": "APPROVE"}


def non_approval(
    item: dict[str, Any], outcome: str, code: str = "OVERBROAD", why: str | None = None
) -> dict[str, Any]:
    return {
        "itemId": item["id"],
        "outcome": outcome,
        "reasonCode": code,
        "explanation": why or f"{outcome.lower()}: {code.lower()} for {item['infoType']}",
    }


async def request_count(container: Container) -> int:
    async with container.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Request)) or 0)


# --- the whole path -------------------------------------------------------------------------


async def test_submit_review_clarify_answer_and_decide_partially(flow: Flow) -> None:
    agency, staff = flow.agency, flow.staff
    req = await flow.submit()
    assert req["status"] == "RECEIVED" and req["version"] == 1

    started = await flow.ok(staff, "startReview", requestId=req["id"], version=1)
    assert started["status"] == "IN_REVIEW" and started["version"] == 2

    asked = await flow.ok(
        staff, "askClarification", requestId=req["id"], message="  Which months exactly?  "
    )
    assert asked["status"] == "CLARIFICATION_REQUESTED"

    seen = await flow.read(req["id"], agency)
    assert seen["status"] == "CLARIFICATION_REQUESTED"
    assert seen["messages"] == [{"author": "STAFF", "body": "Which months exactly?"}]
    assert "ANSWER_CLARIFICATION" in seen["nextOperations"]

    answered = await flow.ok(
        agency, "answerClarification", requestId=req["id"], message="January to June 2026."
    )
    assert answered["status"] == "IN_REVIEW"
    thread = [
        {"author": "STAFF", "body": "Which months exactly?"},
        {"author": "AGENCY", "body": "January to June 2026."},
    ]
    assert (await flow.read(req["id"], staff))["messages"] == thread
    assert (await flow.read(req["id"], agency))["messages"] == thread

    current = await flow.read(req["id"])
    by_type = items(current)
    decided = await flow.decide(
        current,
        approve(by_type["A"]),
        non_approval(by_type["C"], "REJECT", "OVERBROAD", "Six months of logins is too broad."),
        non_approval(by_type["B"], "OBJECT", "THIRD_PARTY_HARM", "The device is shared."),
    )
    assert decided["status"] == "PARTIALLY_APPROVED"
    assert decided["version"] == current["version"] + 1

    outcome = await flow.read(req["id"], agency)
    assert outcome["status"] == "PARTIALLY_APPROVED"
    got = {
        i["infoType"]: (i["outcome"], i["reasonCode"], i["explanation"]) for i in outcome["items"]
    }
    assert got == {
        "A": ("APPROVE", None, None),
        "C": ("REJECT", "OVERBROAD", "Six months of logins is too broad."),
        "B": ("OBJECT", "THIRD_PARTY_HARM", "The device is shared."),
    }


@pytest.mark.parametrize(
    ("outcomes", "status"),
    [
        ({"A": "APPROVE", "B": "APPROVE", "C": "APPROVE"}, "APPROVED"),
        ({"A": "OBJECT", "B": "OBJECT", "C": "OBJECT"}, "OBJECTED"),
        ({"A": "REJECT", "B": "REJECT", "C": "REJECT"}, "REJECTED"),
        ({"A": "OBJECT", "B": "REJECT", "C": "REJECT"}, "OBJECTED"),
        ({"A": "APPROVE", "B": "APPROVE", "C": "NARROW"}, "PARTIALLY_APPROVED"),
        ({"A": "APPROVE", "B": "OBJECT", "C": "APPROVE"}, "PARTIALLY_APPROVED"),
    ],
)
async def test_status_follows_from_the_items(
    flow: Flow, outcomes: dict[str, str], status: str
) -> None:
    req = await flow.in_review()
    decisions = []
    for kind, item in items(req).items():
        outcome = outcomes[kind]
        if outcome == "APPROVE":
            decisions.append(approve(item))
        elif outcome == "NARROW":
            decisions.append(
                {
                    "itemId": item["id"],
                    "outcome": "NARROW",
                    "reasonCode": "OVERBROAD",
                    "from": "2026-03-01",
                }
            )
        else:
            decisions.append(non_approval(item, outcome))
    decided = await flow.decide(req, *decisions)
    assert decided["status"] == status
    seen = await flow.read(req["id"], flow.agency)
    assert seen["status"] == status
    assert {i["infoType"]: i["outcome"] for i in seen["items"]} == outcomes


async def test_partial_decisions_keep_the_request_in_review(flow: Flow) -> None:
    req = await flow.in_review()
    by_type = items(req)
    first = await flow.decide(req, approve(by_type["A"]))
    assert first["status"] == "IN_REVIEW" and first["version"] == req["version"] + 1
    assert {i["infoType"]: i["outcome"] for i in first["items"]} == {
        "A": "APPROVE",
        "B": None,
        "C": None,
    }
    second = await flow.decide(first, non_approval(by_type["B"], "REJECT", "NOT_HELD"))
    assert second["status"] == "IN_REVIEW"
    third = await flow.decide(second, approve(by_type["C"]))
    assert third["status"] == "PARTIALLY_APPROVED"
    assert {i["infoType"]: i["outcome"] for i in third["items"]} == {
        "A": "APPROVE",
        "B": "REJECT",
        "C": "APPROVE",
    }


async def test_decisions_may_be_changed_until_every_item_is_decided(flow: Flow) -> None:
    req = await flow.in_review()
    by_type = items(req)
    first = await flow.decide(
        req,
        non_approval(by_type["A"], "REJECT", "OVERBROAD", "Too broad."),
        {
            "itemId": by_type["C"]["id"],
            "outcome": "NARROW",
            "reasonCode": "OVERBROAD",
            "from": "2026-03-01",
            "to": "2026-03-31",
        },
    )
    assert first["status"] == "IN_REVIEW"
    await flow.decide(first, approve(by_type["A"]), approve(by_type["C"]))
    seen = await flow.read(req["id"], flow.agency)
    a, c = items(seen)["A"], items(seen)["C"]
    # nothing of the earlier decisions lingers for the agency to read
    assert (a["outcome"], a["reasonCode"], a["explanation"]) == ("APPROVE", None, None)
    assert (c["outcome"], c["approvedFrom"], c["approvedTo"]) == ("APPROVE", None, None)
    assert seen["status"] == "IN_REVIEW"


async def test_a_question_waits_until_every_item_is_decided(flow: Flow) -> None:
    req = await flow.in_review()
    by_type = items(req)
    partial = await flow.decide(
        req, non_approval(by_type["A"], "QUESTION", "UNCLEAR", "Which account?")
    )
    assert partial["status"] == "IN_REVIEW"
    assert (await flow.read(req["id"], flow.agency))["messages"] == []
    done = await flow.decide(partial, approve(by_type["B"]), approve(by_type["C"]))
    assert done["status"] == "CLARIFICATION_REQUESTED"
    seen = await flow.read(req["id"], flow.agency)
    assert seen["messages"] == [{"author": "STAFF", "body": "Which account?"}]


async def test_concurrent_reviewers_never_overwrite_each_other(flow: Flow, world: World) -> None:
    req = await flow.in_review()
    other = await world.staff_actor(["review"])
    approve_all = [approve(i) for i in req["items"]]
    reject_all = [non_approval(i, "REJECT") for i in req["items"]]
    payloads = await asyncio.gather(
        flow.call(
            flow.staff,
            "decideRequest",
            requestId=req["id"],
            version=req["version"],
            decisions=approve_all,
        ),
        flow.call(
            other,
            "decideRequest",
            requestId=req["id"],
            version=req["version"],
            decisions=reject_all,
        ),
    )
    winners = [p for p in payloads if p["request"] is not None]
    losers = [p for p in payloads if p["request"] is None]
    assert len(winners) == 1 and len(losers) == 1, payloads
    assert [e["code"] for e in losers[0]["userErrors"]] == ["CONFLICT"]
    seen = await flow.read(req["id"])
    assert seen["status"] == winners[0]["request"]["status"]
    assert seen["version"] == req["version"] + 1
    assert len({i["outcome"] for i in seen["items"]}) == 1  # all from the same reviewer


async def test_a_question_asks_the_agency_and_its_answer_reopens_the_questioned_items(
    flow: Flow,
) -> None:
    req = await flow.in_review()
    by_type = items(req)
    decided = await flow.decide(
        req,
        approve(by_type["A"]),
        non_approval(by_type["C"], "QUESTION", "UNCLEAR", "Which IP addresses do you mean?"),
        non_approval(by_type["B"], "REJECT", "NOT_HELD", "We hold no such device."),
    )
    assert decided["status"] == "CLARIFICATION_REQUESTED"
    seen = await flow.read(req["id"], flow.agency)
    assert seen["messages"] == [{"author": "STAFF", "body": "Which IP addresses do you mean?"}]
    assert items(seen)["C"]["outcome"] == "QUESTION"
    assert items(seen)["C"]["reasonCode"] == "UNCLEAR"

    await flow.ok(
        flow.agency, "answerClarification", requestId=req["id"], message="Those of the logins."
    )
    after = await flow.read(req["id"])
    assert after["status"] == "IN_REVIEW"
    got = {i["infoType"]: (i["outcome"], i["reasonCode"], i["explanation"]) for i in after["items"]}
    assert got == {
        "A": ("APPROVE", None, None),
        "B": ("REJECT", "NOT_HELD", "We hold no such device."),
        "C": (None, None, None),
    }
    done = await flow.decide(after, approve(by_type["C"]))
    assert done["status"] == "PARTIALLY_APPROVED"


async def test_several_questions_are_posted_as_one_message(flow: Flow) -> None:
    req = await flow.in_review()
    by_type = items(req)
    await flow.decide(
        req,
        non_approval(by_type["A"], "QUESTION", "UNCLEAR", "Which account?"),
        non_approval(by_type["B"], "QUESTION", "UNCLEAR", "Which device?"),
        approve(by_type["C"]),
    )
    seen = await flow.read(req["id"], flow.agency)
    assert seen["status"] == "CLARIFICATION_REQUESTED"
    assert len(seen["messages"]) == 1
    body = seen["messages"][0]["body"]
    assert "Which account?" in body and "Which device?" in body


# --- decisions that are refused -------------------------------------------------------------


async def test_narrow_with_a_shorter_range_and_fewer_fields_is_stored(flow: Flow) -> None:
    req = await flow.in_review()
    by_type = items(req)
    await flow.decide(
        req,
        {
            "itemId": by_type["C"]["id"],
            "outcome": "NARROW",
            "reasonCode": "OVERBROAD",
            "from": "2026-02-01",
            "to": "2026-03-31",
            "fields": ["occurred_at", "ip_address"],
        },
        {
            "itemId": by_type["A"]["id"],
            "outcome": "NARROW",
            "reasonCode": "OVERBROAD",
            "fields": ["email"],
        },
        approve(by_type["B"]),
    )
    seen = await flow.read(req["id"], flow.agency)
    assert seen["status"] == "PARTIALLY_APPROVED"
    c, a = items(seen)["C"], items(seen)["A"]
    assert (c["outcome"], c["approvedFrom"], c["approvedTo"]) == (
        "NARROW",
        "2026-02-01",
        "2026-03-31",
    )
    assert c["approvedFields"] == ["occurred_at", "ip_address"]
    assert (a["outcome"], a["approvedFields"], a["approvedFrom"]) == ("NARROW", ["email"], None)


@pytest.mark.parametrize(
    ("decision", "field", "code"),
    [
        ({"outcome": "NARROW", "reasonCode": "OVERBROAD"}, "decisions[0]", "INVALID_INPUT"),
        (
            {"outcome": "NARROW", "fields": ["ip_address"]},
            "decisions[0].reasonCode",
            "INVALID_INPUT",
        ),
        (
            {"outcome": "NARROW", "reasonCode": "BECAUSE", "fields": ["ip_address"]},
            "decisions[0].reasonCode",
            "UNKNOWN_REASON_CODE",
        ),
        (
            {"outcome": "NARROW", "reasonCode": "OVERBROAD", "from": "2025-12-01"},
            "decisions[0]",
            "INVALID_TIME_RANGE",
        ),
        (
            {"outcome": "NARROW", "reasonCode": "OVERBROAD", "to": "2026-07-31"},
            "decisions[0]",
            "INVALID_TIME_RANGE",
        ),
        (
            {
                "outcome": "NARROW",
                "reasonCode": "OVERBROAD",
                "from": "2026-05-01",
                "to": "2026-03-01",
            },
            "decisions[0].to",
            "INVALID_TIME_RANGE",
        ),
        (
            {"outcome": "NARROW", "reasonCode": "OVERBROAD", "fields": ["password"]},
            "decisions[0].fields",
            "INVALID_INPUT",
        ),
        (
            {"outcome": "NARROW", "reasonCode": "OVERBROAD", "fields": ["payment_method"]},
            "decisions[0].fields",
            "INVALID_INPUT",
        ),
        (
            {"outcome": "NARROW", "reasonCode": "OVERBROAD", "fields": []},
            "decisions[0].fields",
            "INVALID_INPUT",
        ),
        ({"outcome": "APPROVE", "from": "2026-02-01"}, "decisions[0]", "INVALID_INPUT"),
        ({"outcome": "APPROVE", "fields": ["ip_address"]}, "decisions[0]", "INVALID_INPUT"),
    ],
)
async def test_bad_narrowing_is_refused_and_changes_nothing(
    flow: Flow, decision: dict[str, Any], field: str, code: str
) -> None:
    req = await flow.in_review()
    c = items(req)["C"]  # C asks 2026-01-01 .. 2026-06-30
    errors = await flow.refused(
        flow.staff,
        "decideRequest",
        code,
        requestId=req["id"],
        version=req["version"],
        decisions=[{"itemId": c["id"], **decision}],
    )
    assert [e["field"] for e in errors] == [field]
    assert await flow.read(req["id"]) == req


async def test_the_unknown_field_is_named(flow: Flow) -> None:
    req = await flow.in_review()
    errors = await flow.refused(
        flow.staff,
        "decideRequest",
        "INVALID_INPUT",
        requestId=req["id"],
        version=req["version"],
        decisions=[
            {
                "itemId": items(req)["A"]["id"],
                "outcome": "NARROW",
                "reasonCode": "OVERBROAD",
                "fields": ["email", "iban"],
            }
        ],
    )
    assert "iban" in errors[0]["message"]
    assert "email" not in errors[0]["message"].split(";")[0]


@pytest.mark.parametrize("outcome", ["QUESTION", "OBJECT", "REJECT"])
async def test_non_approvals_need_a_reason_code_and_an_explanation(
    flow: Flow, outcome: str
) -> None:
    req = await flow.in_review()
    by_type = items(req)
    errors = await flow.refused(
        flow.staff,
        "decideRequest",
        "INVALID_INPUT",
        requestId=req["id"],
        version=req["version"],
        decisions=[
            approve(by_type["A"]),
            {"itemId": by_type["C"]["id"], "outcome": outcome},
            {
                "itemId": by_type["B"]["id"],
                "outcome": outcome,
                "reasonCode": "OVERBROAD",
                "explanation": "   ",
            },
        ],
    )
    assert sorted(e["field"] for e in errors) == [
        "decisions[1].explanation",
        "decisions[1].reasonCode",
        "decisions[2].explanation",
    ]
    assert await flow.read(req["id"]) == req  # not even the valid approval was kept


async def test_an_item_of_another_request_is_refused(flow: Flow) -> None:
    req = await flow.in_review()
    other = await flow.in_review()
    errors = await flow.refused(
        flow.staff,
        "decideRequest",
        "NOT_FOUND",
        requestId=req["id"],
        version=req["version"],
        decisions=[approve(items(req)["A"]), approve(items(other)["A"])],
    )
    assert [e["field"] for e in errors] == ["decisions[1].itemId"]
    assert await flow.read(req["id"]) == req
    assert await flow.read(other["id"]) == other


async def test_an_item_named_twice_or_not_an_item_is_refused(flow: Flow) -> None:
    req = await flow.in_review()
    a = items(req)["A"]
    errors = await flow.refused(
        flow.staff,
        "decideRequest",
        "NOT_FOUND",
        requestId=req["id"],
        version=req["version"],
        decisions=[
            approve(a),
            non_approval(a, "REJECT"),
            {"itemId": req["id"], "outcome": "APPROVE"},  # a request's id, not an item's
        ],
    )
    assert [e["field"] for e in errors] == ["decisions[1].itemId", "decisions[2].itemId"]
    assert await flow.read(req["id"]) == req


async def test_no_decisions_is_refused(flow: Flow) -> None:
    req = await flow.in_review()
    errors = await flow.refused(
        flow.staff,
        "decideRequest",
        "INVALID_INPUT",
        requestId=req["id"],
        version=req["version"],
        decisions=[],
    )
    assert errors[0]["field"] == "decisions"
    assert await flow.read(req["id"]) == req


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


# --- scopes ---------------------------------------------------------------------------------


async def test_agency_tokens_cannot_review_decide_or_close(flow: Flow) -> None:
    req = await flow.in_review()
    rid, agency = req["id"], flow.agency
    await flow.forbidden(agency, "startReview", requestId=rid)
    await flow.forbidden(agency, "askClarification", requestId=rid, message="Self-service?")
    await flow.forbidden(
        agency,
        "decideRequest",
        requestId=rid,
        version=req["version"],
        decisions=[approve(i) for i in req["items"]],
    )
    await flow.forbidden(agency, "closeRequest", requestId=rid)
    assert await flow.read(rid) == req


async def test_staff_cannot_answer_withdraw_or_revise(flow: Flow) -> None:
    req = await flow.in_review()
    rid, staff = req["id"], flow.staff
    await flow.ok(staff, "askClarification", requestId=rid, message="Which months?")
    before = await flow.read(rid)
    count = await request_count(flow.world.container)
    await flow.forbidden(staff, "answerClarification", requestId=rid, message="Answering myself.")
    await flow.forbidden(staff, "withdrawRequest", requestId=rid, reason="Not ours to pull.")
    await flow.forbidden(staff, "reviseRequest", requestId=rid, revision=submission())
    assert await flow.read(rid) == before
    assert await request_count(flow.world.container) == count


async def test_a_reports_only_staff_client_cannot_review(flow: Flow, world: World) -> None:
    req = await flow.in_review()
    reporter = await world.staff_actor(["reports"])
    await flow.forbidden(
        reporter,
        "decideRequest",
        requestId=req["id"],
        version=req["version"],
        decisions=[approve(i) for i in req["items"]],
    )
    await flow.forbidden(reporter, "closeRequest", requestId=req["id"])
    fresh = await flow.submit()
    await flow.forbidden(reporter, "startReview", requestId=fresh["id"])
    assert await flow.read(req["id"]) == req
    assert (await flow.read(fresh["id"]))["status"] == "RECEIVED"


async def test_a_read_only_agency_client_cannot_answer_or_withdraw(
    flow: Flow, world: World
) -> None:
    reader = await world.agency_actor(scopes=["requests:read"], agency_id=flow.agency.agency_id)
    req = await flow.in_review()
    await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Which months?")
    before = await flow.read(req["id"])
    await flow.forbidden(reader, "answerClarification", requestId=req["id"], message="Jan.")
    await flow.forbidden(reader, "withdrawRequest", requestId=req["id"])
    assert await flow.read(req["id"]) == before


async def test_another_agencys_request_is_answered_like_a_missing_one(
    flow: Flow, world: World
) -> None:
    intruder = await world.agency_actor("FR")
    req = await flow.in_review()
    rid = req["id"]
    await flow.ok(flow.staff, "askClarification", requestId=rid, message="Which months?")
    before = await flow.read(rid)
    count = await request_count(flow.world.container)

    for name, extra in [
        ("answerClarification", {"message": "Not my request."}),
        ("withdrawRequest", {"reason": "Not my request."}),
        ("reviseRequest", {"revision": submission(jurisdiction="FR")}),
    ]:
        theirs = await flow.refused(intruder, name, "NOT_FOUND", requestId=rid, **extra)
        missing = await flow.refused(
            intruder, name, "NOT_FOUND", requestId=missing_request_id(), **extra
        )
        assert theirs == missing, name
        assert theirs[0]["field"] == "requestId"

    assert await flow.read(rid) == before
    assert await request_count(flow.world.container) == count
    # and the owner still can
    await flow.ok(flow.agency, "answerClarification", requestId=rid, message="January.")


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


# --- what may happen next -------------------------------------------------------------------


async def test_next_operations_list_only_what_the_caller_may_do(flow: Flow) -> None:
    """The agency never sees the reviewers' operations (START_REVIEW, RELEASE, …); reviewers
    never see the agency's (WITHDRAW, SUPERSEDE, ANSWER_CLARIFICATION)."""
    req = await flow.submit()
    rid = req["id"]

    async def next_ops(actor: Actor) -> set[str]:
        return set((await flow.read(rid, actor))["nextOperations"])

    agency, staff = flow.agency, flow.staff
    assert await next_ops(agency) == {"WITHDRAW", "SUPERSEDE"}
    assert await next_ops(staff) == {"START_REVIEW"}
    await flow.ok(staff, "startReview", requestId=rid)
    assert await next_ops(agency) == {"WITHDRAW", "SUPERSEDE"}
    assert await next_ops(staff) == {
        "ASK_CLARIFICATION",
        "APPROVE",
        "APPROVE_PARTIALLY",
        "OBJECT",
        "REJECT",
    }
    await flow.ok(staff, "askClarification", requestId=rid, message="Which months?")
    assert await next_ops(agency) == {"ANSWER_CLARIFICATION", "WITHDRAW", "SUPERSEDE"}
    assert await next_ops(staff) == set()
    await flow.ok(agency, "answerClarification", requestId=rid, message="January.")
    current = await flow.read(rid)
    await flow.decide(current, *[approve(i) for i in current["items"]])
    assert await next_ops(agency) == {"WITHDRAW", "SUPERSEDE"}
    assert await next_ops(staff) == {"RELEASE"}
    # staff who only audit may do nothing; an agency token that may only read, neither
    auditor = await flow.world.staff_actor(["audit"])
    assert await next_ops(auditor) == set()
    reader = await flow.world.agency_actor(
        "DE", scopes=["requests:read"], agency_id=agency.agency_id
    )
    assert await next_ops(reader) == set()


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


# --- transaction records only for premium accounts ------------------------------------------


async def add_accounts(container: Container) -> None:
    async with container.db.transaction() as session:
        premium = Account(
            username="premium-user",
            email="premium@example.com",
            region="DE",
            registered_at=START - timedelta(days=400),
        )
        plain = Account(
            username="plain-user",
            email="plain@example.com",
            region="DE",
            registered_at=START - timedelta(days=400),
        )
        session.add_all([premium, plain])
        await session.flush()
        session.add(
            PremiumSubscription(
                account_id=premium.id,
                service="cloud_storage",
                started_at=START - timedelta(days=300),
                ended_at=None,
            )
        )


D_TARGETS = [
    {
        "identifierType": "EMAIL",
        "identifier": "Premium@Example.com",
        "infoTypes": ["D"],
        "from": "2026-01-01",
        "to": "2026-06-30",
    },
    {"identifierType": "EMAIL", "identifier": "plain@example.com", "infoTypes": ["D"]},
]


def by_identifier(req: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["target"]["identifier"]: i for i in req["items"]}


async def test_transaction_records_of_a_non_premium_account_are_refused_by_the_reviewer(
    flow: Flow, container: Container
) -> None:
    """Nothing is decided at startReview: the reviewer cannot approve D for the account and
    rejects it; the agency reads NO_RESPONSIVE_DATA, staff read NOT_PREMIUM."""
    await add_accounts(container)
    req = await flow.submit(targets=D_TARGETS)
    received = await flow.read(req["id"])
    assert all(i["outcome"] is None for i in received["items"])

    started = await flow.ok(flow.staff, "startReview", requestId=req["id"])
    assert started["status"] == "IN_REVIEW"
    seen = await flow.read(req["id"], flow.agency)
    assert all(i["outcome"] is None and i["reasonCode"] is None for i in seen["items"])
    plain, premium = (
        by_identifier(seen)["plain@example.com"],
        by_identifier(seen)["premium@example.com"],
    )

    current = await flow.read(req["id"])
    errors = await flow.refused(
        flow.staff,
        "decideRequest",
        "NOT_PREMIUM",
        requestId=req["id"],
        version=current["version"],
        decisions=[approve(premium), approve(plain)],
    )
    assert [e["field"] for e in errors] == ["decisions[1].outcome"]
    await flow.refused(
        flow.staff,
        "decideRequest",
        "NOT_PREMIUM",
        requestId=req["id"],
        version=current["version"],
        decisions=[
            {
                "itemId": plain["id"],
                "outcome": "NARROW",
                "reasonCode": "OVERBROAD",
                "fields": ["placed_at"],
            }
        ],
    )
    assert await flow.read(req["id"]) == current

    decided = await flow.decide(
        current,
        approve(premium),
        non_approval(plain, "REJECT", "NOT_PREMIUM", "No premium service on this account."),
    )
    assert decided["status"] == "PARTIALLY_APPROVED"
    final = by_identifier(await flow.read(req["id"], flow.agency))
    assert final["premium@example.com"]["outcome"] == "APPROVE"
    assert final["plain@example.com"]["outcome"] == "REJECT"
    assert final["plain@example.com"]["reasonCode"] == "NO_RESPONSIVE_DATA"
    staff_view = by_identifier(await flow.read(req["id"]))
    assert staff_view["plain@example.com"]["reasonCode"] == "NOT_PREMIUM"
    assert staff_view["plain@example.com"]["explanation"] == "No premium service on this account."


async def test_transaction_records_of_a_premium_account_can_be_approved(
    flow: Flow, container: Container
) -> None:
    await add_accounts(container)
    req = await flow.in_review(targets=[D_TARGETS[0]])
    (item,) = req["items"]
    assert item["outcome"] is None
    decided = await flow.decide(req, approve(item))
    assert decided["status"] == "APPROVED"


async def test_a_request_with_only_d_of_a_non_premium_account_stays_in_review(
    flow: Flow, container: Container
) -> None:
    """Only D of an account without premium service: startReview decides nothing, and the
    request stays IN_REVIEW until a person decides the item."""
    await add_accounts(container)
    req = await flow.in_review(targets=[D_TARGETS[1]])
    assert [(i["outcome"], i["reasonCode"]) for i in req["items"]] == [(None, None)]
    assert req["status"] == "IN_REVIEW"
