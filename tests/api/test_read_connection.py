"""A GraphQL request reads on one pooled connection, gives it back however it ends, and reads
what is committed (``db.shared_reads``). On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import timedelta
from typing import Any

import aiosqlite.core
import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from tests.helpers import Flow, checkouts, counting
from trustcenter.bootstrap import Container
from trustcenter.db.repositories.requests import RequestRepository
from trustcenter.services import reads

LIST = """query($first: Int) { requests(first: $first) { totalCount edges { node {
  id status agency { name } legalBasis { kind } targets { identifier items { infoType } }
} } } }"""


def in_use(container: Container) -> int:
    """Connections checked out for requests (not the one the auth epoch's reads keep)."""
    pool = container.db.engine.sync_engine.pool
    return int(pool.checkedout()) - container.uow.kept_connections  # type: ignore[attr-defined]


async def test_a_list_request_reads_on_one_connection(world, container, clock):
    agency = await world.agency_actor("DE")
    for _ in range(3):
        clock.advance(timedelta(seconds=1))
        await agency.submit()
    with checkouts(container.db.engine) as seen, counting(container.db.engine) as statements:
        page = (await agency.data(LIST, {"first": 10}))["requests"]
    assert page["totalCount"] == 3 and len(page["edges"]) == 3
    assert all(e["node"]["targets"] for e in page["edges"])
    # the token's standing, the page, its count and the loaders' batches: one connection
    assert len(statements) >= 5, statements
    assert len(seen) == 1
    assert in_use(container) == 0


async def test_the_agency_list_reads_without_an_orm_session(world, container, clock):
    """The token's epoch, the page and its agencies are Core reads on the request's
    connection: the list makes no session for them, and answers the same rows."""
    agency = await world.agency_actor("DE")
    for _ in range(2):
        clock.advance(timedelta(seconds=1))
        await agency.submit()
    query = "{ requests(first: 10) { edges { node { id status agency { name } } } } }"
    await agency.data(query)  # the token's standing read and remembered
    begun: list[object] = []

    def record(*args: object) -> None:
        begun.append(args)

    event.listen(Session, "after_begin", record)
    try:
        with counting(container.db.engine) as statements:
            edges = (await agency.data(query))["requests"]["edges"]
    finally:
        event.remove(Session, "after_begin", record)
    names = [e["node"]["agency"]["name"] for e in edges]
    assert len(names) == 2 and names[0] and names[0] == names[1]
    assert len(statements) == 3 and begun == []  # the epoch, the page, the agencies


async def test_a_request_that_fails_gives_its_connection_back(world, container, clock, monkeypatch):
    agency = await world.agency_actor("DE")
    await agency.submit()
    original = reads.agencies_by_ids

    async def broken(*args: Any) -> Any:
        await original(*args)  # read, then fail
        raise RuntimeError("the agency loader broke")

    monkeypatch.setattr(reads, "agencies_by_ids", broken)
    r = await agency.gql(LIST, {"first": 10})
    assert r.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert in_use(container) == 0
    monkeypatch.setattr(reads, "agencies_by_ids", original)
    with checkouts(container.db.engine) as seen:
        assert len((await agency.data(LIST, {"first": 10}))["requests"]["edges"]) == 1
    assert len(seen) == 1
    assert in_use(container) == 0


async def test_a_cancelled_request_gives_its_connection_back(world, container, monkeypatch):
    """The client goes away while the page is being read (the server cancels the request):
    the connection is back in the pool when the request has ended, and the next request
    reads as usual."""
    agency = await world.agency_actor("DE")
    await agency.submit()
    reading, never = asyncio.Event(), asyncio.Event()
    original = RequestRepository.page

    async def stuck(self: RequestRepository, *args: Any, **kwargs: Any) -> Any:
        found = await original(self, *args, **kwargs)
        reading.set()
        await never.wait()  # inside the read unit, holding the shared connection
        return found

    monkeypatch.setattr(RequestRepository, "page", stuck)
    request = asyncio.ensure_future(agency.gql(LIST, {"first": 10}))
    await asyncio.wait_for(reading.wait(), 30)
    assert in_use(container) == 1
    request.cancel()
    with pytest.raises(asyncio.CancelledError):
        await request
    assert in_use(container) == 0
    monkeypatch.setattr(RequestRepository, "page", original)
    assert len((await agency.data(LIST, {"first": 10}))["requests"]["edges"]) == 1
    assert in_use(container) == 0


ASK = """mutation($input: AskClarificationInput!) { askClarification(input: $input) {
  request { status messages { author body } } userErrors { message } } }"""


async def test_a_mutation_answers_with_what_it_committed(flow: Flow, container):
    """The answer's messages are read after the write committed, in the request that read the
    token's standing before the write: they include the question just asked."""
    req = await flow.in_review()
    with checkouts(container.db.engine) as seen:
        answer = (
            await flow.staff.data(
                ASK, {"input": {"requestId": req["id"], "message": "Which months?"}}
            )
        )["askClarification"]
    assert answer["userErrors"] == []
    assert answer["request"]["status"] == "CLARIFICATION_REQUESTED"
    assert answer["request"]["messages"] == [{"author": "STAFF", "body": "Which months?"}]
    # the write, then the answer's reads (the standing is read on the epoch's kept connection):
    # the read connection is taken after the write gave its connection back (never two at once)
    assert len(seen) == 2
    assert in_use(container) == 0
    assert (await flow.read(req["id"]))["messages"] == answer["request"]["messages"]


async def test_reads_sharing_a_connection_see_what_others_committed_between_them(
    container: Container, flow: Flow
):
    """The shared connection holds no snapshot: a unit begun after another request's write
    committed sees the write, on the same connection."""
    with checkouts(container.db.engine) as seen:
        async with container.db.shared_reads() as shared:
            async with container.uow.read() as uow:
                before = await uow.clients.auth_epoch()
            assert shared.checked_out and len(seen) == 1

            async def elsewhere() -> None:  # another request: not this one's connection
                async with container.uow() as w:
                    await w.clients.move_auth_epoch()

            await asyncio.create_task(elsewhere(), context=contextvars.Context())
            assert shared.checked_out and len(seen) == 2
            async with container.uow.read() as uow:
                after = await uow.clients.auth_epoch()
            assert len(seen) == 2  # the same read connection
    assert before is not None and after == before + 1
    assert in_use(container) == 0


async def test_a_read_unit_writes_nothing(container: Container, flow: Flow):
    """A read unit's statements commit themselves, so what a read unit changes is refused at
    flush and never written (nor flushed before its next read)."""
    async with container.uow.read() as uow:
        client = (await uow.clients.all())[0]
        client.name = "renamed in a read"
        await uow.clients.all()  # a read after the change flushes nothing
        with pytest.raises(RuntimeError, match="read unit writes nothing"):
            await uow.flush()
    async with container.uow.read() as uow:
        assert "renamed in a read" not in [c.name for c in await uow.clients.all()]


async def test_a_statement_is_one_trip_to_sqlites_thread(world, container, clock, monkeypatch):
    """SQLite runs in a thread of its own (aiosqlite) and every trip there costs two thread
    switches: a list request makes one trip per statement, and giving its connection back
    makes none (no transaction to roll back)."""
    if container.db.dialect != "sqlite":
        pytest.skip("SQLite's driver thread only")
    agency = await world.agency_actor("DE")
    for _ in range(2):
        clock.advance(timedelta(seconds=1))
        await agency.submit()
    trips: list[object] = []
    original = aiosqlite.core.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(fn)
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.core.Connection, "_execute", counted)
    with counting(container.db.engine) as statements:
        assert len((await agency.data(LIST, {"first": 10}))["requests"]["edges"]) == 2
    assert len(trips) == len(statements), (trips, statements)
