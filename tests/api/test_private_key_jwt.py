"""private_key_jwt (RFC 7523): an agency client registered with its public keys authenticates
with an assertion signed by its private key; every bent assertion is ``invalid_client`` with the
one text every failed authentication gets."""

from __future__ import annotations

import base64
import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import ECKey
from sqlalchemy import update

from tests.helpers import OPERATOR
from trustcenter.auth.server import hash_secret
from trustcenter.db.models import OAuthClient
from trustcenter.domain.errors import DomainError
from trustcenter.services.clients import create_client, revoke_client
from trustcenter.web.app import create_app

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
TOKEN_ENDPOINT = "http://localhost/oauth/token"
REFUSED = {"error": "invalid_client", "error_description": "client authentication failed"}


@dataclasses.dataclass
class KeyClient:
    client_id: str
    key: ECKey


def public_jwks(key: ECKey) -> dict[str, Any]:
    return {"keys": [key.as_dict(private=False)]}


def new_key(kid: str = "agency-key-1") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid})


@pytest.fixture
async def key_client(world, container) -> KeyClient:
    agency = await world.agency("DE")
    key = new_key()
    new = await create_client(
        container,
        OPERATOR,
        scopes=["requests:submit", "requests:read"],
        agency_id=agency,
        jwks=public_jwks(key),
    )
    assert new.client_secret is None
    return KeyClient(new.client_id, key)


def assertion(container, client: KeyClient, key: ECKey | None = None, **changes: Any) -> str:
    now = int(container.clock.now().timestamp())
    claims: dict[str, Any] = {
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": TOKEN_ENDPOINT,
        "iat": now,
        "exp": now + 60,
        "jti": f"jti-{now}-{id(changes)}",
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    signer = key or client.key
    # the claims as JSON with escapes, so that even a lone surrogate can be sent
    payload = json.dumps(claims).encode()
    return jws.serialize_compact({"alg": "ES256", "kid": signer.kid}, payload, signer)


async def present(http: httpx.AsyncClient, signed: str, **extra: str) -> httpx.Response:
    return await http.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": signed,
            **extra,
        },
    )


def claims_of(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


async def assert_refused(r: httpx.Response) -> None:
    assert r.status_code == 401, r.text
    assert r.json() == REFUSED
    assert r.headers["www-authenticate"].startswith("Basic")


async def test_a_good_assertion_gets_a_token_that_works(world, container, key_client):
    r = await present(world.http, assertion(container, key_client))
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    assert claims_of(token)["client_id"] == key_client.client_id
    me = await world.http.post(
        "/graphql",
        json={"query": "{ me { clientId } }"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert me.json()["data"]["me"]["clientId"] == key_client.client_id
    # client_id in the form as well is allowed when it names the same client
    again = assertion(container, key_client, jti="with-client-id")
    r = await present(world.http, again, client_id=key_client.client_id)
    assert r.status_code == 200, r.text


async def test_the_metadata_offers_private_key_jwt_with_its_algorithms(world):
    meta = (await world.http.get("/.well-known/oauth-authorization-server")).json()
    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]
    algs = meta["token_endpoint_auth_signing_alg_values_supported"]
    assert "ES256" in algs and "none" not in algs and "HS256" not in algs


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "http://localhost"},  # the issuer, not the token endpoint
        {"aud": "http://elsewhere.example/oauth/token"},
        {"exp": None},
        {"exp": -120},  # expired two minutes ago (relative, see below)
        {"exp": 3600},  # valid for an hour: too long
        {"jti": None},
        {"iss": "tc_someone_else"},
    ],
    ids=["aud-issuer", "aud-elsewhere", "no-exp", "expired", "long-lived", "no-jti", "iss"],
)
async def test_bent_assertions_are_invalid_client(world, container, key_client, changes):
    now = int(container.clock.now().timestamp())
    if isinstance(changes.get("exp"), int):
        changes = {**changes, "exp": now + changes["exp"]}
    await assert_refused(await present(world.http, assertion(container, key_client, **changes)))


async def test_a_replayed_assertion_is_refused(world, container, key_client):
    signed = assertion(container, key_client, jti="once-only")
    assert (await present(world.http, signed)).status_code == 200
    await assert_refused(await present(world.http, signed))


async def test_a_replay_through_another_process_is_refused(world, container, key_client):
    signed = assertion(container, key_client, jti="once-anywhere")
    assert (await present(world.http, signed)).status_code == 200
    other = dataclasses.replace(container, _client_throttle=None)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(other)), base_url="http://localhost"
    ) as second:
        await assert_refused(await present(second, signed))


async def test_an_assertion_signed_with_another_key_is_refused(world, container, key_client):
    stranger = new_key(kid=key_client.key.kid)  # even under the registered key's kid
    await assert_refused(await present(world.http, assertion(container, key_client, stranger)))


async def test_alg_none_is_refused(world, container, key_client):
    now = int(container.clock.now().timestamp())

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    claims = {
        "iss": key_client.client_id,
        "sub": key_client.client_id,
        "aud": TOKEN_ENDPOINT,
        "exp": now + 60,
        "jti": "unsigned",
    }
    unsigned = f"{b64({'alg': 'none'})}.{b64(claims)}."
    await assert_refused(await present(world.http, unsigned))


async def test_a_private_key_jwt_client_cannot_use_a_secret(world, container, key_client):
    # even one whose digest were known: the method is the client's, not the caller's choice
    async with container.db.transaction() as session:
        await session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id == key_client.client_id)
            .values(secret_sha256=hash_secret("known-secret"))
        )
    r = await world.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(key_client.client_id, "known-secret"),
    )
    await assert_refused(r)


async def test_a_secret_client_cannot_present_an_assertion(world, container):
    actor = await world.agency_actor("DE")
    pretend = KeyClient(actor.client_id, new_key())
    await assert_refused(await present(world.http, assertion(container, pretend)))


async def test_a_revoked_key_client_is_refused_like_any_other(world, container, key_client):
    await revoke_client(container, OPERATOR, key_client.client_id)
    await assert_refused(await present(world.http, assertion(container, key_client)))


async def test_an_assertion_and_a_secret_at_once_are_invalid_request(world, container, key_client):
    r = await present(world.http, assertion(container, key_client), client_secret="x")
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"


async def test_private_keys_are_not_accepted_at_registration(world, container):
    agency = await world.agency("DE")
    with pytest.raises(DomainError) as refused:
        await create_client(
            container,
            OPERATOR,
            scopes=["requests:read"],
            agency_id=agency,
            jwks={"keys": [new_key().as_dict(private=True)]},
        )
    assert "public key only" in refused.value.problems[0].message


async def test_keys_fetched_from_the_jwks_uri(world, container):
    key = new_key("published")
    body = json.dumps(public_jwks(key)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # shutdown() waits for the serving loop to look again: every 20 ms, not the default 0.5 s
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        agency = await world.agency("DE")
        new = await create_client(
            container,
            OPERATOR,
            scopes=["requests:read"],
            agency_id=agency,
            jwks_uri=f"http://127.0.0.1:{server.server_address[1]}/jwks.json",
        )
        client = KeyClient(new.client_id, key)
        r = await present(world.http, assertion(container, client))
        assert r.status_code == 200, r.text
        stranger = new_key("published")
        await assert_refused(await present(world.http, assertion(container, client, stranger)))
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "jti", ["nul\x00inside", "\ud800", "x" * 300], ids=["nul", "surrogate", "long"]
)
async def test_a_hostile_jti_is_invalid_client_not_an_error(world, container, key_client, jti):
    await assert_refused(await present(world.http, assertion(container, key_client, jti=jti)))
