"""The audit trail (SPEC section 2, "Audit event"), on SQLite and PostgreSQL.

Every state change, decision, message, token issue and admin action leaves exactly the events
expected, with the right actor; a refused operation leaves none; staff with ``audit`` read a
request's trail.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterable
from typing import Any

import pytest
from sqlalchemy import select
from strawberry.relay import from_base64

import trustcenter.db.repositories.audit as audit_repo
from tests.api.audit_helpers import all_events, event_count, head
from tests.api.lifecycle_helpers import D_TARGETS, add_accounts, approve, items, non_approval
from tests.helpers import OPERATOR, Flow, World, submission
from trustcenter.bootstrap import Container
from trustcenter.db.models import AuditEvent
from trustcenter.services.audit import verify

TRAIL = """
query($id: ID!) { request(id: $id) {
  id auditTrail { seq action actorKind actorId data hash occurredAt }
} }
"""


async def trail(flow: Flow, rid: str) -> list[dict[str, Any]]:
    data = await flow.staff.data(TRAIL, {"id": rid})
    return data["request"]["auditTrail"]  # type: ignore[no-any-return]


def steps(events: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["action"], e["actorKind"]) for e in events]


# --- what each step writes ------------------------------------------------------------------


async def test_every_step_of_a_review_is_on_the_trail_in_order(flow: Flow) -> None:
    agency, staff = flow.agency, flow.staff
    req = await flow.submit()
    rid = req["id"]
    await flow.ok(staff, "startReview", requestId=rid)
    await flow.ok(staff, "askClarification", requestId=rid, message="Which months?")
    await flow.ok(agency, "answerClarification", requestId=rid, message="January.")
    current = await flow.read(rid)
    by_type = items(current)
    await flow.decide(
        current,
        non_approval(by_type["A"], "QUESTION", "UNCLEAR", "Which account?"),
        non_approval(by_type["B"], "REJECT", "NOT_HELD", "No such device."),
        non_approval(by_type["C"], "OBJECT", "OVERBROAD", "Too broad."),
    )
    await flow.ok(agency, "answerClarification", requestId=rid, message="The e-mail one.")
    current = await flow.read(rid)
    await flow.decide(current, non_approval(items(current)["A"], "REJECT", "NO_LEGAL_BASIS"))
    await flow.ok(staff, "closeRequest", requestId=rid)

    # the findings' own events (added, resolved, reopened): test_findings_follow_decisions
    events = [e for e in await trail(flow, rid) if not e["action"].startswith("finding.")]
    assert steps(events) == [
        ("request.submitted", "agency"),
        ("review.started", "staff"),
        ("clarification.requested", "staff"),
        ("message.posted", "staff"),
        ("clarification.answered", "agency"),
        ("message.posted", "agency"),
        ("request.decided", "staff"),
        ("message.posted", "staff"),
        ("clarification.answered", "agency"),
        ("message.posted", "agency"),
        ("request.decided", "staff"),
        ("request.closed", "staff"),
    ]
    assert {e["actorId"] for e in events if e["actorKind"] == "agency"} == {agency.client_id}
    assert {e["actorId"] for e in events if e["actorKind"] == "staff"} == {staff.client_id}
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert len({e["hash"] for e in events}) == len(events)
    assert all(len(e["hash"]) == 64 for e in events)
    started = events[1]["data"]
    assert (started["from"], started["to"]) == ("received", "in_review")
    first_decision = events[6]["data"]
    assert (first_decision["from"], first_decision["to"]) == (
        "in_review",
        "clarification_requested",
    )
    assert {(d["outcome"], d["reason"]) for d in first_decision["decisions"]} == {
        ("question", "unclear"),
        ("reject", "not_held"),
        ("object", "overbroad"),
    }
    assert (events[-2]["data"]["from"], events[-2]["data"]["to"]) == ("in_review", "objected")
    assert (events[-1]["data"]["from"], events[-1]["data"]["to"]) == ("objected", "closed")
    # the version on the trail is the request's version after each change
    final = await flow.read(rid)
    assert events[-1]["data"]["version"] == final["version"]


async def test_revising_and_withdrawing_are_on_the_trails(flow: Flow) -> None:
    old = await flow.in_review()
    new = await flow.ok(flow.agency, "reviseRequest", requestId=old["id"], revision=submission())
    old_trail = await trail(flow, old["id"])
    assert steps(old_trail) == [
        ("request.submitted", "agency"),
        ("review.started", "staff"),
        ("finding.added", "staff"),  # the lookup at review: NOT_HELD for the e-mail
        ("finding.added", "staff"),  # and for the serial number
        ("request.superseded", "agency"),
    ]
    assert old_trail[-1]["data"]["to"] == "superseded"
    new_trail = await trail(flow, new["id"])
    assert steps(new_trail) == [("request.submitted", "agency")]
    assert new_trail[0]["data"]["revision_of"] == from_base64(old["id"])[1]
    assert new_trail[0]["seq"] < old_trail[-1]["seq"]  # one transaction: submitted, then superseded

    await flow.ok(flow.agency, "withdrawRequest", requestId=new["id"], reason="Suspect found.")
    assert steps(await trail(flow, new["id"])) == [
        ("request.submitted", "agency"),
        ("request.withdrawn", "agency"),
        ("message.posted", "agency"),
    ]
    assert (await trail(flow, new["id"]))[1]["data"]["reason"] == "Suspect found."


async def test_the_lookup_at_review_raises_findings_on_the_trail_and_decides_nothing(
    flow: Flow, container: Container
) -> None:
    await add_accounts(container)
    req = await flow.in_review(targets=D_TARGETS)
    events = await trail(flow, req["id"])
    assert steps(events) == [
        ("request.submitted", "agency"),
        ("review.started", "staff"),
        ("finding.added", "staff"),
    ]
    assert events[1]["data"]["targets_looked_up"] == 2
    assert events[-1]["data"] == {"plugin": "trustcenter:policy", "code": "NOT_PREMIUM",
                                  "severity": "warning"}  # fmt: skip
    assert all(i["outcome"] is None for i in req["items"])


async def test_issuing_a_token_is_audited(flow: Flow, container: Container) -> None:
    async def issued(client_id: str) -> list[AuditEvent]:
        async with container.db.reader() as session:
            stmt = (
                select(AuditEvent)
                .where(AuditEvent.action == "token.issued", AuditEvent.actor_id == client_id)
                .order_by(AuditEvent.seq)
            )
            return list((await session.scalars(stmt)).all())

    before = await issued(flow.agency.client_id)
    assert len(before) == 1  # the token the fixture fetched
    token = await flow.agency.fetch_token("requests:read")
    after = await issued(flow.agency.client_id)
    assert len(after) == 2
    event = after[-1]
    assert event.actor_kind == "client" and event.subject_id == flow.agency.client_id
    data = json.loads(event.data)
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert data == {"jti": claims["jti"], "scope": "requests:read", "exp": claims["exp"]}
    assert token not in event.data  # the token itself is never on record
    assert len(await issued(flow.staff.client_id)) == 1


async def test_a_refused_token_request_issues_nothing_and_audits_nothing(
    flow: Flow, container: Container
) -> None:
    count = await event_count(container)
    r = await flow.world.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(flow.agency.client_id, "wrong secret"),
    )
    assert r.status_code in (400, 401)
    assert await event_count(container) == count


async def test_agency_and_client_administration_is_audited(
    world: World, container: Container
) -> None:
    agency = await world.agency_actor("NL")
    async with container.db.reader() as session:
        stmt = select(AuditEvent).where(AuditEvent.subject_id == str(agency.agency_id))
        agency_events = list((await session.scalars(stmt.order_by(AuditEvent.seq))).all())
        stmt2 = select(AuditEvent).where(
            AuditEvent.subject_id == agency.client_id, AuditEvent.action == "client.created"
        )
        client_events = list((await session.scalars(stmt2)).all())
    assert [e.action for e in agency_events] == ["agency.created", "agency.verified"]
    assert all(e.actor_kind == "operator" for e in agency_events)
    assert json.loads(agency_events[0].data)["country"] == "NL"
    assert json.loads(agency_events[1].data) == {
        "from": "pending",
        "to": "verified",
        "jurisdictions": [],  # nothing granted beyond its own country
        "verified_by": agency_events[1].actor_id,  # the operator, when no name is given
        "evidence": None,
    }
    assert len(client_events) == 1 and client_events[0].actor_kind == "operator"
    client_data = json.loads(client_events[0].data)
    assert client_data["agency_id"] == str(agency.agency_id)
    assert agency.client_secret not in client_events[0].data


async def test_a_change_and_its_event_are_one_transaction(
    flow: Flow, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the event cannot be written, the change is not made either."""
    req = await flow.submit()
    before = await flow.read(req["id"])
    count = await event_count(container)

    def broken(_event: Any) -> str:
        raise RuntimeError("the audit store is unavailable")

    monkeypatch.setattr(audit_repo, "chain_hash", broken)
    r = await flow.staff.gql(
        "mutation($i: StartReviewInput!) { startReview(input: $i) { request { status } } }",
        {"i": {"requestId": req["id"]}},
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    monkeypatch.undo()
    assert await flow.read(req["id"]) == before
    assert await event_count(container) == count


async def test_concurrent_changes_keep_one_unbroken_chain(flow: Flow, container: Container) -> None:
    reqs = [await flow.submit() for _ in range(4)]
    count = await event_count(container)
    results = await asyncio.gather(
        *[flow.call(flow.staff, "startReview", requestId=r["id"]) for r in reqs],
        flow.agency.fetch_token(),
        flow.staff.fetch_token(),
    )
    assert all(p["userErrors"] == [] for p in results[:4]), results
    # four review starts (each with its lookup's two NOT_HELD findings) and two token issues
    assert await event_count(container) == count + 4 * 3 + 2
    result = await verify(container, OPERATOR)
    assert result.broken is None
    events = await all_events(container)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))


# --- who may read the trail -----------------------------------------------------------------


async def test_agencies_and_staff_without_audit_cannot_read_the_trail(
    flow: Flow, world: World
) -> None:
    req = await flow.submit()
    reviewer = await world.staff_actor(["review"])
    for actor in (flow.agency, reviewer):
        r = await actor.gql(TRAIL, {"id": req["id"]})
        body = r.json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert not (body.get("data") or {}).get("request")
    auditor = await world.staff_actor(["audit"])
    data = await auditor.data(TRAIL, {"id": req["id"]})
    assert [e["action"] for e in data["request"]["auditTrail"]] == ["request.submitted"]


# --- refusals leave no trace ----------------------------------------------------------------


async def test_refused_operations_write_no_event(
    flow: Flow, world: World, container: Container
) -> None:
    intruder = await world.agency_actor("FR")
    reporter = await world.staff_actor(["reports"])
    req = await flow.in_review()
    rid = req["id"]
    by_type = items(req)
    count, last = await event_count(container), await head(container)

    await flow.refused(  # bad input
        flow.staff,
        "decideRequest",
        "INVALID_INPUT",
        requestId=rid,
        version=req["version"],
        decisions=[approve(by_type["A"]), {"itemId": by_type["B"]["id"], "outcome": "REJECT"}],
    )
    await flow.refused(  # stale version
        flow.staff,
        "decideRequest",
        "CONFLICT",
        requestId=rid,
        version=req["version"] - 1,
        decisions=[approve(by_type["A"])],
    )
    await flow.refused(flow.staff, "startReview", "INVALID_TRANSITION", requestId=rid)
    await flow.refused(
        flow.agency, "answerClarification", "INVALID_TRANSITION", requestId=rid, message="?"
    )
    await flow.refused(intruder, "withdrawRequest", "NOT_FOUND", requestId=rid)
    await flow.refused(
        intruder,
        "reviseRequest",
        "NOT_FOUND",
        requestId=rid,
        revision=submission(jurisdiction="FR"),
    )
    await flow.forbidden(reporter, "closeRequest", requestId=rid)
    await flow.forbidden(flow.agency, "startReview", requestId=rid)

    assert await event_count(container) == count
    assert await head(container) == last
    assert (await verify(container, OPERATOR)).broken is None
