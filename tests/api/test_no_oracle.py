"""No oracle before review (and none after): an agency cannot learn from its request whether an
account exists or whether its owner pays, on SQLite and PostgreSQL.

Asking for transaction records (D) of a known account that never used a premium service and of
an e-mail the company does not know must read the same to the agency — every field it can read,
after startReview and after the reviewer refused both — apart from ids and times. The lookup's
results are findings that only staff read.
"""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from strawberry.relay import from_base64

from tests.helpers import Actor, World, account_and_camera_owner
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Account, Target

ASKED = "owner@example.com"  # no account at first; later a known account without premium
D_ONLY = [{"identifierType": "EMAIL", "identifier": ASKED, "infoTypes": ["D"]}]

TYPE = """query($name: String!) { __type(name: $name) { kind name fields {
  name args { type { kind } } type { kind name ofType { kind name ofType { kind name
  ofType { kind name } } } } } } }"""
STAFF_READ = """query($id: ID!) { request(id: $id) { version
  items { id outcome reasonCode explanation }
  findings { plugin severity code message resolvedAt } } }"""
START = """mutation($i: StartReviewInput!) { startReview(input: $i) {
  request { version } userErrors { code message } } }"""
DECIDE = """mutation($i: DecideRequestInput!) { decideRequest(input: $i) {
  request { status } userErrors { field code message } } }"""


def _named(t: dict[str, Any]) -> dict[str, Any]:
    while t.get("ofType"):
        t = t["ofType"]
    return t


async def _selection(actor: Actor, type_name: str, depth: int) -> dict[str, Any]:
    """Every field of ``type_name`` without required arguments, objects to ``depth`` levels
    (unions and interfaces left out): {field: sub-selection or None}."""
    t = (await actor.data(TYPE, {"name": type_name}))["__type"]
    out: dict[str, Any] = {}
    for f in t["fields"] or []:
        if any(a["type"]["kind"] == "NON_NULL" for a in f["args"]):
            continue
        named = _named(f["type"])
        if named["kind"] in ("SCALAR", "ENUM"):
            out[f["name"]] = None
        elif named["kind"] == "OBJECT" and depth > 0:
            sub = await _selection(actor, named["name"], depth - 1)
            if sub:
                out[f["name"]] = sub
    return out


def _render(selection: dict[str, Any]) -> str:
    return " ".join(k if v is None else f"{k} {{ {_render(v)} }}" for k, v in selection.items())


def _drop(selection: dict[str, Any], path: list[str]) -> None:
    node = selection
    for key in path[:-1]:
        node = node[key]
    node.pop(path[-1], None)


#: ``_selection`` of a request, read once per process: the schema is the same for every test
_REQUEST_FIELDS: dict[str, Any] = {}


async def agency_readable_query(agency: Actor, rid: str) -> str:
    """A query of every field of a request the agency may read: built from the schema, then
    every field refused to it (FORBIDDEN: findings, notices, the audit trail, subjects) left
    out, until the agency's answer carries no error."""
    if not _REQUEST_FIELDS:
        _REQUEST_FIELDS.update(await _selection(agency, "Request", depth=3))
    selection = copy.deepcopy(_REQUEST_FIELDS)
    for _ in range(50):
        query = f"query($id: ID!) {{ request(id: $id) {{ {_render(selection)} }} }}"
        body = (await agency.gql(query, {"id": rid})).json()
        errors = body.get("errors") or []
        if not errors:
            assert body["data"]["request"] is not None
            return query
        for error in errors:
            assert error["extensions"]["code"] == "FORBIDDEN", error
            _drop(selection, [p for p in error["path"][1:] if isinstance(p, str)])
    raise AssertionError("the agency's query never came out clean")


_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def apart_from_ids_and_times(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: apart_from_ids_and_times(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [apart_from_ids_and_times(v) for v in value]
    if key == "id" or key.endswith("Id"):
        return "<id>"
    if isinstance(value, str) and _TIME.match(value):
        return "<time>"
    return value


class Case:
    def __init__(self, agency: Actor, reviewer: Actor, clock: FixedClock) -> None:
        self.agency, self.reviewer, self.clock = agency, reviewer, clock
        self.rid = ""
        self.seen: list[dict[str, Any]] = []

    async def agency_view(self) -> dict[str, Any]:
        query = await agency_readable_query(self.agency, self.rid)
        return (await self.agency.data(query, {"id": self.rid}))["request"]  # type: ignore[no-any-return]

    async def staff_view(self) -> dict[str, Any]:
        return (await self.reviewer.data(STAFF_READ, {"id": self.rid}))["request"]  # type: ignore[no-any-return]

    async def run(self, reason_code: str, explanation: str) -> None:
        """Submit D for ASKED, start the review, reject the item with ``reason_code``; what
        the agency reads after startReview and after the decision goes to ``seen``."""
        self.clock.advance(timedelta(minutes=1))
        self.rid = (await self.agency.submit(targets=D_ONLY))["id"]
        self.clock.advance(timedelta(minutes=1))
        started = await self.reviewer.data(START, {"i": {"requestId": self.rid}})
        assert started["startReview"]["userErrors"] == []
        self.seen.append(await self.agency_view())
        staff = await self.staff_view()
        (item,) = staff["items"]
        assert item["outcome"] is None  # nothing is decided but by a person
        self.clock.advance(timedelta(minutes=1))
        decision = {
            "itemId": item["id"],
            "outcome": "REJECT",
            "reasonCode": reason_code,
            "explanation": explanation,
        }
        decided = await self.reviewer.data(
            DECIDE,
            {"i": {"requestId": self.rid, "version": staff["version"], "decisions": [decision]}},
        )
        assert decided["decideRequest"]["userErrors"] == []
        assert decided["decideRequest"]["request"]["status"] == "REJECTED"
        self.seen.append(await self.agency_view())


async def test_d_for_an_unknown_email_and_for_a_non_premium_account_read_the_same(
    world: World, container: Container, clock: FixedClock, agency: Actor, reviewer: Actor
) -> None:
    unknown = Case(agency, reviewer, clock)
    await unknown.run("NOT_HELD", "We hold no account for this e-mail address.")
    unknown_findings = (await unknown.staff_view())["findings"]

    await account_and_camera_owner(container)  # ASKED is now a known account without premium
    plain = Case(agency, reviewer, clock)
    await plain.run("NOT_PREMIUM", "This account never used a premium service.")

    # what each identifier named was recorded once, at review (the report counts subjects)
    async with container.db.reader() as session:
        recorded = {
            str(t.request_id): (t.subject_key, t.resolved_at)
            for t in await session.scalars(select(Target))
        }
        account = await session.scalar(select(Account).where(Account.email == ASKED))
    assert account is not None
    assert recorded[from_base64(unknown.rid)[1]][0] is None
    assert recorded[from_base64(plain.rid)[1]][0] == f"account:{account.id}"
    assert all(at is not None for _, at in recorded.values())

    # the agency: every field it can read is the same in both cases, at both moments
    for moment in (0, 1):  # after startReview, after the decision
        assert apart_from_ids_and_times(unknown.seen[moment]) == apart_from_ids_and_times(
            plain.seen[moment]
        )
    started, rejected = plain.seen
    assert started["status"] == "IN_REVIEW"
    assert [(i["outcome"], i["reasonCode"], i["explanation"]) for i in started["items"]] == [
        (None, None, None)
    ]
    assert "START_REVIEW" not in started["nextOperations"]
    (item,) = rejected["items"]
    assert (item["outcome"], item["reasonCode"]) == ("REJECT", "NO_RESPONSIVE_DATA")
    assert "premium" not in str(rejected).lower() and "hold no account" not in str(rejected)

    # staff read the lookup's findings and the real decision
    assert [(f["plugin"], f["code"]) for f in unknown_findings] == [
        ("trustcenter:policy", "NOT_HELD")
    ]
    assert ASKED in unknown_findings[0]["message"]
    assert unknown_findings[0]["resolvedAt"] is not None  # its only item was rejected
    staff = await plain.staff_view()
    assert [(f["code"], f["severity"]) for f in staff["findings"]] == [("NOT_PREMIUM", "WARNING")]
    assert staff["findings"][0]["resolvedAt"] is not None  # the D item is out of play now
    assert [(i["outcome"], i["reasonCode"], i["explanation"]) for i in staff["items"]] == [
        ("REJECT", "NOT_PREMIUM", "This account never used a premium service.")
    ]


async def test_a_reason_telling_the_account_state_goes_only_with_reject(
    container: Container, clock: FixedClock, agency: Actor, reviewer: Actor
) -> None:
    """A question's explanation is sent to the agency as a message: NOT_HELD or NOT_PREMIUM
    cannot ride on it (nor on OBJECT or NARROW)."""
    await account_and_camera_owner(container)
    rid = (await agency.submit(targets=D_ONLY))["id"]
    await reviewer.data(START, {"i": {"requestId": rid}})
    staff = (await reviewer.data(STAFF_READ, {"id": rid}))["request"]
    (item,) = staff["items"]
    for outcome in ("QUESTION", "OBJECT"):
        decision = {
            "itemId": item["id"],
            "outcome": outcome,
            "reasonCode": "NOT_PREMIUM",
            "explanation": "This account never used a premium service.",
        }
        payload = (
            await reviewer.data(
                DECIDE,
                {"i": {"requestId": rid, "version": staff["version"], "decisions": [decision]}},
            )
        )["decideRequest"]
        assert payload["request"] is None
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
            ("decisions[0].reasonCode", "INVALID_INPUT")
        ]
    query = await agency_readable_query(agency, rid)
    seen = (await agency.data(query, {"id": rid}))["request"]
    assert seen["messages"] == [] and seen["status"] == "IN_REVIEW"


async def test_the_agency_never_reads_findings(
    container: Container, agency: Actor, reviewer: Actor
) -> None:
    await account_and_camera_owner(container)
    rid = (await agency.submit(targets=D_ONLY))["id"]
    await reviewer.data(START, {"i": {"requestId": rid}})
    assert [
        f["code"] for f in (await reviewer.data(STAFF_READ, {"id": rid}))["request"]["findings"]
    ] == ["NOT_PREMIUM"]
    body = (
        await agency.gql("query($id: ID!) { request(id: $id) { findings { code } } }", {"id": rid})
    ).json()
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    query = await agency_readable_query(agency, rid)
    assert "NOT_PREMIUM" not in str((await agency.data(query, {"id": rid}))["request"])
