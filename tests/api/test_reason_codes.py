"""Reason codes are an open vocabulary, on SQLite and PostgreSQL: plugins register theirs with a
description, reviewers give them like the built-in ones, a code nobody registered is refused
(UNKNOWN_REASON_CODE), and NARROW needs a reason like every other decision but APPROVE.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_plugins import use
from tests.helpers import Actor, World
from trustcenter.bootstrap import Container
from trustcenter.plugins import ReasonCodeSpec, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import PluginLoadError, load

READ = """query($id: ID!) { request(id: $id) { version
  items { id infoType outcome reasonCode explanation approvedFields } } }"""
START = """mutation($i: StartReviewInput!) { startReview(input: $i) { userErrors { code } } }"""
DECIDE = """mutation($i: DecideRequestInput!) { decideRequest(input: $i) {
  request { status } userErrors { field code message } } }"""
CODES = "{ reasonCodes { code description } }"
BUILTIN = [
    "NO_LEGAL_BASIS",
    "UNCLEAR",
    "OVERBROAD",
    "THIRD_PARTY_HARM",
    "NOT_HELD",
    "NOT_PREMIUM",
    "JURISDICTION",
]


class Sealing:
    @hookimpl
    def trustcenter_reason_codes(self) -> list[ReasonCodeSpec]:
        return [
            ReasonCodeSpec("SEALED_BY_COURT", "A court sealed the records asked for."),
            ReasonCodeSpec("ACCOUNT_CLOSED", "The account was closed.", account_state=True),
        ]


@pytest.fixture
def sealing(container: Container) -> PluginHost:
    return use(container, ("sealing", Sealing()))


@pytest.fixture
async def reviewer(world: World) -> Actor:
    return await world.staff_actor(["review"])


async def in_review(agency: Actor, reviewer: Actor) -> tuple[str, dict[str, Any]]:
    rid = (await agency.submit())["id"]
    await reviewer.data(START, {"i": {"requestId": rid}})
    return rid, (await reviewer.data(READ, {"id": rid}))["request"]


async def decide(
    reviewer: Actor, rid: str, version: int, *decisions: dict[str, Any]
) -> dict[str, Any]:
    payload = await reviewer.data(
        DECIDE, {"i": {"requestId": rid, "version": version, "decisions": list(decisions)}}
    )
    return payload["decideRequest"]  # type: ignore[no-any-return]


def by_type(req: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["infoType"]: i for i in req["items"]}


async def test_the_built_in_codes_are_listed_with_descriptions(agency: Actor) -> None:
    listed = (await agency.data(CODES))["reasonCodes"]
    assert [c["code"] for c in listed] == BUILTIN
    assert all(c["description"].strip() for c in listed)


async def test_a_plugin_registers_a_code_and_reviewers_give_it(
    sealing: PluginHost, agency: Actor, reviewer: Actor
) -> None:
    listed = {c["code"]: c["description"] for c in (await reviewer.data(CODES))["reasonCodes"]}
    assert listed["SEALED_BY_COURT"] == "A court sealed the records asked for."
    assert set(BUILTIN) < set(listed)

    rid, req = await in_review(agency, reviewer)
    items = by_type(req)
    payload = await decide(
        reviewer,
        rid,
        req["version"],
        {"itemId": items["A"]["id"], "outcome": "APPROVE"},
        {
            "itemId": items["B"]["id"],
            "outcome": "REJECT",
            "reasonCode": "SEALED_BY_COURT",
            "explanation": "Sealed by order of the district court.",
        },
        {
            "itemId": items["C"]["id"],
            "outcome": "REJECT",
            "reasonCode": "ACCOUNT_CLOSED",
            "explanation": "Closed in 2025.",
        },
    )
    assert payload["userErrors"] == [] and payload["request"]["status"] == "PARTIALLY_APPROVED"
    seen = by_type((await agency.data(READ, {"id": rid}))["request"])
    assert (seen["B"]["reasonCode"], seen["B"]["explanation"]) == (
        "SEALED_BY_COURT",
        "Sealed by order of the district court.",
    )
    # a plugin's code telling the account's state reads, to the agency, like the built-ins
    assert seen["C"]["reasonCode"] == "NO_RESPONSIVE_DATA"
    assert "2025" not in seen["C"]["explanation"]
    staff = by_type((await reviewer.data(READ, {"id": rid}))["request"])
    assert staff["C"]["reasonCode"] == "ACCOUNT_CLOSED"


@pytest.mark.parametrize("code", ["SEALED_BY_COURT", "BECAUSE_I_SAID_SO", "sealed_by_court"])
async def test_a_code_nobody_registered_is_refused_and_changes_nothing(
    agency: Actor, reviewer: Actor, code: str
) -> None:
    rid, req = await in_review(agency, reviewer)
    payload = await decide(
        reviewer,
        rid,
        req["version"],
        {
            "itemId": by_type(req)["A"]["id"],
            "outcome": "REJECT",
            "reasonCode": code,
            "explanation": "No.",
        },
    )
    assert payload["request"] is None
    (error,) = payload["userErrors"]
    assert (error["field"], error["code"]) == ("decisions[0].reasonCode", "UNKNOWN_REASON_CODE")
    assert code.upper() in error["message"] and "OVERBROAD" in error["message"]
    assert (await reviewer.data(READ, {"id": rid}))["request"] == req


async def test_a_malformed_code_is_refused_by_the_schema_not_a_server_error(
    agency: Actor, reviewer: Actor
) -> None:
    rid, req = await in_review(agency, reviewer)
    r = await reviewer.gql(
        DECIDE,
        {
            "i": {
                "requestId": rid,
                "version": req["version"],
                "decisions": [
                    {
                        "itemId": by_type(req)["A"]["id"],
                        "outcome": "REJECT",
                        "reasonCode": "not a code!",
                        "explanation": "No.",
                    }
                ],
            }
        },
    )
    body = r.json()
    assert body["errors"] and "INTERNAL_SERVER_ERROR" not in r.text
    assert "reason code" in body["errors"][0]["message"]


async def test_narrow_without_a_reason_is_refused(agency: Actor, reviewer: Actor) -> None:
    rid, req = await in_review(agency, reviewer)
    a = by_type(req)["A"]
    narrow = {"itemId": a["id"], "outcome": "NARROW", "fields": ["username", "email"]}
    payload = await decide(reviewer, rid, req["version"], narrow)
    assert payload["request"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        ("decisions[0].reasonCode", "INVALID_INPUT")
    ]
    payload = await decide(reviewer, rid, req["version"], {**narrow, "reasonCode": "OVERBROAD"})
    assert payload["userErrors"] == []
    seen = by_type((await agency.data(READ, {"id": rid}))["request"])["A"]
    assert (seen["reasonCode"], seen["approvedFields"]) == ("OVERBROAD", ["username", "email"])


class Nonsense:
    def __init__(self, *specs: Any) -> None:
        self.specs = list(specs)

    @hookimpl
    def trustcenter_reason_codes(self) -> list[Any]:
        return self.specs


@pytest.mark.parametrize(
    ("specs", "says"),
    [
        ([ReasonCodeSpec("OVERBROAD", "Again.")], "registered twice"),
        ([ReasonCodeSpec("sealed", "Lower case.")], "upper-case"),
        ([ReasonCodeSpec("SEALED", "  ")], "no description"),
        ([ReasonCodeSpec("NO_RESPONSIVE_DATA", "Mine.")], "what agencies read"),
        (["SEALED"], "ReasonCodeSpec"),
    ],
)
def test_a_plugin_answering_nonsense_stops_start_up_naming_it(specs: list[Any], says: str) -> None:
    with pytest.raises(PluginLoadError) as caught:
        PluginHost(*load("", extra=[("nonsense", Nonsense(*specs))]))
    assert says in str(caught.value)
    assert "'nonsense'" in str(caught.value)
