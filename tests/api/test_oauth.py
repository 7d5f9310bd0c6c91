"""The authorization server: client credentials at /oauth/token, metadata, JWKS."""

from __future__ import annotations

import base64
import json

from tests.helpers import OPERATOR
from trustcenter.domain.enums import VerificationState
from trustcenter.services.agencies import set_verification


def _claims(token: str) -> tuple[dict, dict]:
    head, body, _ = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (
        json.loads(base64.urlsafe_b64decode(pad(head))),
        json.loads(base64.urlsafe_b64decode(pad(body))),
    )


async def test_client_secret_basic_issues_an_rfc9068_token(world, clock):
    actor = await world.agency_actor("DE")
    r = await world.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(actor.client_id, actor.client_secret),
    )
    assert r.status_code == 200
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] <= 3600
    header, claims = _claims(body["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "ES256" and header["kid"]
    assert claims["iss"] == "http://localhost"
    assert claims["aud"] == "urn:trustcenter:api"
    assert claims["sub"] == claims["client_id"] == actor.client_id
    assert claims["iat"] == int(clock.now().timestamp())
    assert 0 < claims["exp"] - claims["iat"] <= 3600
    assert claims["jti"]
    assert set(claims["scope"].split()) == {"requests:submit", "requests:read", "disclosures:read"}


async def test_client_secret_post_works_and_scope_can_be_narrowed(world):
    actor = await world.agency_actor("FR")
    r = await world.http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": actor.client_id,
            "client_secret": actor.client_secret,
            "scope": "requests:read",
        },
    )
    assert r.status_code == 200
    assert r.json()["scope"] == "requests:read"
    assert _claims(r.json()["access_token"])[1]["scope"] == "requests:read"


async def test_each_token_has_its_own_id(world):
    actor = await world.agency_actor("DE")
    first = _claims(await actor.fetch_token())[1]["jti"]
    second = _claims(await actor.fetch_token())[1]["jti"]
    assert first != second


async def test_wrong_secret_unknown_client_and_no_credentials_are_invalid_client(world):
    actor = await world.agency_actor("DE")
    for auth in [(actor.client_id, "not-the-secret"), ("tc_nobody", actor.client_secret)]:
        r = await world.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=auth
        )
        assert r.status_code == 401
        assert r.json()["error"] == "invalid_client"
        assert "access_token" not in r.json()
    r = await world.http.post("/oauth/token", data={"grant_type": "client_credentials"})
    assert r.status_code in (400, 401)
    assert r.json()["error"] in ("invalid_client", "invalid_request")


async def test_a_scope_the_client_does_not_hold_is_refused(world):
    actor = await world.agency_actor("DE", scopes=["requests:read"])
    for scope in ["requests:submit", "admin", "no-such-scope"]:
        r = await world.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": scope},
            auth=(actor.client_id, actor.client_secret),
        )
        assert r.status_code == 400, scope
        assert r.json()["error"] == "invalid_scope"


async def test_other_grant_types_are_refused(world):
    actor = await world.agency_actor("DE")
    r = await world.http.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "x", "password": "y"},
        auth=(actor.client_id, actor.client_secret),
    )
    assert r.status_code == 400
    assert r.json()["error"] == "unsupported_grant_type"


async def test_token_request_must_be_a_form(world):
    actor = await world.agency_actor("DE")
    r = await world.http.post(
        "/oauth/token",
        json={"grant_type": "client_credentials"},
        auth=(actor.client_id, actor.client_secret),
    )
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


async def test_suspended_agency_gets_no_token_and_its_tokens_stop_working(world, container):
    actor = await world.agency_actor("DE")
    await set_verification(container, OPERATOR, actor.agency_id, VerificationState.SUSPENDED)
    r = await world.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(actor.client_id, actor.client_secret),
    )
    assert r.status_code == 401
    r = await actor.gql("{ me { clientId } }")
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_client_secret_is_not_stored_in_clear(world, container):
    from sqlalchemy import select

    from trustcenter.db.models import OAuthClient

    actor = await world.agency_actor("DE")
    async with container.db.reader() as session:
        row = (await session.scalars(select(OAuthClient))).one()
    assert row.secret_sha256 != actor.client_secret
    assert actor.client_secret not in row.secret_sha256


async def test_metadata_follows_rfc8414(world):
    r = await world.http.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 200
    meta = r.json()
    assert meta["issuer"] == "http://localhost"
    assert meta["token_endpoint"] == "http://localhost/oauth/token"
    assert meta["jwks_uri"] == "http://localhost/.well-known/jwks.json"
    assert meta["grant_types_supported"] == ["client_credentials"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    }
    assert {"requests:submit", "review", "admin"} <= set(meta["scopes_supported"])


async def test_jwks_publishes_the_public_key_that_signs_tokens(world, container):
    actor = await world.agency_actor("DE")
    header, _ = _claims(actor.token)
    jwks = (await world.http.get("/.well-known/jwks.json")).json()
    keys = {k["kid"]: k for k in jwks["keys"]}
    assert header["kid"] in keys
    key = keys[header["kid"]]
    assert key["kty"] == "EC" and key["crv"] == "P-256"
    assert "d" not in key  # never the private part


async def test_key_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    world, container
):
    actor = await world.agency_actor("DE")
    old_token = actor.token
    old_kid = _claims(old_token)[0]["kid"]
    new_kid = await container.keys.rotate(container.clock.now())
    assert new_kid != old_kid
    assert (await actor.gql("{ me { clientId } }", token=old_token)).status_code == 200
    new_token = await actor.fetch_token()
    assert _claims(new_token)[0]["kid"] == new_kid
    kids = {k["kid"] for k in (await world.http.get("/.well-known/jwks.json")).json()["keys"]}
    assert {old_kid, new_kid} <= kids


async def test_signing_keys_survive_a_restart(world, container):
    """Keys are stored: a second process (a new KeyStore) verifies the first one's tokens."""
    from trustcenter.auth.keys import KeyStore

    actor = await world.agency_actor("DE")
    other = KeyStore(container.db)
    await other.load(container.clock.now())
    assert other.knows(_claims(actor.token)[0]["kid"])


async def test_a_key_rotated_by_another_process_is_used_after_a_while(world, container, clock):
    from datetime import timedelta

    from trustcenter.auth.keys import KeyStore

    actor = await world.agency_actor("DE")
    other_process = KeyStore(container.db)
    await other_process.load(clock.now())
    new_kid = await other_process.rotate(clock.now())
    assert _claims(await actor.fetch_token())[0]["kid"] != new_kid  # not yet noticed
    clock.advance(timedelta(minutes=6))
    assert _claims(await actor.fetch_token())[0]["kid"] == new_kid
