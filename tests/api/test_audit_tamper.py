"""The audit chain holds (SPEC section 2, "Audit event"), on SQLite and PostgreSQL: it verifies
after a flow, the database refuses edits, and an owner who bypasses that guard is caught by
``verify`` and by ``trustcenter audit verify``, which name the first broken event.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from tests.api.audit_helpers import (
    all_events,
    cli_env,
    event_count,
    head,
    verify_in_process,
)
from tests.api.lifecycle_helpers import non_approval
from tests.helpers import OPERATOR, Actor, Flow, World
from tests.support.state_copy import made_once
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import AuditEvent
from trustcenter.db.repositories.audit import as_record
from trustcenter.domain.audit import chain_hash
from trustcenter.services.audit import verify

#: the installed command, next to the interpreter running the tests (.venv/bin)
CLI = str(Path(sys.executable).with_name("trustcenter"))


# --- verification ---------------------------------------------------------------------------


async def _a_full_flow(flow: Flow) -> str:
    req = await flow.in_review()
    await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Which months?")
    await flow.ok(flow.agency, "answerClarification", requestId=req["id"], message="January.")
    current = await flow.read(req["id"])
    await flow.decide(current, *[non_approval(i, "REJECT") for i in current["items"]])
    await flow.ok(flow.staff, "closeRequest", requestId=req["id"])
    return str(req["id"])


@pytest.fixture
async def full_flow(world: World, clock: FixedClock) -> Flow:
    """``flow``'s agency and reviewer after ``_a_full_flow``, made once per process and copied
    after (tests/support/state_copy.py): the tests that start from it check or break the log it
    leaves, none is about making it (``test_the_chain_verifies_after_a_flow`` plays it). The
    clock moves on to where the making left it."""

    async def make() -> tuple[Actor, Actor, datetime]:
        agency, staff = await world.agency_actor("DE"), await world.staff_actor()
        await _a_full_flow(Flow(world, clock, agency, staff))
        return agency, staff, clock.now()

    def handed_back(kept: tuple[Actor, Actor, datetime]) -> tuple[Actor, Actor, datetime]:
        agency, staff, now = kept
        return replace(agency, http=world.http), replace(staff, http=world.http), now

    agency, staff, now = await made_once(world.container, "audit: a full flow", make, handed_back)
    clock.set(now)
    return Flow(world, clock, agency, staff)


async def test_the_chain_verifies_after_a_flow(flow: Flow, container: Container) -> None:
    await _a_full_flow(flow)
    result = await verify(container, OPERATOR)
    assert result.broken is None
    assert result.checked == await event_count(container) > 10
    events = await all_events(container)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert await head(container) == (events[-1].seq, events[-1].hash)
    for earlier, later in itertools.pairwise(events):
        assert later.prev_hash == earlier.hash


async def test_an_empty_log_verifies(container: Container) -> None:
    result = await verify(container, OPERATOR)
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
    assert (await verify(container, OPERATOR)).broken is None


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


async def _flow_with_events(container: Container) -> list[AuditEvent]:
    """The events ``full_flow`` left, sealed, the chain intact."""
    events = await all_events(container)
    assert len(events) >= 10
    assert (await verify(container, OPERATOR)).broken is None
    return events


@pytest.mark.usefixtures("full_flow")
async def test_an_edited_event_is_named(container: Container) -> None:
    events = await _flow_with_events(container)
    victim = next(e for e in events if e.action == "request.decided")
    forged = json.loads(victim.data)
    forged["to"] = "approved"
    await tamper(
        container,
        "UPDATE audit_events SET data = :d WHERE seq = :s",
        params={"d": json.dumps(forged, sort_keys=True), "s": victim.seq},
    )
    result = await verify(container, OPERATOR)
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
@pytest.mark.usefixtures("full_flow")
async def test_any_edited_column_is_named(container: Container, column: str, value: Any) -> None:
    events = await _flow_with_events(container)
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
    result = await verify(container, OPERATOR)
    assert result.broken is not None and result.broken.seq == victim.seq


@pytest.mark.usefixtures("full_flow")
async def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(container: Container) -> None:
    events = await _flow_with_events(container)
    victim = events[3]
    forged = json.loads(victim.data)
    forged["forged"] = True
    rehashed = chain_hash(dataclasses.replace(as_record(victim), data=forged))
    await tamper(
        container,
        "UPDATE audit_events SET data = :d, hash = :h WHERE seq = :s",
        params={"d": json.dumps(forged, sort_keys=True), "h": rehashed, "s": victim.seq},
    )
    result = await verify(container, OPERATOR)
    assert result.broken is not None and result.broken.seq == victim.seq + 1


@pytest.mark.usefixtures("full_flow")
async def test_a_deleted_event_names_the_one_after_the_gap(container: Container) -> None:
    events = await _flow_with_events(container)
    gone = events[len(events) // 2].seq
    await tamper(container, f"DELETE FROM audit_events WHERE seq = {gone}")  # noqa: S608
    result = await verify(container, OPERATOR)
    assert result.broken is not None and result.broken.seq == gone + 1


@pytest.mark.usefixtures("full_flow")
async def test_swapped_events_name_the_first_swapped_one(container: Container) -> None:
    events = await _flow_with_events(container)
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
    result = await verify(container, OPERATOR)
    assert result.broken is not None and result.broken.seq == a.seq


@pytest.mark.usefixtures("full_flow")
async def test_a_deleted_newest_event_is_reported(container: Container) -> None:
    events = await _flow_with_events(container)
    last = events[-1].seq
    await tamper(container, f"DELETE FROM audit_events WHERE seq = {last}")  # noqa: S608
    assert await head(container) == (last, events[-1].hash)  # the head still names it
    result = await verify(container, OPERATOR)
    assert result.broken is not None
    assert result.broken.seq == last
    assert result.checked == last - 1


@pytest.mark.usefixtures("full_flow")
async def test_a_truncated_log_is_reported(container: Container) -> None:
    events = await _flow_with_events(container)
    await tamper(container, "DELETE FROM audit_events")
    result = await verify(container, OPERATOR)
    assert result.broken is not None and result.broken.seq == events[-1].seq


# --- the command line -----------------------------------------------------------------------


async def run_cli(container: Container, *args: str) -> tuple[int, str]:
    """Exit code and standard output of the installed ``trustcenter audit verify``, started as
    its own process on the test database (once per backend: the other runs are in process,
    ``verify_in_process``)."""
    process = await asyncio.create_subprocess_exec(
        CLI,
        "audit",
        "verify",
        *args,
        env=cli_env(container),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    assert "Traceback" not in err.decode(), err.decode()
    return process.returncode, out.decode()


@pytest.mark.usefixtures("full_flow")
async def test_cli_verify_passes_on_an_intact_log(container: Container) -> None:
    count = await event_count(container)
    code, out = await verify_in_process(container)
    assert code == 0, out
    assert "intact" in out and str(count) in out
    code, out = await verify_in_process(container, "--json")
    assert code == 0, out
    # the tests' app seals nothing: every event is still in the unsealed tail
    assert json.loads(out) == {"ok": True, "events": count, "unsealed": count}
    await all_events(container)  # seals them
    code, out = await verify_in_process(container, "--json")
    assert json.loads(out) == {"ok": True, "events": count, "unsealed": 0}


@pytest.mark.usefixtures("full_flow")
async def test_cli_verify_fails_and_names_the_broken_event(container: Container) -> None:
    events = await _flow_with_events(container)
    victim = events[6]
    await tamper(
        container,
        "UPDATE audit_events SET actor_id = 'tc_forged' WHERE seq = :s",
        params={"s": victim.seq},
    )
    code, out = await run_cli(container)  # the installed command, its own process
    assert code == 1, out
    assert f"BROKEN at event {victim.seq}:" in out
    code, out = await verify_in_process(container, "--json")
    assert code == 1, out
    report = json.loads(out)
    assert report["ok"] is False and report["broken_seq"] == victim.seq


@pytest.mark.usefixtures("full_flow")
async def test_cli_verify_fails_when_the_newest_event_is_gone(container: Container) -> None:
    events = await _flow_with_events(container)
    await tamper(container, f"DELETE FROM audit_events WHERE seq = {events[-1].seq}")  # noqa: S608
    code, out = await verify_in_process(container)
    assert code == 1, out
    assert f"BROKEN at event {events[-1].seq}" in out
