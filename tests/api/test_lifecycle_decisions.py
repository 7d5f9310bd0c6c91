"""Decisions over GraphQL, on SQLite and PostgreSQL: narrowing, reason codes and explanations, items
of other requests, and transaction records (D) only for premium accounts; a refused decision
changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.lifecycle_helpers import (
    D_TARGETS,
    add_accounts,
    approve,
    by_identifier,
    items,
    non_approval,
)
from tests.helpers import Flow
from trustcenter.bootstrap import Container

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
