"""Token signing keys encrypted at rest under TRUSTCENTER_SECRET_KEY, production refusing to
start without its keys, and ``keys retire`` once no token of the key can still be valid."""

from __future__ import annotations

import base64
import dataclasses
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.api.test_oauth_complete import SECRET_KEY, _claims, audit, cli
from trustcenter.auth.key_sealing import KeySealingError
from trustcenter.auth.keys import KeyStore
from trustcenter.bootstrap import build
from trustcenter.db.models import SigningKey

# --- signing keys -----------------------------------------------------------------------------


async def stored_keys(container) -> dict[str, str]:
    async with container.db.reader() as s:
        return {k.kid: k.private_jwk for k in await s.scalars(select(SigningKey))}


async def restarted(container, clock, **changes: Any):
    """Another process on the same database, with other settings."""
    other = build(dataclasses.replace(container.settings, **changes), clock)
    await other.start(upgrade=False)
    return other


async def test_keys_are_encrypted_at_rest_and_clear_ones_are_encrypted_on_start(
    world, container, clock
):
    actor = await world.agency_actor("DE")
    (kid, before) = next(iter((await stored_keys(container)).items()))
    assert '"d"' in before  # development without the setting: stored in clear
    other = await restarted(container, clock, secret_key=SECRET_KEY)
    try:
        stored = (await stored_keys(container))[kid]
        assert stored.startswith("enc:v1:")
        assert '"d"' not in stored and json.loads(before)["d"] not in stored
        # the encrypted key still verifies the token signed before, and signs new ones
        new_kid = await other.keys.rotate(clock.now())
        assert (await stored_keys(container))[new_kid].startswith("enc:v1:")
        assert other.keys.knows(kid)
        await other.validator.validate(actor.token)
    finally:
        await other.close()
    # without the key, or with another, the keys do not open: a clear refusal
    for secret in [None, base64.b64encode(b"another key, also thirty-two by.").decode()]:
        store = KeyStore(container.db, base64.b64decode(secret) if secret else None)
        with pytest.raises(KeySealingError, match="TRUSTCENTER_SECRET_KEY"):
            await store.load(clock.now())
    r = await cli(container, "keys", "rotate")
    assert r.exit_code != 0 and "TRUSTCENTER_SECRET_KEY" in r.output
    assert "Traceback" not in r.output


@pytest.mark.parametrize(
    "missing",
    [{"secret_key": ""}, {"disclosure_keys": ""}, {"secret_key": "", "disclosure_keys": ""}],
)
async def test_production_refuses_to_start_without_its_keys(container, clock, missing):
    settings = dataclasses.replace(
        container.settings, env="production", **{"secret_key": SECRET_KEY, **missing}
    )
    other = build(settings, clock)
    try:
        with pytest.raises(SystemExit, match="production needs") as refused:
            await other.start(upgrade=False)
        for name, env in [
            ("secret_key", "TRUSTCENTER_SECRET_KEY"),
            ("disclosure_keys", "TRUSTCENTER_DISCLOSURE_KEYS"),
        ]:
            assert (env in str(refused.value)) == (name in missing)
    finally:
        await other.close()
    r = await cli(
        container,
        "serve",
        env={
            "TRUSTCENTER_ENV": "Production",
            "TRUSTCENTER_SECRET_KEY": None if "secret_key" in missing else SECRET_KEY,
            "TRUSTCENTER_DISCLOSURE_KEYS": None
            if "disclosure_keys" in missing
            else "k1:" + SECRET_KEY,
        },
    )
    assert r.exit_code != 0 and "production needs" in r.output


async def test_production_starts_with_both_keys(container, clock):
    other = await restarted(container, clock, env="production", secret_key=SECRET_KEY)
    try:
        assert all(v.startswith("enc:v1:") for v in (await stored_keys(container)).values())
    finally:
        await other.close()


async def test_a_bad_secret_key_stops_start_up():
    from trustcenter.config import Settings

    for bad in ["not base64!", base64.b64encode(b"short").decode()]:
        with pytest.raises(SystemExit, match="32 random bytes"):
            Settings.from_env({"TRUSTCENTER_SECRET_KEY": bad})


async def test_keys_retire_waits_until_no_token_of_the_key_can_be_valid(world, container, clock):
    actor = await world.agency_actor("DE")
    old = _claims(actor.token)
    (old_kid,) = (await stored_keys(container)).keys()
    r = await cli(container, "keys", "retire", old_kid)
    assert r.exit_code != 0 and "current signing key" in r.output
    new_kid = await container.keys.rotate(clock.now())
    r = await cli(container, "keys", "retire", "no-such-kid")
    assert r.exit_code != 0 and "no signing key" in r.output
    # the service's clock: an hour and five minutes after the rotation (other processes may
    # sign with the old key until they reload, and a token lives an hour)
    clock.advance(timedelta(hours=1, minutes=4, seconds=59))
    with pytest.raises(Exception, match="can still be valid until"):
        await container.keys.retire(old_kid, clock.now())
    assert old_kid in await stored_keys(container)
    clock.advance(timedelta(seconds=1))
    await container.keys.retire(old_kid, clock.now())
    assert set(await stored_keys(container)) == {new_kid}
    kids = {k["kid"] for k in (await world.http.get("/.well-known/jwks.json")).json()["keys"]}
    assert kids == {new_kid}
    assert old["exp"] < clock.now().timestamp()
    assert len(await audit(container, "signing_key.retired")) == 1
    # the CLI says the same, on the real clock (later than the suite's)
    newer = await container.keys.rotate(clock.now())
    r = await cli(container, "keys", "retire", new_kid, "--json")
    assert r.exit_code == 0, r.output
    assert set(await stored_keys(container)) == {newer}


async def test_rotating_with_the_secret_key_encrypts_the_keys_left_in_clear(world, container):
    (old_kid,) = await stored_keys(container)
    r = await cli(container, "keys", "rotate", "--json", env={"TRUSTCENTER_SECRET_KEY": SECRET_KEY})
    assert r.exit_code == 0, r.output
    new_kid = json.loads(r.stdout)["kid"]
    stored = await stored_keys(container)
    assert set(stored) == {old_kid, new_kid}
    assert all(v.startswith("enc:v1:") for v in stored.values())
    r = await cli(container, "keys", "list", "--json")
    assert [k["encrypted"] for k in json.loads(r.stdout)] == [True, True]
