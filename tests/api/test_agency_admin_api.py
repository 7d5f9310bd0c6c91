"""Agencies and clients administered over GraphQL (issue 14, the console's agencies page), on
SQLite and PostgreSQL: an admin lists agencies by verification state, creates one, creates
its client (the secret answered once, and it gets tokens), and suspends the agency, saying
why (its clients' tokens stop at once). Bad input and callers without ``admin`` change nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select
from strawberry.relay import to_base64

from tests.helpers import Actor, World
from trustcenter.bootstrap import Container
from trustcenter.db.models import Agency, AuditEvent, OAuthClient

AGENCIES = """query($v: VerificationState) { agencies(verification: $v) {
  id name kind country region verification } }"""
CREATE_AGENCY = """mutation($i: CreateAgencyInput!) { createAgency(input: $i) {
  agency { id name kind country region verification }
  userErrors { field code message } } }"""
SUSPEND = """mutation($i: SuspendAgencyInput!) { suspendAgency(input: $i) {
  agency { id verification } userErrors { field code message } } }"""
CREATE_CLIENT = """mutation($i: CreateClientInput!) { createClient(input: $i) {
  client { clientId name scopes authMethod revokedAt agency { id name } }
  clientSecret userErrors { field code message } } }"""
CLIENTS = "{ clients { clientId name scopes } }"
#: an agency id nobody has
NOWHERE = to_base64("Agency", "00000000-0000-4000-8000-000000000001")


@pytest.fixture
async def admin(world: World) -> Actor:
    return await world.staff_actor(["admin"])


async def rows(container: Container) -> tuple[int, int, int]:
    """What a refused call must leave as it was: agencies, clients and audit events."""
    async with container.db.reader() as s:
        counts = [
            int(await s.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Agency, OAuthClient, AuditEvent)
        ]
    return counts[0], counts[1], counts[2]


async def events(container: Container, action: str) -> list[AuditEvent]:
    async with container.db.reader() as s:
        found = await s.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
        return list(found.all())


async def create_agency(admin: Actor, **changes: Any) -> dict[str, Any]:
    given = {"name": "Polizei Hamburg", "kind": "LAW_ENFORCEMENT", "country": "de"} | changes
    out: dict[str, Any] = (await admin.data(CREATE_AGENCY, {"i": given}))["createAgency"]
    return out


async def test_an_admin_creates_an_agency_and_lists_agencies_by_verification(
    world: World, admin: Actor
) -> None:
    verified = await world.agency("FR", name="Police FR")
    created = await create_agency(admin, region="DE-HH", contactEmail="Lage@Polizei.example")
    assert created["userErrors"] == []
    agency = created["agency"]
    assert agency["verification"] == "PENDING"
    assert (agency["country"], agency["region"], agency["kind"]) == (
        "DE",
        "DE-HH",
        "LAW_ENFORCEMENT",
    )

    every = (await admin.data(AGENCIES))["agencies"]
    assert {a["name"] for a in every} == {"Police FR", "Polizei Hamburg"}
    assert [a["country"] for a in every] == ["DE", "FR"]  # by country and name
    pending = (await admin.data(AGENCIES, {"v": "PENDING"}))["agencies"]
    assert [a["id"] for a in pending] == [agency["id"]]
    ok = (await admin.data(AGENCIES, {"v": "VERIFIED"}))["agencies"]
    assert [a["id"] for a in ok] == [to_base64("Agency", str(verified))]
    assert (await admin.data(AGENCIES, {"v": "SUSPENDED"}))["agencies"] == []


async def test_a_bad_agency_is_refused_whole(admin: Actor, container: Container) -> None:
    before = await rows(container)
    refused = await create_agency(admin, name="  ", country="XX", region="FR-75")
    assert refused["agency"] is None
    assert {e["field"] for e in refused["userErrors"]} == {"name", "country", "region"}
    assert await rows(container) == before


async def test_an_admin_creates_a_client_whose_secret_is_answered_once_and_gets_tokens(
    world: World, admin: Actor, container: Container
) -> None:
    agency = (await create_agency(admin))["agency"]
    created = (
        await admin.data(
            CREATE_CLIENT,
            {"i": {"agencyId": agency["id"], "name": " Leitstelle ", "scopes": ["requests:read"]}},
        )
    )["createClient"]
    assert created["userErrors"] == []
    client, secret = created["client"], created["clientSecret"]
    assert secret and len(secret) >= 32
    assert client["name"] == "Leitstelle" and client["scopes"] == ["requests:read"]
    assert client["authMethod"] == "client_secret" and client["revokedAt"] is None
    assert client["agency"] == {"id": agency["id"], "name": "Polizei Hamburg"}

    # the secret works at the token endpoint, and is nowhere to be read again
    actor = Actor(world.http, client["clientId"], secret, None)
    await actor.fetch_token()
    me = (await actor.data("{ me { clientId kind scopes } }"))["me"]
    assert me == {"clientId": client["clientId"], "kind": "AGENCY", "scopes": ["requests:read"]}
    listed = (await admin.data(CLIENTS))["clients"]
    assert secret not in json.dumps(listed)
    async with container.db.reader() as s:
        row = (
            await s.scalars(select(OAuthClient).where(OAuthClient.client_id == client["clientId"]))
        ).one()
    assert secret not in json.dumps([row.secret_sha256, row.previous_secret_sha256])
    [event] = [
        e for e in await events(container, "client.created") if e.subject_id == client["clientId"]
    ]
    assert secret not in event.data

    # a staff client (agencyId null) for automation
    staff = (
        await admin.data(CREATE_CLIENT, {"i": {"name": "Nightly export", "scopes": ["audit"]}})
    )["createClient"]
    assert staff["client"]["agency"] is None
    robot = Actor(world.http, staff["client"]["clientId"], staff["clientSecret"], None)
    await robot.fetch_token()
    verified = (await robot.data("{ auditVerification { intact } }"))["auditVerification"]
    assert verified == {"intact": True}


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        ({"scopes": ["review"], "agency": True}, "scopes", "INVALID_INPUT"),
        ({"scopes": ["requests:submit"]}, "scopes", "INVALID_INPUT"),
        ({"scopes": []}, "scopes", "INVALID_INPUT"),
        ({"scopes": ["audit"], "name": "   "}, "name", "INVALID_INPUT"),
        ({"scopes": ["audit"], "name": "x" * 201}, "name", "INVALID_INPUT"),
        ({"scopes": ["requests:read"], "agencyId": "unknown"}, "agencyId", "NOT_FOUND"),
    ],
)
async def test_a_client_that_may_not_be_is_refused_and_nothing_is_stored(
    world: World, admin: Actor, container: Container, given: dict[str, Any], field: str, code: str
) -> None:
    agency = to_base64("Agency", str(await world.agency("DE")))
    i: dict[str, Any] = {"name": given.get("name", "A client"), "scopes": given["scopes"]}
    if given.get("agency"):
        i["agencyId"] = agency
    if given.get("agencyId"):
        i["agencyId"] = NOWHERE
    before = await rows(container)
    refused = (await admin.data(CREATE_CLIENT, {"i": i}))["createClient"]
    assert refused["client"] is None and refused["clientSecret"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [(field, code)]
    assert await rows(container) == before


async def test_suspending_an_agency_stops_its_clients_tokens_and_records_why(
    world: World, admin: Actor, container: Container
) -> None:
    agency = await world.agency_actor("DE")
    other = await world.agency_actor("FR")
    gid = to_base64("Agency", str(agency.agency_id))
    assert (await agency.gql("{ me { clientId } }")).status_code == 200

    why = "The unit was dissolved; its cases moved to LKA 4."
    done = (await admin.data(SUSPEND, {"i": {"agencyId": gid, "reason": f"  {why} "}}))[
        "suspendAgency"
    ]
    assert done == {"agency": {"id": gid, "verification": "SUSPENDED"}, "userErrors": []}
    r = await agency.gql("{ me { clientId } }")
    assert r.status_code == 401
    refused = await world.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(agency.client_id, agency.client_secret),
    )
    assert refused.status_code == 401
    assert (await other.gql("{ me { clientId } }")).status_code == 200  # only that agency's
    [event] = await events(container, "agency.suspended")
    data = json.loads(event.data)
    assert (data["from"], data["to"], data["reason"]) == ("verified", "suspended", why)
    assert event.actor_id == admin.client_id

    # suspending it again, without a reason, or an agency that does not exist changes nothing
    before = await rows(container)
    for i, expected in (
        ({"agencyId": gid, "reason": "again"}, ("agencyId", "CONFLICT")),
        ({"agencyId": to_base64("Agency", str(other.agency_id)), "reason": " "}, None),
        (
            {
                "agencyId": NOWHERE,
                "reason": "x",
            },
            ("agencyId", "NOT_FOUND"),
        ),
    ):
        payload = (await admin.data(SUSPEND, {"i": i}))["suspendAgency"]
        assert payload["agency"] is None
        got = [(e["field"], e["code"]) for e in payload["userErrors"]]
        assert got == [expected or ("reason", "INVALID_INPUT")], payload
    assert await rows(container) == before
    assert (await other.gql("{ me { clientId } }")).status_code == 200


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (AGENCIES, {}),
        (CREATE_AGENCY, {"i": {"name": "X", "kind": "LAW_ENFORCEMENT", "country": "DE"}}),
        (SUSPEND, {"i": {"agencyId": "AGENCY", "reason": "because"}}),
        (CREATE_CLIENT, {"i": {"name": "X", "scopes": ["audit"]}}),
    ],
)
async def test_without_admin_nothing_is_listed_or_changed(
    world: World, container: Container, query: str, variables: dict[str, Any]
) -> None:
    agency = await world.agency_actor("DE")
    gid = to_base64("Agency", str(agency.agency_id))
    if "i" in variables and variables["i"].get("agencyId") == "AGENCY":
        variables = {"i": variables["i"] | {"agencyId": gid}}
    callers = [
        agency,
        await world.staff_actor(["review", "notices", "reports", "audit"]),
    ]
    before = await rows(container)
    for caller in callers:
        body = (await caller.gql(query, variables)).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert await rows(container) == before
    assert (await agency.gql("{ me { clientId } }")).status_code == 200
