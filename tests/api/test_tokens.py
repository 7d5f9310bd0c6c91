"""The resource side refuses every bad token with 401 and a Bearer challenge."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from joserfc.jwk import ECKey
from sqlalchemy import func, select

from tests.helpers import SUBMIT, submission
from trustcenter.db.models import Request


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forge(
    header: dict[str, Any],
    claims: dict[str, Any],
    key: ECKey | None,
    *,
    how: str = "ES256",
    secret: bytes = b"",
) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if how == "ES256":
        assert key is not None
        der = key.private_key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    elif how == "HS256":
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    else:
        signature = b""
    return f"{signing_input}.{_b64(signature)}"


def good(container, actor, **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    now = int(container.clock.now().timestamp())
    header = {"alg": "ES256", "typ": "at+jwt", "kid": container.keys.signing_key.kid}
    claims = {
        "iss": "http://localhost",
        "aud": "urn:trustcenter:api",
        "sub": actor.client_id,
        "client_id": actor.client_id,
        "iat": now,
        "exp": now + 600,
        "jti": "forged-1",
        "scope": "requests:submit requests:read",
    }
    for k, v in changes.items():
        target = header if k.startswith("h_") else claims
        name = k[2:] if k.startswith("h_") else k
        if v is None:
            target.pop(name, None)
        else:
            target[name] = v
    return header, claims


async def assert_refused(actor, token: str) -> None:
    r = await actor.gql("{ me { clientId } }", token=token)
    assert r.status_code == 401, r.text
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith("Bearer") and 'error="invalid_token"' in challenge
    assert "data" not in r.json()


async def test_a_correctly_forged_token_is_accepted(agency, container):
    """The control case: the forging helper itself makes tokens the server accepts, so each
    refusal below is caused by the one thing that test changes."""
    header, claims = good(container, agency)
    token = forge(header, claims, container.keys.signing_key)
    r = await agency.gql("{ me { clientId } }", token=token)
    assert r.status_code == 200
    assert r.json()["data"]["me"]["clientId"] == agency.client_id


CASES = {
    "typ missing": {"h_typ": None},
    "typ JWT": {"h_typ": "JWT"},
    "wrong issuer": {"iss": "https://evil.example"},
    "wrong audience": {"aud": "urn:someone-else"},
    "no audience": {"aud": None},
    "unknown key id": {"h_kid": "no-such-key"},
    "unknown critical header": {"h_crit": ["x-unknown"], "h_x-unknown": True},
    "lives longer than an hour": {"exp_offset": 7200},
    "no jti": {"jti": None},
    "no client_id": {"client_id": None},
    "issued in the future": {"iat_offset": 3600},
}


@pytest.mark.parametrize("case", list(CASES))
async def test_token_refused(agency, container, case):
    changes = dict(CASES[case])
    now = int(container.clock.now().timestamp())
    if "exp_offset" in changes:
        changes["exp"] = now + changes.pop("exp_offset")
    if "iat_offset" in changes:
        offset = changes.pop("iat_offset")
        changes["iat"] = now + offset
        changes["exp"] = now + offset + 600
    header, claims = good(container, agency, **changes)
    await assert_refused(agency, forge(header, claims, container.keys.signing_key))


async def test_expired_token_refused(agency, container):
    container.clock.advance(timedelta(seconds=container.settings.token_lifetime + 1))
    await assert_refused(agency, agency.token)


async def test_alg_none_refused(agency, container):
    header, claims = good(container, agency, h_alg="none")
    await assert_refused(agency, forge(header, claims, None, how="none"))


async def test_symmetric_alg_with_the_public_key_as_secret_refused(agency, container, world):
    jwks = (await world.http.get("/.well-known/jwks.json")).json()
    header, claims = good(container, agency, h_alg="HS256")
    token = forge(header, claims, None, how="HS256", secret=json.dumps(jwks["keys"][0]).encode())
    await assert_refused(agency, token)


async def test_token_signed_by_another_key_with_our_kid_refused(agency, container):
    impostor = ECKey.generate_key("P-256", private=True)
    header, claims = good(container, agency)
    await assert_refused(agency, forge(header, claims, impostor))


async def test_tampered_claims_refused(agency, container):
    header, claims = good(container, agency, scope="requests:read")
    token = forge(header, claims, container.keys.signing_key)
    head, _, sig = token.split(".")
    claims["scope"] = "requests:read requests:submit admin"
    tampered = f"{head}.{_b64(json.dumps(claims).encode())}.{sig}"
    await assert_refused(agency, tampered)


@pytest.mark.parametrize(
    "authorization",
    [
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token abc",
    ],
)
async def test_malformed_authorization_refused(world, authorization):
    r = await world.http.post(
        "/graphql", json={"query": "{ me { clientId } }"}, headers={"Authorization": authorization}
    )
    assert r.status_code == 401
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_bad_token_changes_nothing(agency, container):
    header, claims = good(container, agency, h_typ=None)
    token = forge(header, claims, container.keys.signing_key)
    r = await agency.gql(SUBMIT, {"input": submission()}, token=token)
    assert r.status_code == 401
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Request)) == 0


async def test_no_token_is_anonymous_and_gets_401_for_anything_private(world, container):
    for query in [
        "{ me { clientId } }",
        "{ requests { totalCount } }",
        '{ request(id: "UmVxdWVzdDox") { id } }',
    ]:
        r = await world.http.post("/graphql", json={"query": query})
        assert r.status_code == 401, query
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    r = await world.http.post(
        "/graphql", json={"query": SUBMIT, "variables": {"input": submission()}}
    )
    assert r.status_code == 401
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Request)) == 0
