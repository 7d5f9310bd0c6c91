"""The review over GraphQL (SPEC sections 3 and 4), on SQLite and PostgreSQL: startReview,
askClarification / answerClarification and decideRequest as the agency and the reviewers see
them, from submission to a partial approval, questions and concurrent reviewers.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.api.lifecycle_helpers import approve, items, non_approval
from tests.helpers import Flow, World

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
