"""The audit chain sealed by one sealer, on SQLite and PostgreSQL: writers add unsealed events
without touching a shared row, the sealer chains them in short transactions, a sealer killed
mid-transaction leaves nothing half done, two sealers never fork the chain or seal an event
twice, and ``verify`` names a tampered event in the sealed part and in the unsealed tail."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import select, text

from tests.api.audit_helpers import (
    all_events,
    cli_env,
    event_count,
    stored_head,
    verify_in_process,
)
from tests.api.test_audit_tamper import CLI, tamper
from tests.helpers import OPERATOR, Flow, counting
from trustcenter.bootstrap import Container
from trustcenter.db.models import AuditEvent
from trustcenter.domain.audit import Actor
from trustcenter.services.audit import seal, verify
from trustcenter.web.app import create_app

ACTOR = Actor("system", "sealing-test")


async def add_events(container: Container, n: int, per_unit: int = 500) -> None:
    """``n`` unsealed events, written the way every service writes them."""
    for start in range(0, n, per_unit):
        async with container.uow() as uow:
            for i in range(start, min(n, start + per_unit)):
                await uow.audit.record(
                    container.clock, ACTOR, "test.event", ("test", i), data={"i": i}
                )


async def positions(container: Container) -> list[tuple[int, int | None]]:
    """(number, chain position) of every event, in number order."""
    async with container.db.reader() as session:
        rows = await session.execute(select(AuditEvent.seq, AuditEvent.position))
        return sorted((int(s), p) for s, p in rows.all())


# --- writers and the tail -------------------------------------------------------------------


async def test_a_write_touches_no_shared_row(container: Container) -> None:
    """An event is one INSERT (and, on PostgreSQL, the next number of a sequence): the chain's
    head is neither read nor locked, so writers never queue behind each other on it."""
    async with container.uow() as uow:
        with counting(container.db.engine) as statements:
            await uow.audit.record(container.clock, ACTOR, "test.event", ("test", 1))
            await uow.flush()
    assert not any("audit_head" in s or "FOR UPDATE" in s.upper() for s in statements)
    # on PostgreSQL the row waits for the unit's next statement, here its flush, to go with
    # any others in one (``db.write_batch``)
    assert sum("INSERT INTO audit_events" in s for s in statements) == 1
    assert len(statements) == 2  # the number, then the row


async def test_new_events_wait_unsealed_and_verify_covers_them(
    flow: Flow, container: Container
) -> None:
    await all_events(container)  # what the fixtures wrote is sealed
    sealed_head = await stored_head(container)
    await flow.submit()
    found = await verify(container, OPERATOR)
    assert found.broken is None and found.unsealed >= 1
    assert found.checked == await event_count(container)
    assert await stored_head(container) == sealed_head  # writers never move the head
    result = await seal(container)
    assert result.sealed == found.unsealed and result.stuck is None
    after = await verify(container, OPERATOR)
    assert after.broken is None and after.unsealed == 0 and after.checked == found.checked


async def test_an_edited_unsealed_event_is_named_and_never_sealed(
    flow: Flow, container: Container
) -> None:
    await all_events(container)
    await flow.submit()
    await flow.submit()
    tail = [e for e in await positions(container) if e[1] is None]
    assert len(tail) >= 2
    victim = tail[-1][0]
    await tamper(
        container,
        "UPDATE audit_events SET actor_id = 'tc_forged' WHERE seq = :s",
        params={"s": victim},
    )
    found = await verify(container, OPERATOR)
    assert found.broken is not None and found.broken.seq == victim
    assert "edited" in found.broken.reason
    # the sealer chains what comes before it and stops there: a forgery is not laundered
    result = await seal(container)
    assert result.stuck is not None and result.stuck.seq == victim
    assert result.sealed == len(tail) - 1
    assert dict(await positions(container))[victim] is None
    code, out = await verify_in_process(container)
    assert code == 1 and f"BROKEN at event {victim}:" in out


async def test_an_unsealed_event_claiming_a_place_in_the_chain_is_named(
    flow: Flow, container: Container
) -> None:
    await all_events(container)
    await flow.submit()
    victim = max(s for s, p in await positions(container) if p is None)
    await tamper(
        container,
        "UPDATE audit_events SET prev_hash = :h WHERE seq = :s",
        params={"h": "0" * 64, "s": victim},
    )
    found = await verify(container, OPERATOR)
    assert found.broken is not None and found.broken.seq == victim


async def test_the_database_lets_an_event_be_sealed_only_once(
    flow: Flow, container: Container
) -> None:
    await flow.submit()
    await all_events(container)
    with pytest.raises(Exception, match="append-only"):
        async with container.db.engine.begin() as conn:
            await conn.execute(text("UPDATE audit_events SET position = 999 WHERE seq = 1"))
    with pytest.raises(Exception, match="append-only"):
        async with container.db.engine.begin() as conn:  # nor an unsealed one given new content
            await conn.execute(
                text(
                    "INSERT INTO audit_events (seq, occurred_at, actor_kind, actor_id, action, "
                    "subject_type, subject_id, data, prev_hash, hash) VALUES (9999, "
                    "'2026-01-01 00:00:00', 'x', 'x', 'x', 'x', 'x', '{}', '', 'x')"
                )
            )
            await conn.execute(
                text(
                    "UPDATE audit_events SET position = 10000, prev_hash = 'a', hash = 'b', "
                    "data = '{\"forged\": 1}' WHERE seq = 9999"
                )
            )
    assert (await verify(container, OPERATOR)).broken is None


# --- the sealer -----------------------------------------------------------------------------


async def test_seal_chains_in_bounded_transactions(container: Container) -> None:
    await add_events(container, 250)
    result = await seal(container, batch=100)
    assert (result.sealed, result.rounds, result.stuck) == (250 + 1, 3, None)  # + the key's
    placed = await positions(container)
    assert [p for _, p in placed] == list(range(1, len(placed) + 1))
    assert (await seal(container, batch=100)).sealed == 0  # nothing twice
    assert (await verify(container, OPERATOR)).broken is None


async def test_two_sealers_at_once_never_fork_or_seal_twice(container: Container) -> None:
    await add_events(container, 600)
    first, second = await asyncio.gather(seal(container, batch=25), seal(container, batch=25))
    assert first.sealed + second.sealed == 601
    placed = await positions(container)
    assert sorted(p for _, p in placed if p is not None) == list(range(1, 602))
    found = await verify(container, OPERATOR)
    assert found.broken is None and found.unsealed == 0 and found.checked == 601


async def test_two_sealing_processes_at_once(container: Container) -> None:
    await add_events(container, 800)
    procs = [
        await asyncio.create_subprocess_exec(
            CLI,
            "audit",
            "seal",
            "--batch",
            "20",
            "--json",
            env=cli_env(container),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outs = [await asyncio.wait_for(p.communicate(), timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    sealed = [json.loads(out)["sealed"] for out, _ in outs]
    assert sum(sealed) == 801
    placed = await positions(container)
    assert sorted(p for _, p in placed if p is not None) == list(range(1, 802))
    assert (await verify(container, OPERATOR)).broken is None


KILLED_SEALER = """
import asyncio, sys
from trustcenter.bootstrap import build

async def main():
    container = build()
    try:
        async with container.uow() as uow:
            found = await uow.audit.seal(int(sys.argv[1]))
            print(found.sealed, flush=True)
            await asyncio.sleep(600)  # killed here, before the commit
    finally:
        await container.close()

asyncio.run(main())
"""


async def test_a_sealer_killed_mid_transaction_leaves_nothing_half_done(
    container: Container,
) -> None:
    await add_events(container, 3000, per_unit=1000)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        KILLED_SEALER,
        "5000",
        env=cli_env(container),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), timeout=120)
        assert int(line) == 3001  # every event placed, inside the open transaction
    finally:
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
    assert proc.returncode == -signal.SIGKILL
    found = await verify(container, OPERATOR)
    assert found.broken is None and found.unsealed == 3001  # rolled back, all of it
    result = await seal(container)  # the head's lock went with the killed connection
    assert result.sealed == 3001 and result.stuck is None
    found = await verify(container, OPERATOR)
    assert found.broken is None and found.unsealed == 0 and found.checked == 3001


async def test_an_event_committed_late_is_sealed_in_a_later_round(container: Container) -> None:
    if container.db.dialect != "postgresql":
        pytest.skip("SQLite's writers take turns: none can commit behind another")
    await seal(container)
    late = container.uow()
    uow = await late.__aenter__()
    try:
        early = await uow.audit.record(container.clock, ACTOR, "test.late", ("test", 1))
        await uow.flush()
        await add_events(container, 3)  # numbered after it, committed before it
        assert (await seal(container)).sealed == 3
    finally:
        await late.__aexit__(None, None, None)  # commits
    assert (await seal(container)).sealed == 1
    placed = dict(await positions(container))
    assert placed[early.seq] == max(p for p in placed.values() if p is not None)
    assert (await verify(container, OPERATOR)).broken is None
    events = await all_events(container)  # readers keep number order
    assert [e.seq for e in events] == sorted(e.seq for e in events)


async def test_writers_do_not_wait_while_a_sealer_holds_the_head(container: Container) -> None:
    """While one sealing transaction holds the head's lock, writers on four other connections
    each insert their event and stand inside their open transactions at once: PostgreSQL's
    lock table shows the sealer holding the head and not one writer waiting for a lock."""
    if container.db.dialect != "postgresql":
        pytest.skip("SQLite's writers take turns by design")
    await add_events(container, 5)
    writers: list[int] = []
    all_in, release = asyncio.Event(), asyncio.Event()

    async def write(i: int) -> None:
        async with container.uow() as w:
            writers.append(int(await w._session.scalar(text("SELECT pg_backend_pid()"))))
            await w.audit.record(container.clock, ACTOR, "test.parallel", ("test", i))
            await w.flush()  # the INSERT is done
            if len(writers) == 4:
                all_in.set()
            await release.wait()

    sealer = container.uow()
    uow = await sealer.__aenter__()
    try:
        assert (await uow.audit.seal(100)).sealed == 6  # head locked, not committed
        tasks = [asyncio.create_task(write(i)) for i in range(4)]
        try:
            await asyncio.wait_for(all_in.wait(), timeout=60)
            async with container.db.reader() as r:
                holder = (
                    (
                        await r.execute(
                            text(
                                "SELECT pid FROM pg_locks WHERE relation = 'audit_head'::regclass "
                                "AND mode = 'RowShareLock' AND granted"
                            )
                        )
                    )
                    .scalars()
                    .all()
                )
                waiting = await r.scalar(
                    text(
                        "SELECT COUNT(*) FROM pg_stat_activity WHERE pid = ANY(:p) "
                        "AND (wait_event_type = 'Lock' OR state = 'active')"
                    ),
                    {"p": writers},
                )
            assert len(holder) == 1 and holder[0] not in writers  # the sealer holds the head
            assert waiting == 0  # four writers inside their transactions, none waiting
        finally:
            release.set()
            await asyncio.gather(*tasks)
        assert await event_count(container) == 10  # committed while the seal is still open
    finally:
        await sealer.__aexit__(None, None, None)
    assert (await seal(container)).sealed == 4
    assert (await verify(container, OPERATOR)).broken is None


# --- the background sealer ------------------------------------------------------------------


@pytest.fixture
async def sealing_app(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run and a sealer every 50 ms (the tests' app has none)."""
    app = create_app(container, seal_every=0.05)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as c:
            yield c


async def test_serving_seals_in_the_background_and_stops_cleanly(
    container: Container, sealing_app: httpx.AsyncClient
) -> None:
    await add_events(container, 30)
    for _ in range(200):  # until the sealer has been round (rounds every 50 ms)
        if (await verify(container, OPERATOR)).unsealed == 0:
            break
        await asyncio.sleep(0.05)
    found = await verify(container, OPERATOR)
    assert found.broken is None and found.unsealed == 0 and found.checked == 31


async def test_a_stopped_sealer_leaves_no_connection_open(container: Container) -> None:
    app = create_app(container, seal_every=0.05)
    async with app.router.lifespan_context(app):
        await add_events(container, 10)
        await asyncio.sleep(0.2)
    # none but the one the auth epoch's reads keep (db.epoch_reads)
    kept = container.uow.kept_connections
    assert container.db.engine.pool.checkedout() == kept  # type: ignore[attr-defined]
    await add_events(container, 1)  # and the log is still writable: nothing holds a lock
    assert (await verify(container, OPERATOR)).broken is None
