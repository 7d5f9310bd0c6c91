"""Status events into the webhook outbox, on SQLite and PostgreSQL: each of the eight events is
written when it happens, once per enabled endpoint of the request's agency that chose its type
(none for a disabled endpoint, none for another agency's), in the transaction of the change (a
change that rolls back leaves none); the body carries the request's id as the API shows it, its
status, version and a link, and nothing the request says (no identifier, officer, reason)."""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry.relay import from_base64

from tests.helpers import OPERATOR, RELEASE, Actor, Flow, World, counting, submission
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Account, StatusEmail, WebhookDelivery
from trustcenter.domain.lifecycle import Operation
from trustcenter.domain.webhooks import EventType
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load
from trustcenter.services.changes import apply, lock_request
from trustcenter.testing import AGENCY_SCOPES

MANAGE = [*AGENCY_SCOPES, "webhooks:manage"]
ALL = [t.value for t in EventType]
CREATE = """mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) {
  endpoint { id } userErrors { message } } }"""
DISABLE = """mutation($i: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $i) {
  endpoint { enabled } userErrors { message } } }"""
TARGET = [{"identifierType": "EMAIL", "identifier": "user@example.com", "infoTypes": ["A"]}]


async def endpoint(actor: Actor, types: list[str], *, enabled: bool = True) -> uuid.UUID:
    given = {"url": "https://hooks.example.org/h", "eventTypes": types}
    done = (await actor.data(CREATE, {"i": given}))["createWebhookEndpoint"]
    assert done["userErrors"] == [], done
    if not enabled:
        off = await actor.data(DISABLE, {"i": {"id": done["endpoint"]["id"], "enabled": False}})
        assert off["updateWebhookEndpoint"]["endpoint"]["enabled"] is False
    return uuid.UUID(from_base64(done["endpoint"]["id"])[1])


async def deliveries(container: Container) -> list[WebhookDelivery]:
    async with container.db.reader() as s:
        query = select(WebhookDelivery).order_by(WebhookDelivery.created_at)
        return list(await s.scalars(query))


class Hooks:
    """Agency A with three endpoints (every type; decisions only; every type but disabled)
    and agency B with one of every type."""

    def __init__(self, flow: Flow, every: uuid.UUID, decided: uuid.UUID) -> None:
        self.flow, self.every, self.decided = flow, every, decided

    async def since(self, seen: int) -> list[tuple[uuid.UUID, str, uuid.UUID | None]]:
        rows = (await deliveries(self.flow.container))[seen:]
        return [(r.endpoint_id, r.event_type, r.request_id) for r in rows]


@pytest.fixture
async def hooks(world: World, clock: FixedClock, container: Container) -> Hooks:
    async with container.db.transaction() as s:
        s.add(Account(username="user", email="user@example.com", region="DE",
                      registered_at=datetime(2024, 1, 1, tzinfo=UTC)))  # fmt: skip
    agency = await world.agency_actor("DE", scopes=MANAGE)
    every = await endpoint(agency, ALL)
    decided = await endpoint(agency, ["request.decided"])
    await endpoint(agency, ALL, enabled=False)
    other = await world.agency_actor("FR", scopes=MANAGE)
    await endpoint(other, ALL)
    flow = Flow(world, clock, agency, await world.staff_actor())
    return Hooks(flow, every, decided)


def rid(global_id: str) -> uuid.UUID:
    return uuid.UUID(from_base64(global_id)[1])


async def test_each_event_is_owed_to_the_endpoints_that_chose_it(hooks: Hooks) -> None:
    flow, every = hooks.flow, hooks.every
    seen = 0

    async def step(expected: list[tuple[uuid.UUID, str, str]]) -> None:
        nonlocal seen
        got = await hooks.since(seen)
        assert Counter(got) == Counter((e, t, rid(r)) for e, t, r in expected), got
        seen += len(got)

    req = await flow.submit(targets=TARGET)
    await step([(every, "request.received", req["id"])])
    await flow.ok(flow.staff, "startReview", requestId=req["id"])
    await step([])  # no event an agency is told of
    await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Which month?")
    await step([(every, "request.clarification_requested", req["id"])])
    await flow.ok(flow.agency, "answerClarification", requestId=req["id"], message="June.")
    await step([])
    read = await flow.read(req["id"])
    await flow.decide(read, *[{"itemId": i["id"], "outcome": "APPROVE"} for i in read["items"]])
    await step([(every, "request.decided", req["id"]), (hooks.decided, "request.decided",
                                                          req["id"])])  # fmt: skip
    done = await flow.staff.data(RELEASE, {"i": {"requestId": req["id"]}})
    assert done["releaseDisclosure"]["userErrors"] == []
    await step([(every, "request.disclosure_ready", req["id"])])
    await flow.ok(flow.staff, "closeRequest", requestId=req["id"])
    await step([(every, "request.closed", req["id"])])

    pulled = await flow.submit()
    await flow.ok(flow.agency, "withdrawRequest", requestId=pulled["id"], reason="solved")
    await step([(every, "request.received", pulled["id"]),
                (every, "request.withdrawn", pulled["id"])])  # fmt: skip
    old = await flow.submit()
    new = await flow.ok(flow.agency, "reviseRequest", requestId=old["id"], revision=submission())
    await step([(every, "request.received", old["id"]), (every, "request.received", new["id"]),
                (every, "request.superseded", old["id"])])  # fmt: skip

    rows = await deliveries(flow.container)
    assert {r.agency_id for r in rows} == {flow.agency.agency_id}
    assert {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {0}
    assert len({r.message_id for r in rows}) == len(rows)
    assert all(len(r.message_id) == 36 and r.message_id.startswith("msg_") for r in rows)


async def test_the_body_holds_ids_status_and_links_and_nothing_the_request_says(
    hooks: Hooks, container: Container
) -> None:
    flow = hooks.flow
    req = await flow.submit()
    read = await flow.read(req["id"], flow.agency)
    [row] = await deliveries(container)
    body = json.loads(row.payload)
    assert body["type"] == "request.received"
    assert datetime.fromisoformat(body["timestamp"]) == flow.clock.now()
    assert body["data"] == {
        "requestId": read["id"],  # as the API shows it: a global id the agency can query
        "status": read["status"],
        "version": read["version"],
        "links": {"request": container.settings.issuer + "/graphql"},
    }
    officer = submission()["officer"]
    said = [officer["name"], officer["email"], officer["phone"], submission()["reason"]]
    said += ["Suspect", "suspect@example.com", "c6n1234567", "AG-2026-113", "Tiergarten"]
    assert not [s for s in said if s.lower() in row.payload.lower()]


async def test_a_change_that_rolls_back_leaves_no_event(hooks: Hooks, container: Container) -> None:
    req = await hooks.flow.submit()
    await hooks.flow.ok(hooks.flow.staff, "startReview", requestId=req["id"])
    before = [r.message_id for r in await deliveries(container)]
    async with container.db.reader() as s:
        mails = await s.scalar(select(func.count()).select_from(StatusEmail))

    class Broke(Exception):
        pass

    with pytest.raises(Broke):
        async with container.uow() as uow:
            row = await lock_request(uow, OPERATOR, rid(req["id"]), None, agency_only=False)
            await apply(uow, container.clock, OPERATOR, row, Operation.ASK_CLARIFICATION, "x")
            await uow.flush()
            assert len((await uow.webhook_endpoints.audience(row.agency_id)).endpoints) == 2
            raise Broke  # anything after the change fails: the whole unit rolls back
    assert [r.message_id for r in await deliveries(container)] == before
    async with container.db.reader() as s:  # nor the officer's status e-mail
        assert await s.scalar(select(func.count()).select_from(StatusEmail)) == mails
    assert (await hooks.flow.read(req["id"]))["status"] == "IN_REVIEW"


async def test_a_submission_reads_the_endpoints_with_the_agency_and_writes_one_insert(
    world: World, container: Container
) -> None:
    agency = await world.agency_actor("DE", scopes=MANAGE)
    await agency.submit()
    with counting(container.db.engine) as none:
        await agency.submit()
    await endpoint(agency, ["request.received"])
    await endpoint(agency, ALL)
    with counting(container.db.engine) as two:
        await agency.submit()
    hooks = [s for s in none if "webhook" in s]
    assert len(hooks) == 1 and hooks[0].lstrip().upper().startswith("SELECT")
    # two endpoints: still one read, and their rows in one INSERT
    assert len(two) == len(none) + 1
    kinds = [(s.split()[0].upper(), "webhook_deliveries" in s) for s in two if "webhook" in s]
    assert kinds == [("SELECT", False), ("INSERT", True)]
    assert len(await deliveries(container)) == 2


@pytest.fixture
def with_preservation(container: Container) -> Container:
    import trustcenter_preservation.plugin

    container.plugins = PluginHost(  # type: ignore[misc]
        *load("", extra=[("preservation", trustcenter_preservation.plugin)])
    )
    return container


PRESERVATION_BASIS: dict[str, Any] = {
    "kind": "PRESERVATION_ORDER",
    "reference": "P-1",
    "issuedBy": "StA Berlin",
    "issuedAt": "2026-11-01",
    "document": base64.b64encode(b"%PDF-1.4 preservation order").decode(),
}
EXTEND = """mutation($i: ExtendHoldInput!) { extendHold(input: $i) {
  request { holdExtensions } userErrors { code message } } }"""


async def test_an_extended_hold_is_a_deadline_extended_event(
    with_preservation: Container, world: World
) -> None:
    agency = await world.agency_actor("DE", scopes=MANAGE)
    every = await endpoint(agency, ALL)
    request = await agency.submit(category="PRESERVATION", legalBasis=PRESERVATION_BASIS)
    staff = await world.staff_actor()
    done = await staff.data(EXTEND, {"i": {"requestId": request["id"], "justification": "more"}})
    assert done["extendHold"]["request"]["holdExtensions"] == 1
    rows = await deliveries(with_preservation)
    assert [(r.endpoint_id, r.event_type) for r in rows] == [
        (every, "request.received"), (every, "request.deadline_extended")]  # fmt: skip
    assert json.loads(rows[-1].payload)["data"]["version"] == 2


async def test_a_transition_of_an_agency_without_endpoints_costs_one_read(
    flow: Flow, container: Container
) -> None:
    req = await flow.in_review()
    with counting(container.db.engine) as statements:
        await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Which?")
    hooks = [s for s in statements if "webhook" in s]
    assert len(hooks) == 1 and hooks[0].lstrip().upper().startswith("SELECT"), hooks
    # and the officer's status e-mail (the agency has no contact address): one INSERT
    writes = [s.split()[2] for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert writes.count("status_emails") == 1 and "webhook_deliveries" not in writes
    assert await deliveries(container) == []
