"""The audit log (SPEC section 2, "Audit event"), on SQLite and PostgreSQL.

Every state change, decision, message, token issue and admin action leaves exactly the events
expected, with the right actor; a refused operation leaves none; staff with ``audit`` read a
request's trail; the database refuses edits; and an owner who bypasses that guard is caught by
``verify`` and by ``trustcenter audit verify``, which name the first broken event.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from strawberry.relay import from_base64

import trustcenter.db.repositories.audit as audit_repo
from tests.api.test_lifecycle import D_TARGETS, Flow, add_accounts, approve, items, non_approval
from tests.helpers import World, submission
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import AuditEvent, AuditHead
from trustcenter.db.repositories.audit import as_record
from trustcenter.domain.audit import chain_hash
from trustcenter.services.audit import verify

#: the installed command, next to the interpreter running the tests (.venv/bin)
CLI = str(Path(sys.executable).with_name("trustcenter"))

TRAIL = """
query($id: ID!) { request(id: $id) {
  id auditTrail { seq action actorKind actorId data hash occurredAt }
} }
"""


@pytest.fixture
async def flow(world: World, clock: FixedClock) -> Flow:
    return Flow(world, clock, await world.agency_actor("DE"), await world.staff_actor())


async def trail(flow: Flow, rid: str) -> list[dict[str, Any]]:
    data = await flow.staff.data(TRAIL, {"id": rid})
    return data["request"]["auditTrail"]  # type: ignore[no-any-return]


def steps(events: Iterable[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["action"], e["actorKind"]) for e in events]


async def event_count(container: Container) -> int:
    async with container.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def head(container: Container) -> tuple[int, str]:
    async with container.db.reader() as session:
        row = await session.get(AuditHead, 1)
        assert row is not None
        return row.seq, row.hash


async def all_events(container: Container) -> list[AuditEvent]:
    async with container.db.reader() as session:
        return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all())


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
    result = await verify(container.db)
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
    assert (await verify(container.db)).broken is None


# --- verification ---------------------------------------------------------------------------


async def _a_full_flow(flow: Flow) -> str:
    req = await flow.in_review()
    await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Which months?")
    await flow.ok(flow.agency, "answerClarification", requestId=req["id"], message="January.")
    current = await flow.read(req["id"])
    await flow.decide(current, *[non_approval(i, "REJECT") for i in current["items"]])
    await flow.ok(flow.staff, "closeRequest", requestId=req["id"])
    return str(req["id"])


async def test_the_chain_verifies_after_a_flow(flow: Flow, container: Container) -> None:
    await _a_full_flow(flow)
    result = await verify(container.db)
    assert result.broken is None
    assert result.checked == await event_count(container) > 10
    events = await all_events(container)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert await head(container) == (events[-1].seq, events[-1].hash)
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash


async def test_an_empty_log_verifies(container: Container) -> None:
    result = await verify(container.db)
    # the fixture's signing key may already be on record; whatever is there holds
    assert result.broken is None
    assert result.checked == await event_count(container)


# --- the database refuses edits -------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET data = '{}' WHERE seq = 1",
        "UPDATE audit_events SET hash = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
    ],
)
async def test_the_application_connection_cannot_edit_or_delete_events(
    flow: Flow, container: Container, statement: str
) -> None:
    if statement.startswith("TRUNCATE") and container.db.dialect != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    await flow.submit()
    before = [(e.seq, e.data, e.hash) for e in await all_events(container)]
    with pytest.raises(DBAPIError, match="append-only"):
        async with container.db.engine.begin() as conn:
            await conn.execute(text(statement))
    assert [(e.seq, e.data, e.hash) for e in await all_events(container)] == before
    assert (await verify(container.db)).broken is None


@pytest.mark.parametrize("form", ["upsert", "replace"])
async def test_an_event_cannot_be_overwritten_by_inserting_over_it(
    flow: Flow, container: Container, form: str
) -> None:
    if form == "replace" and container.db.dialect != "sqlite":
        pytest.skip("INSERT OR REPLACE is SQLite's")
    await flow.submit()
    columns = (
        "seq, occurred_at, actor_kind, actor_id, action, subject_type, subject_id, "
        "request_id, data, prev_hash, hash"
    )
    forged = columns.replace("data", "'{}'")
    source = f"SELECT {forged} FROM audit_events WHERE seq = 1"  # noqa: S608
    statement = (
        f"INSERT OR REPLACE INTO audit_events ({columns}) {source}"
        if form == "replace"
        else f"INSERT INTO audit_events ({columns}) {source} "
        "ON CONFLICT (seq) DO UPDATE SET data = '{}'"
    )
    before = [(e.seq, e.data, e.hash) for e in await all_events(container)]
    with pytest.raises(DBAPIError, match="append-only"):
        async with container.db.engine.begin() as conn:
            await conn.execute(text(statement))
    assert [(e.seq, e.data, e.hash) for e in await all_events(container)] == before


async def test_the_orm_session_cannot_delete_an_event(flow: Flow, container: Container) -> None:
    await flow.submit()
    count = await event_count(container)
    with pytest.raises(DBAPIError, match="append-only"):
        async with container.db.transaction() as session:
            event = await session.get(AuditEvent, 1)
            assert event is not None
            await session.delete(event)
    assert await event_count(container) == count


# --- tampering by someone who bypasses the guard --------------------------------------------


async def tamper(
    container: Container,
    *statements: str,
    params: dict[str, Any] | None = None,
    many: list[dict[str, Any]] | None = None,
) -> None:
    """Change the log as a database owner would: past the append-only triggers. Each statement
    runs with ``params``, or with the matching entry of ``many``."""
    async with container.db.engine.begin() as conn:
        if container.db.dialect == "postgresql":
            await conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            await conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
            await conn.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))
        for n, statement in enumerate(statements):
            await conn.execute(text(statement), many[n] if many else params or {})


async def _flow_with_events(flow: Flow, container: Container) -> list[AuditEvent]:
    await _a_full_flow(flow)
    events = await all_events(container)
    assert len(events) >= 10
    assert (await verify(container.db)).broken is None
    return events


async def test_an_edited_event_is_named(flow: Flow, container: Container) -> None:
    events = await _flow_with_events(flow, container)
    victim = next(e for e in events if e.action == "request.decided")
    forged = json.loads(victim.data)
    forged["to"] = "approved"
    await tamper(
        container,
        "UPDATE audit_events SET data = :d WHERE seq = :s",
        params={"d": json.dumps(forged, sort_keys=True), "s": victim.seq},
    )
    result = await verify(container.db)
    assert result.broken is not None and result.broken.seq == victim.seq
    assert result.checked == victim.seq


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("actor_id", "tc_someone_else"),
        ("actor_kind", "system"),
        ("action", "request.approved"),
        ("subject_id", "someone"),
        ("request_id", None),
        ("prev_hash", "0" * 64),
        ("occurred_at", "earlier"),
    ],
)
async def test_any_edited_column_is_named(
    flow: Flow, container: Container, column: str, value: Any
) -> None:
    events = await _flow_with_events(flow, container)
    victim = events[len(events) // 2]
    assert victim.request_id is not None
    assignment = f"{column} = :v"
    if value == "earlier":  # a second earlier, in the backend's own date arithmetic
        assignment = (
            "occurred_at = occurred_at - interval '1 second'"
            if container.db.dialect == "postgresql"
            else "occurred_at = strftime('%Y-%m-%d %H:%M:%f', occurred_at, '-1 second')"
        )
    await tamper(
        container,
        f"UPDATE audit_events SET {assignment} WHERE seq = :s",  # noqa: S608
        params={"v": value, "s": victim.seq},
    )
    changed = {e.seq: e for e in await all_events(container)}[victim.seq]
    assert getattr(changed, column) != getattr(victim, column)  # the edit took
    result = await verify(container.db)
    assert result.broken is not None and result.broken.seq == victim.seq


async def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(
    flow: Flow, container: Container
) -> None:
    events = await _flow_with_events(flow, container)
    victim = events[3]
    forged = json.loads(victim.data)
    forged["forged"] = True
    rehashed = chain_hash(dataclasses.replace(as_record(victim), data=forged))
    await tamper(
        container,
        "UPDATE audit_events SET data = :d, hash = :h WHERE seq = :s",
        params={"d": json.dumps(forged, sort_keys=True), "h": rehashed, "s": victim.seq},
    )
    result = await verify(container.db)
    assert result.broken is not None and result.broken.seq == victim.seq + 1


async def test_a_deleted_event_names_the_one_after_the_gap(
    flow: Flow, container: Container
) -> None:
    events = await _flow_with_events(flow, container)
    gone = events[len(events) // 2].seq
    await tamper(container, f"DELETE FROM audit_events WHERE seq = {gone}")  # noqa: S608
    result = await verify(container.db)
    assert result.broken is not None and result.broken.seq == gone + 1


async def test_swapped_events_name_the_first_swapped_one(flow: Flow, container: Container) -> None:
    events = await _flow_with_events(flow, container)
    a, b = events[4], events[5]
    columns = [
        "occurred_at",
        "actor_kind",
        "actor_id",
        "action",
        "subject_type",
        "subject_id",
        "request_id",
        "data",
        "prev_hash",
        "hash",
    ]
    assign = ", ".join(f"{c} = :{c}" for c in columns)
    update = f"UPDATE audit_events SET {assign} WHERE seq = :seq"  # noqa: S608
    select_raw = f"SELECT {', '.join(columns)} FROM audit_events WHERE seq = :seq"  # noqa: S608

    async with container.db.engine.begin() as conn:
        # the stored values as they are, whatever the backend's representation
        raw_a = dict((await conn.execute(text(select_raw), {"seq": a.seq})).mappings().one())
        raw_b = dict((await conn.execute(text(select_raw), {"seq": b.seq})).mappings().one())
    await tamper(
        container,
        update,
        update,
        params=None,
        many=[{**raw_b, "seq": a.seq}, {**raw_a, "seq": b.seq}],
    )
    swapped = await all_events(container)
    assert swapped[4].action == b.action and swapped[4].hash == b.hash  # the swap took
    result = await verify(container.db)
    assert result.broken is not None and result.broken.seq == a.seq


async def test_a_deleted_newest_event_is_reported(flow: Flow, container: Container) -> None:
    events = await _flow_with_events(flow, container)
    last = events[-1].seq
    await tamper(container, f"DELETE FROM audit_events WHERE seq = {last}")  # noqa: S608
    assert await head(container) == (last, events[-1].hash)  # the head still names it
    result = await verify(container.db)
    assert result.broken is not None
    assert result.broken.seq == last
    assert result.checked == last - 1


async def test_a_truncated_log_is_reported(flow: Flow, container: Container) -> None:
    events = await _flow_with_events(flow, container)
    await tamper(container, "DELETE FROM audit_events")
    result = await verify(container.db)
    assert result.broken is not None and result.broken.seq == events[-1].seq


# --- the command line -----------------------------------------------------------------------


async def run_cli(container: Container, *args: str) -> tuple[int, str]:
    """Exit code and standard output of ``trustcenter audit verify`` on the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTCENTER_")}
    env["TRUSTCENTER_DATABASE_URL"] = container.settings.database_url
    if container.db.dialect == "postgresql":
        assert container.settings.database_schema
        env["TRUSTCENTER_DATABASE_SCHEMA"] = container.settings.database_schema
    process = await asyncio.create_subprocess_exec(
        CLI,
        "audit",
        "verify",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    assert "Traceback" not in err.decode(), err.decode()
    return process.returncode, out.decode()


async def test_cli_verify_passes_on_an_intact_log(flow: Flow, container: Container) -> None:
    await _a_full_flow(flow)
    count = await event_count(container)
    code, out = await run_cli(container)
    assert code == 0, out
    assert "intact" in out and str(count) in out
    code, out = await run_cli(container, "--json")
    assert code == 0, out
    assert json.loads(out) == {"ok": True, "events": count}


async def test_cli_verify_fails_and_names_the_broken_event(
    flow: Flow, container: Container
) -> None:
    events = await _flow_with_events(flow, container)
    victim = events[6]
    await tamper(
        container,
        "UPDATE audit_events SET actor_id = 'tc_forged' WHERE seq = :s",
        params={"s": victim.seq},
    )
    code, out = await run_cli(container)
    assert code == 1, out
    assert f"BROKEN at event {victim.seq}:" in out
    code, out = await run_cli(container, "--json")
    assert code == 1, out
    report = json.loads(out)
    assert report["ok"] is False and report["broken_seq"] == victim.seq


async def test_cli_verify_fails_when_the_newest_event_is_gone(
    flow: Flow, container: Container
) -> None:
    events = await _flow_with_events(flow, container)
    await tamper(container, f"DELETE FROM audit_events WHERE seq = {events[-1].seq}")  # noqa: S608
    code, out = await run_cli(container)
    assert code == 1, out
    assert f"BROKEN at event {events[-1].seq}" in out
