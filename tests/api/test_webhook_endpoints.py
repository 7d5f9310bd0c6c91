"""An agency's webhook endpoints over GraphQL (scope ``webhooks:manage``), on SQLite and
PostgreSQL: the secret is answered once and never again, stored sealed when the service has
its secret key; another agency's endpoint does not exist for it; hostile input is a user error
and stores nothing; a rotation keeps the previous secret signing for the overlap; deleting is
for real until a delivery names the endpoint; staff list failed deliveries and an admin allows
a private address, audited; every change is audited without the secret."""

from __future__ import annotations

import base64
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from strawberry.relay import from_base64

from tests.helpers import Actor, World
from trustcenter.auth.secret_box import open_secret
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Agency, AuditEvent, WebhookDelivery, WebhookEndpoint
from trustcenter.domain.webhooks import MAX_ENDPOINTS, ROTATION_OVERLAP
from trustcenter.testing import AGENCY_SCOPES
from trustcenter.web.app import create_app

MANAGE = [*AGENCY_SCOPES, "webhooks:manage"]
ENDPOINT = "id url description eventTypes enabled version previousSecretValidUntil"
CREATE = f"""mutation($i: CreateWebhookEndpointInput!) {{ createWebhookEndpoint(input: $i) {{
  endpoint {{ {ENDPOINT} }} secret userErrors {{ field code message }} }} }}"""
UPDATE = f"""mutation($i: UpdateWebhookEndpointInput!) {{ updateWebhookEndpoint(input: $i) {{
  endpoint {{ {ENDPOINT} }} userErrors {{ field code message }} }} }}"""
DELETE = """mutation($i: WebhookEndpointIdInput!) { deleteWebhookEndpoint(input: $i) {
  deleted userErrors { field code message } } }"""
ROTATE = f"""mutation($i: WebhookEndpointIdInput!) {{ rotateWebhookSecret(input: $i) {{
  endpoint {{ {ENDPOINT} }} secret userErrors {{ field code message }} }} }}"""
LIST = f"""{{ webhookEndpoints {{ {ENDPOINT}
  recentDeliveries {{ pending delivered failed lastFailedEventAt }} }} }}"""
GOOD = {"url": "https://hooks.example.org/trustcenter", "eventTypes": ["request.decided"]}


@pytest.fixture
async def manager(world: World) -> Actor:
    return await world.agency_actor("DE", scopes=MANAGE)


async def create(actor: Actor, **changes: Any) -> dict[str, Any]:
    return (await actor.data(CREATE, {"i": {**GOOD, **changes}}))["createWebhookEndpoint"]


async def created(actor: Actor, **changes: Any) -> dict[str, Any]:
    done = await create(actor, **changes)
    assert done["userErrors"] == [], done
    return done


async def rows(container: Container) -> list[WebhookEndpoint]:
    async with container.db.reader() as s:
        return list(await s.scalars(select(WebhookEndpoint)))


async def audit(container: Container) -> list[AuditEvent]:
    async with container.db.reader() as s:
        query = select(AuditEvent).where(AuditEvent.subject_type == "webhook_endpoint")
        return list(await s.scalars(query.order_by(AuditEvent.seq)))


def endpoint_uuid(global_id: str) -> uuid.UUID:
    kind, raw = from_base64(global_id)
    assert kind == "WebhookEndpoint"
    return uuid.UUID(raw)


async def test_the_scope_is_needed(world: World, container: Container) -> None:
    plain = await world.agency_actor("DE")  # requests:submit, read, disclosures:read
    for query, variables in ((CREATE, {"i": GOOD}), (LIST, None)):
        body = (await plain.gql(query, variables)).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert "webhooks:manage" in body["errors"][0]["message"]
    assert await rows(container) == []


async def test_the_secret_is_answered_once_and_kept_sealed_only_with_the_key(
    manager: Actor, container: Container, clock: FixedClock
) -> None:
    done = await created(manager, description="case system")
    secret = done["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    endpoint = done["endpoint"]
    assert endpoint["url"] == GOOD["url"] and endpoint["eventTypes"] == ["request.decided"]
    assert endpoint["enabled"] is True and endpoint["description"] == "case system"
    # no read answers it again: the type has no such field, and the list does not carry it
    body = (await manager.gql("{ webhookEndpoints { secret } }")).json()
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    listed = (await manager.data(LIST))["webhookEndpoints"]
    assert [e["id"] for e in listed] == [endpoint["id"]] and secret not in json.dumps(listed)
    # development without TRUSTCENTER_SECRET_KEY: in clear, as the worker signs with it
    [row] = await rows(container)
    assert row.secret == secret and row.agency_id == manager.agency_id
    # the audit names the endpoint and its address, never the secret
    [event] = await audit(container)
    assert event.action == "webhook_endpoint.created"
    assert "whsec_" not in event.data and json.loads(event.data)["url"] == GOOD["url"]


@pytest.fixture
async def production(container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """The same database served as production, with a secret key."""
    key = base64.b64encode(b"k" * 32).decode()
    settings = dataclasses.replace(container.settings, env="production", secret_key=key)
    app = create_app(dataclasses.replace(container, settings=settings))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


async def test_production_seals_the_secret_and_refuses_plain_http(
    manager: Actor, production: httpx.AsyncClient, container: Container
) -> None:
    actor = dataclasses.replace(manager, http=production)
    refused = await create(actor, url="http://127.0.0.1:8080/hook")
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [("url", "INVALID_INPUT")]
    assert "https://" in refused["userErrors"][0]["message"] and refused["secret"] is None
    assert await rows(container) == []
    secret = (await created(actor))["secret"]
    [row] = await rows(container)
    assert row.secret.startswith("enc:v1:") and secret not in row.secret
    assert open_secret(b"k" * 32, row.id, row.secret) == secret


HOSTILE = [
    pytest.param({"url": "http://hooks.example.org/x"}, "url", id="http-elsewhere"),
    pytest.param({"url": "https://hooks.example.org/" + "a" * 10_000}, "url", id="10000-chars"),
    pytest.param({"url": "javascript:alert(1)"}, "url", id="javascript"),
    pytest.param({"url": "https://user:pw@hooks.example.org/x"}, "url", id="credentials"),
    pytest.param({"url": "https://hooks.example.org/x\r\nHost: evil"}, "url", id="crlf"),
    pytest.param({"url": "https://hooks.example.org/#frag"}, "url", id="fragment"),
    pytest.param(
        {"eventTypes": ["request.decided", "request.everything"]}, "eventTypes", id="unknown"
    ),
    pytest.param({"eventTypes": []}, "eventTypes", id="no-type"),
    pytest.param({"description": "d" * 201}, "description", id="long-description"),
]


@pytest.mark.parametrize(("changes", "field"), HOSTILE)
async def test_hostile_input_is_a_user_error_and_stores_nothing(
    manager: Actor, container: Container, changes: dict[str, Any], field: str
) -> None:
    done = await create(manager, **changes)
    assert [(e["field"], e["code"]) for e in done["userErrors"]] == [(field, "INVALID_INPUT")]
    assert done["endpoint"] is None and done["secret"] is None
    assert len(json.dumps(done)) < 2000  # the 10,000 characters are not echoed back
    assert await rows(container) == [] and await audit(container) == []
    # the same input refused on a change, which leaves the endpoint as it was
    endpoint = (await created(manager))["endpoint"]
    changed = await manager.data(UPDATE, {"i": {"id": endpoint["id"], **changes}})
    errors = changed["updateWebhookEndpoint"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [(field, "INVALID_INPUT")]
    assert (await manager.data(LIST))["webhookEndpoints"][0] == {
        **endpoint, "recentDeliveries": {"pending": 0, "delivered": 0, "failed": 0,
                                         "lastFailedEventAt": None}}  # fmt: skip


async def test_another_agencys_endpoint_does_not_exist_for_it(
    manager: Actor, world: World, container: Container
) -> None:
    mine = (await created(manager))["endpoint"]
    other = await world.agency_actor("FR", scopes=MANAGE)
    assert (await other.data(LIST))["webhookEndpoints"] == []
    for query, name, extra in (
        (UPDATE, "updateWebhookEndpoint", {"url": "https://evil.example/x", "enabled": False}),
        (ROTATE, "rotateWebhookSecret", {}),
        (DELETE, "deleteWebhookEndpoint", {}),
    ):
        done = (await other.data(query, {"i": {"id": mine["id"], **extra}}))[name]
        assert [(e["field"], e["code"]) for e in done["userErrors"]] == [("id", "NOT_FOUND")]
    [row] = await rows(container)
    assert row.url == GOOD["url"] and row.enabled and row.previous_secret is None
    assert row.version == 1
    # an id that is no endpoint's (or no global id at all) is refused the same way, or as
    # bad input, never as a failure of the server
    gone = (await manager.data(DELETE, {"i": {"id": "UmVxdWVzdDox"}}))["deleteWebhookEndpoint"]
    assert gone["userErrors"][0]["code"] == "NOT_FOUND"
    r = await manager.gql(DELETE, {"i": {"id": "not a global id"}})
    assert r.status_code == 200 and r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_rotation_keeps_the_previous_secret_for_the_overlap(
    manager: Actor, container: Container, clock: FixedClock
) -> None:
    first = await created(manager)
    [before] = await rows(container)
    clock.advance(timedelta(minutes=5))
    rotated = await manager.data(ROTATE, {"i": {"id": first["endpoint"]["id"]}})
    done = rotated["rotateWebhookSecret"]
    assert done["userErrors"] == [] and done["secret"].startswith("whsec_")
    assert done["secret"] != first["secret"]
    [after] = await rows(container)
    assert after.secret == done["secret"] and after.previous_secret == before.secret
    assert after.previous_until == clock.now() + ROTATION_OVERLAP
    assert done["endpoint"]["previousSecretValidUntil"] is not None
    events = [e.action for e in await audit(container)]
    assert events == ["webhook_endpoint.created", "webhook_endpoint.secret_rotated"]
    assert all("whsec_" not in e.data for e in await audit(container))


async def test_changes_and_the_limit(manager: Actor, container: Container) -> None:
    endpoint = (await created(manager))["endpoint"]
    changed = await manager.data(UPDATE, {"i": {
        "id": endpoint["id"], "eventTypes": ["request.closed", "request.received"],
        "enabled": False}})  # fmt: skip
    done = changed["updateWebhookEndpoint"]
    assert done["endpoint"]["eventTypes"] == ["request.closed", "request.received"]
    assert done["endpoint"]["enabled"] is False and done["endpoint"]["version"] == 2
    for _ in range(MAX_ENDPOINTS - 1):
        await created(manager)
    over = await create(manager)
    assert [e["code"] for e in over["userErrors"]] == ["CONFLICT"]
    assert len(await rows(container)) == MAX_ENDPOINTS


async def test_delete_is_for_real_until_a_delivery_names_the_endpoint(
    manager: Actor, container: Container, clock: FixedClock
) -> None:
    unused = (await created(manager))["endpoint"]
    used = (await created(manager))["endpoint"]
    async with container.db.transaction() as s:
        s.add(failed_delivery(endpoint_uuid(used["id"]), manager.agency_id, clock))
    for endpoint in (unused, used):
        done = (await manager.data(DELETE, {"i": {"id": endpoint["id"]}}))["deleteWebhookEndpoint"]
        assert done == {"deleted": True, "userErrors": []}
    assert (await manager.data(LIST))["webhookEndpoints"] == []
    # the used one stays for the deliveries' record: disabled, its secret gone
    [kept] = await rows(container)
    assert kept.id == endpoint_uuid(used["id"]) and not kept.enabled and kept.secret == ""
    async with container.db.reader() as s:
        assert await s.scalar(select(func.count()).select_from(WebhookDelivery)) == 1
    again = (await manager.data(DELETE, {"i": {"id": used["id"]}}))["deleteWebhookEndpoint"]
    assert again["userErrors"][0]["code"] == "NOT_FOUND"


def failed_delivery(
    endpoint_id: uuid.UUID, agency_id: uuid.UUID | None, clock: FixedClock
) -> WebhookDelivery:
    assert agency_id is not None
    now = clock.now()
    return WebhookDelivery(
        endpoint_id=endpoint_id, agency_id=agency_id, message_id="msg_" + uuid.uuid4().hex,
        event_type="request.decided", request_id=None, payload="{}", status="failed",
        attempts=9, available_at=now, created_at=now, last_status=500, last_error="HTTP 500",
    )  # fmt: skip


DELIVERIES = """query($s: WebhookDeliveryStatus) { webhookDeliveries(status: $s) {
  messageId eventType status attempts endpointUrl lastStatus lastError } }"""
ALLOW = """mutation($i: AllowPrivateWebhookAddressInput!) { allowPrivateWebhookAddress(input: $i) {
  endpoint { id } userErrors { code } } }"""


async def test_staff_see_failed_deliveries_and_an_admin_allows_a_private_address(
    manager: Actor, world: World, container: Container, clock: FixedClock
) -> None:
    endpoint = (await created(manager))["endpoint"]
    async with container.db.transaction() as s:
        s.add(failed_delivery(endpoint_uuid(endpoint["id"]), manager.agency_id, clock))
    notices = await world.staff_actor(["notices"])
    [seen] = (await notices.data(DELIVERIES, {"s": "FAILED"}))["webhookDeliveries"]
    assert seen["status"] == "FAILED" and seen["endpointUrl"] == GOOD["url"]
    assert seen["attempts"] == 9 and seen["lastError"] == "HTTP 500"
    assert (await notices.data(DELIVERIES, {"s": "PENDING"}))["webhookDeliveries"] == []
    for first in (0, 100_000):  # out of range: refused as bad input, not a failure
        query = f"{{ webhookDeliveries(first: {first}) {{ messageId }} }}"
        body = (await notices.gql(query)).json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body
    # the agency reads its counts, not the deliveries list
    [listed] = (await manager.data(LIST))["webhookEndpoints"]
    assert listed["recentDeliveries"]["failed"] == 1
    body = (await manager.gql(DELIVERIES, {"s": "FAILED"})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the exception for a private address is an admin's, and audited
    body = (await notices.gql(ALLOW, {"i": {"id": endpoint["id"]}})).json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    admin = await world.staff_actor(["admin"])
    done = (await admin.data(ALLOW, {"i": {"id": endpoint["id"]}}))["allowPrivateWebhookAddress"]
    assert done["userErrors"] == []
    [row] = await rows(container)
    assert row.private_allowed is True
    assert (await audit(container))[-1].action == "webhook_endpoint.private_allowed"


STATUS_EMAILS = """mutation($i: SetStatusEmailsInput!) { setStatusEmails(input: $i) {
  enabled userErrors { code } } }"""


async def test_the_agency_turns_its_status_emails_off(manager: Actor, container: Container) -> None:
    done = (await manager.data(STATUS_EMAILS, {"i": {"enabled": False}}))["setStatusEmails"]
    assert done == {"enabled": False, "userErrors": []}
    async with container.db.reader() as s:
        agency = await s.get(Agency, manager.agency_id)
        assert agency is not None and agency.status_emails is False
        events = await s.scalar(
            select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.action == "agency.status_emails_set")
        )  # fmt: skip
    assert events == 1
