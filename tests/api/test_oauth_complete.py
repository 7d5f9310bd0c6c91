"""The OAuth server is complete: revocation (RFC 7009), introspection (RFC 7662), client
management (list, revoke, rotate a secret with a grace period), signing keys encrypted at rest
and retired once no token they signed can still be valid."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from joserfc import jwt
from joserfc.jwk import ECKey
from sqlalchemy import select

from trustcenter.cli import main
from trustcenter.db.models import AuditEvent, OAuthClient, RevokedToken

ME = "{ me { clientId } }"
SECRET_KEY = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))  # type: ignore[no-any-return]


async def revoke(world, actor, token: str, **extra: str):
    return await world.http.post(
        "/oauth/revoke", data={"token": token, **extra}, auth=(actor.client_id, actor.client_secret)
    )


async def introspect(world, actor, token: str):
    return await world.http.post(
        "/oauth/introspect", data={"token": token}, auth=(actor.client_id, actor.client_secret)
    )


async def audit(container, action: str) -> list[dict[str, Any]]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
        return [json.loads(e.data) if isinstance(e.data, str) else e.data for e in rows]


def cli(container, *args: str, env: dict[str, str | None] | None = None):
    base: dict[str, str | None] = {
        "TRUSTCENTER_DATABASE_URL": container.settings.database_url,
        "TRUSTCENTER_DATABASE_SCHEMA": container.settings.database_schema,
        "TRUSTCENTER_PLUGINS": "",
        "TRUSTCENTER_ISSUER": None,
        "TRUSTCENTER_ENV": None,
        "TRUSTCENTER_SECRET_KEY": None,
    }
    base.update(env or {})
    return asyncio.to_thread(CliRunner().invoke, main, list(args), env=base)


# --- revocation -------------------------------------------------------------------------------


async def test_a_revoked_token_stops_working_at_once(world, container):
    actor = await world.agency_actor("DE")
    assert (await actor.gql(ME)).status_code == 200
    r = await revoke(world, actor, actor.token, token_type_hint="access_token")
    assert r.status_code == 200 and r.json() == {}
    assert r.headers["cache-control"] == "no-store"
    r = await actor.gql(ME)
    assert r.status_code == 401
    assert "invalid_token" in r.headers["www-authenticate"]
    async with container.db.reader() as s:
        row = await s.get(RevokedToken, _claims(actor.token)["jti"])
    assert row is not None and row.client_id == actor.client_id
    assert int(row.expires_at.timestamp()) == _claims(actor.token)["exp"]
    events = await audit(container, "token.revoked")
    assert [e["jti"] for e in events] == [_claims(actor.token)["jti"]]
    # a new token works: the client is not revoked, only that token
    await actor.fetch_token()
    assert (await actor.gql(ME)).status_code == 200


async def test_unknown_and_garbage_tokens_answer_200(world):
    actor = await world.agency_actor("DE")
    for token in ["no-such-token", "a.b.c", "x" * 5000]:
        r = await revoke(world, actor, token)
        assert r.status_code == 200, token
    assert (await actor.gql(ME)).status_code == 200


async def test_another_client_cannot_revoke_my_token(world, container):
    mine = await world.agency_actor("DE")
    other = await world.agency_actor("FR")
    r = await revoke(world, other, mine.token)
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_grant"
    assert (await mine.gql(ME)).status_code == 200
    assert await audit(container, "token.revoked") == []


async def test_revocation_needs_client_authentication(world):
    actor = await world.agency_actor("DE")
    for auth in [None, (actor.client_id, "wrong"), ("tc_nobody", "x")]:
        r = await world.http.post("/oauth/revoke", data={"token": actor.token}, auth=auth)
        assert r.status_code in (400, 401), auth
        assert r.json()["error"] in ("invalid_client", "invalid_request")
    # a failed authentication answers exactly as at the token endpoint
    wrong = (actor.client_id, "wrong")
    at_token = await world.http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=wrong
    )
    for path in ("/oauth/revoke", "/oauth/introspect"):
        r = await world.http.post(path, data={"token": actor.token}, auth=wrong)
        assert (r.status_code, r.json()) == (at_token.status_code, at_token.json())
    # nor does a bearer token authenticate a client there
    r = await world.http.post(
        "/oauth/revoke",
        data={"token": actor.token},
        headers={"Authorization": f"Bearer {actor.token}"},
    )
    assert r.status_code in (400, 401)
    assert (await actor.gql(ME)).status_code == 200


# --- introspection ----------------------------------------------------------------------------


async def test_introspection_needs_the_introspect_scope(world):
    agency = await world.agency_actor("DE")
    staff = await world.staff_actor()  # every staff scope but introspect
    for caller in (agency, staff):
        r = await introspect(world, caller, agency.token)
        assert r.status_code == 403
        assert r.json()["error"] == "insufficient_scope"
        assert "active" not in r.json()


async def test_introspection_of_an_active_token(world, container, clock):
    agency = await world.agency_actor("DE")
    rs = await world.staff_actor(scopes=["introspect"])
    r = await introspect(world, rs, agency.token)
    assert r.status_code == 200
    body = r.json()
    claims = _claims(agency.token)
    assert body == {
        "active": True,
        "scope": " ".join(sorted(claims["scope"].split())),
        "client_id": agency.client_id,
        "sub": agency.client_id,
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": "http://localhost",
        "aud": "urn:trustcenter:api",
        "token_type": "Bearer",
        "jti": claims["jti"],
    }


async def test_introspection_answers_inactive_for_revoked_expired_foreign_and_garbage(
    world, container, clock
):
    agency = await world.agency_actor("DE")
    rs = await world.staff_actor(scopes=["introspect"])
    # garbage, and a token with the right claims signed by a key this server does not have
    key = ECKey.generate_key("P-256", parameters={"kid": "foreign"})
    forged = jwt.encode(
        {"alg": "ES256", "typ": "at+jwt", "kid": "foreign"}, _claims(agency.token), key
    )
    for token in ["garbage", forged]:
        assert (await introspect(world, rs, token)).json() == {"active": False}
    # revoked
    first = agency.token
    assert (await revoke(world, agency, first)).status_code == 200
    assert (await introspect(world, rs, first)).json() == {"active": False}
    # a revoked client's token
    other = await world.agency_actor("FR")
    assert (await introspect(world, rs, other.token)).json()["active"] is True
    async with container.db.transaction() as s:
        row = (
            await s.scalars(select(OAuthClient).where(OAuthClient.client_id == other.client_id))
        ).one()
        row.revoked_at = clock.now()
    assert (await introspect(world, rs, other.token)).json() == {"active": False}
    # expired (the introspecting client fetches a fresh token of its own first)
    live = await agency.fetch_token()
    clock.advance(timedelta(hours=2))
    assert (await introspect(world, rs, live)).json() == {"active": False}


async def test_metadata_names_revocation_and_introspection(world):
    meta = (await world.http.get("/.well-known/oauth-authorization-server")).json()
    assert meta["revocation_endpoint"] == "http://localhost/oauth/revoke"
    assert meta["introspection_endpoint"] == "http://localhost/oauth/introspect"
    methods = set(meta["token_endpoint_auth_methods_supported"])
    assert set(meta["revocation_endpoint_auth_methods_supported"]) == methods
    assert set(meta["introspection_endpoint_auth_methods_supported"]) == methods
    assert "response_types_supported" not in meta
    assert "introspect" in meta["scopes_supported"]
    if "service_documentation" in meta:
        path = meta["service_documentation"].removeprefix("http://localhost")
        assert (await world.http.get(path)).status_code == 200


# --- client management ------------------------------------------------------------------------

CLIENTS = """query($a: ID) { clients(agencyId: $a) {
  clientId scopes revokedAt secretRotatedAt previousSecretValidUntil agency { id } } }"""
REVOKE_CLIENT = """mutation($i: RevokeClientInput!) { revokeClient(input: $i) {
  client { clientId revokedAt } userErrors { field code message } } }"""
ROTATE = """mutation($i: RotateClientSecretInput!) { rotateClientSecret(input: $i) {
  client { clientId secretRotatedAt previousSecretValidUntil } clientSecret
  userErrors { field code message } } }"""


async def token_status(world, client_id: str, secret: str) -> int:
    r = await world.http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    return r.status_code


async def test_clients_are_listed_for_admins_only(world):
    de = await world.agency_actor("DE")
    fr = await world.agency_actor("FR")
    admin = await world.staff_actor(scopes=["admin"])
    reviewer = await world.staff_actor(scopes=["review"])
    listed = (await admin.data(CLIENTS))["clients"]
    assert {c["clientId"] for c in listed} == {
        de.client_id,
        fr.client_id,
        admin.client_id,
        reviewer.client_id,
    }
    me = await de.data("{ me { agency { id } } }")
    only_de = (await admin.data(CLIENTS, {"a": me["me"]["agency"]["id"]}))["clients"]
    assert [c["clientId"] for c in only_de] == [de.client_id]
    assert only_de[0]["agency"]["id"] == me["me"]["agency"]["id"]
    for caller in (reviewer, de):
        body = (await caller.gql(CLIENTS)).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert not body.get("data")


async def test_revoking_a_client_over_graphql_stops_its_tokens_at_once(world, container):
    agency = await world.agency_actor("DE")
    admin = await world.staff_actor(scopes=["admin"])
    other_admin_token = admin.token
    payload = (await admin.data(REVOKE_CLIENT, {"i": {"clientId": agency.client_id}}))[
        "revokeClient"
    ]
    assert payload["userErrors"] == [] and payload["client"]["revokedAt"]
    assert (await agency.gql(ME)).status_code == 401
    assert await token_status(world, agency.client_id, agency.client_secret) == 401
    # a second revocation and an unknown client are the admin's errors, not internal ones
    again = await admin.data(REVOKE_CLIENT, {"i": {"clientId": agency.client_id}})
    assert again["revokeClient"]["userErrors"][0]["code"] == "CONFLICT"
    unknown = await admin.data(REVOKE_CLIENT, {"i": {"clientId": "tc_nobody"}})
    assert unknown["revokeClient"]["userErrors"][0]["code"] == "NOT_FOUND"
    events = await audit(container, "client.revoked")
    assert len(events) == 1
    assert (await admin.gql(ME, token=other_admin_token)).status_code == 200
    # a reviewer may not revoke anyone
    reviewer = await world.staff_actor(scopes=["review"])
    victim = await world.agency_actor("FR")
    r = await reviewer.gql(REVOKE_CLIENT, {"i": {"clientId": victim.client_id}})
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await victim.gql(ME)).status_code == 200


async def test_rotation_without_grace_ends_the_old_secret_at_once(world, container):
    agency = await world.agency_actor("DE")
    admin = await world.staff_actor(scopes=["admin"])
    payload = (await admin.data(ROTATE, {"i": {"clientId": agency.client_id}}))[
        "rotateClientSecret"
    ]
    assert payload["userErrors"] == []
    new = payload["clientSecret"]
    assert new and new != agency.client_secret
    assert payload["client"]["previousSecretValidUntil"] is None
    assert await token_status(world, agency.client_id, agency.client_secret) == 401
    assert await token_status(world, agency.client_id, new) == 200
    # tokens issued before the rotation stay valid: the secret changed, not the client
    assert (await agency.gql(ME)).status_code == 200
    (event,) = await audit(container, "client.secret_rotated")
    assert event["grace_seconds"] == 0 and event["previous_valid_until"] is None


async def test_rotation_with_grace_keeps_the_old_secret_until_the_clock_passes(
    world, container, clock
):
    agency = await world.agency_actor("DE")
    admin = await world.staff_actor(scopes=["admin"])
    payload = (await admin.data(ROTATE, {"i": {"clientId": agency.client_id, "graceSeconds": 60}}))[
        "rotateClientSecret"
    ]
    new = payload["clientSecret"]
    assert payload["client"]["previousSecretValidUntil"].startswith("2026-11-30T09:01:00")
    assert await token_status(world, agency.client_id, agency.client_secret) == 200
    assert await token_status(world, agency.client_id, new) == 200
    clock.advance(timedelta(seconds=59))
    assert await token_status(world, agency.client_id, agency.client_secret) == 200
    clock.advance(timedelta(seconds=1))
    assert await token_status(world, agency.client_id, agency.client_secret) == 401
    assert await token_status(world, agency.client_id, new) == 200
    (event,) = await audit(container, "client.secret_rotated")
    assert event["grace_seconds"] == 60
    assert event["previous_valid_until"].startswith("2026-11-30T09:01:00")
    # a second rotation ends the first secret's grace: only the newest two can ever work
    later = (await admin.data(ROTATE, {"i": {"clientId": agency.client_id, "graceSeconds": 60}}))[
        "rotateClientSecret"
    ]["clientSecret"]
    assert await token_status(world, agency.client_id, agency.client_secret) == 401
    assert await token_status(world, agency.client_id, new) == 200
    assert await token_status(world, agency.client_id, later) == 200


@pytest.mark.parametrize("grace", [-1, 7 * 24 * 3600 + 1])
async def test_a_grace_out_of_range_is_refused(world, grace):
    agency = await world.agency_actor("DE")
    admin = await world.staff_actor(scopes=["admin"])
    payload = (
        await admin.data(ROTATE, {"i": {"clientId": agency.client_id, "graceSeconds": grace}})
    )["rotateClientSecret"]
    assert payload["userErrors"][0]["field"] == "graceSeconds"
    assert payload["clientSecret"] is None
    assert await token_status(world, agency.client_id, agency.client_secret) == 200


async def test_the_cli_lists_revokes_and_rotates(world, container):
    de = await world.agency_actor("DE")
    fr = await world.agency_actor("FR")
    r = await cli(container, "client", "list", "--agency", str(de.agency_id), "--json")
    assert r.exit_code == 0, r.output
    assert [c["client_id"] for c in json.loads(r.stdout)] == [de.client_id]
    r = await cli(container, "client", "rotate-secret", fr.client_id, "--grace", "600", "--json")
    assert r.exit_code == 0, r.output
    rotated = json.loads(r.stdout)
    assert rotated["previous_secret_valid_until"]
    # the CLI runs on the real clock; the suite's clock is earlier, so both secrets work
    assert await token_status(world, fr.client_id, rotated["client_secret"]) == 200
    assert await token_status(world, fr.client_id, fr.client_secret) == 200
    r = await cli(container, "client", "rotate-secret", fr.client_id)
    assert r.exit_code == 0 and "shown only this once" in r.output
    assert "no longer works" in r.output
    assert await token_status(world, fr.client_id, rotated["client_secret"]) == 401
    r = await cli(container, "client", "revoke", de.client_id)
    assert r.exit_code == 0, r.output
    assert (await de.gql(ME)).status_code == 401
    r = await cli(container, "client", "revoke", de.client_id)
    assert r.exit_code == 2 and "revoked" in r.output and "Traceback" not in r.output
    r = await cli(container, "client", "list")
    assert r.exit_code == 0
    line = next(x for x in r.output.splitlines() if x.startswith(de.client_id))
    assert "revoked" in line
    assert [e["grace_seconds"] for e in await audit(container, "client.secret_rotated")] == [600, 0]
    assert len(await audit(container, "client.revoked")) == 1
