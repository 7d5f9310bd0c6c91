"""The token endpoint defends itself: failed client authentication is throttled per client id
and per address (shared by every process through Redis), logged, audited once a minute per
client id with a count, and answered the same way whatever went wrong; one method at a time."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import secrets
import statistics
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from tests.helpers import OPERATOR
from trustcenter.auth.throttle import AuthThrottle, storage_for
from trustcenter.db.models import AuditEvent
from trustcenter.domain.enums import VerificationState
from trustcenter.services.agencies import set_verification
from trustcenter.services.clients import revoke_client
from trustcenter.web.app import create_app

FORM = {"grant_type": "client_credentials"}
REDIS_URL = os.environ.get("TRUSTCENTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def roomy(container, per_client: int = 10_000, per_address: int = 10_000) -> None:
    """Budgets large enough that a test's own failures are not throttled."""
    container._client_throttle = AuthThrottle(
        storage_for("memory://"), per_client=per_client, per_address=per_address
    )


async def token(http: httpx.AsyncClient, client_id: str, secret: str, *, post: bool = False):
    if post:
        return await http.post(
            "/oauth/token", data={**FORM, "client_id": client_id, "client_secret": secret}
        )
    return await http.post("/oauth/token", data=FORM, auth=(client_id, secret))


async def failure_events(container) -> list[dict]:
    async with container.db.reader() as session:
        rows = await session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "oauth.client_auth_failed")
            .order_by(AuditEvent.seq)
        )
        return [json.loads(row.data) for row in rows]


# one answer for every failure ---------------------------------------------------------------


async def test_unknown_revoked_suspended_and_wrong_secret_answer_alike(world, container):
    good = await world.agency_actor("DE")
    revoked = await world.agency_actor("FR")
    await revoke_client(container, OPERATOR, revoked.client_id)
    suspended = await world.agency_actor("NL")
    await set_verification(container, OPERATOR, suspended.agency_id, VerificationState.SUSPENDED)
    attempts = {
        "unknown": ("tc_nobody_at_all", good.client_secret),
        "revoked": (revoked.client_id, revoked.client_secret),
        "suspended": (suspended.client_id, suspended.client_secret),
        "wrong secret": (good.client_id, "not-the-secret"),
    }
    for post in (False, True):
        answers = {}
        for kind, (client_id, secret) in attempts.items():
            r = await token(world.http, client_id, secret, post=post)
            answers[kind] = (r.status_code, r.text, r.headers.get("www-authenticate"))
        assert len(set(answers.values())) == 1, answers
        status, body, challenge = answers["unknown"]
        assert status == 401
        assert json.loads(body) == {
            "error": "invalid_client",
            "error_description": "client authentication failed",
        }
        assert challenge is not None and challenge.startswith("Basic")


async def test_unknown_client_and_wrong_secret_do_the_same_database_work(world, container):
    from tests.helpers import counting

    good = await world.agency_actor("DE")
    roomy(container)
    with counting(container.db.engine) as unknown:
        await token(world.http, "tc_unknown_client", "whatever")
    with counting(container.db.engine) as wrong:
        await token(world.http, good.client_id, "whatever")
    assert len(unknown) == len(wrong)


async def test_unknown_client_takes_as_long_as_a_wrong_secret(world, container):
    """Statistical, not a stopwatch: the medians of many interleaved attempts are within a
    generous ratio of each other (an early return for unknown clients is ~10x faster)."""
    good = await world.agency_actor("DE")
    roomy(container)
    unknown: list[float] = []
    wrong: list[float] = []
    for i in range(60):
        for client_id, samples in ((f"tc_unknown_{i}", unknown), (good.client_id, wrong)):
            start = time.perf_counter()
            r = await token(world.http, client_id, "not-the-secret")
            samples.append(time.perf_counter() - start)
            assert r.status_code == 401
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 1 / 3 < ratio < 3, ratio


# one method at a time -----------------------------------------------------------------------


async def test_two_authentication_methods_at_once_are_invalid_request(world):
    actor = await world.agency_actor("DE")
    both = await world.http.post(
        "/oauth/token",
        data={**FORM, "client_secret": actor.client_secret},
        auth=(actor.client_id, actor.client_secret),
    )
    assert both.status_code == 400
    assert both.json()["error"] == "invalid_request"
    assert "access_token" not in both.json()
    with_assertion = await world.http.post(
        "/oauth/token",
        data={
            **FORM,
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": "a.b.c",
        },
        auth=(actor.client_id, actor.client_secret),
    )
    assert with_assertion.status_code == 400
    assert with_assertion.json()["error"] == "invalid_request"
    # each alone still works
    assert (await token(world.http, actor.client_id, actor.client_secret)).status_code == 200
    assert (
        await token(world.http, actor.client_id, actor.client_secret, post=True)
    ).status_code == 200


# throttling ---------------------------------------------------------------------------------


async def test_failures_spend_the_client_ids_budget_then_slow_down(world, container):
    victim = await world.agency_actor("DE")
    other = await world.agency_actor("FR")
    for _ in range(25):  # successes spend nothing
        assert (await token(world.http, victim.client_id, victim.client_secret)).status_code == 200
    for _ in range(10):
        assert (await token(world.http, victim.client_id, "guess")).status_code == 401
    r = await token(world.http, victim.client_id, "guess")
    assert r.status_code == 429
    assert r.json()["error"] == "slow_down"
    assert "retry in" in r.json()["error_description"]
    assert 1 <= int(r.headers["retry-after"]) <= 60
    # the right secret waits too: the attacker cannot learn it is right
    assert (await token(world.http, victim.client_id, victim.client_secret)).status_code == 429
    # another client from the same address is not affected
    assert (await token(world.http, other.client_id, other.client_secret)).status_code == 200


async def test_failures_spend_the_addresss_budget_whatever_client_id_is_named(world):
    actor = await world.agency_actor("DE")
    for i in range(30):
        assert (await token(world.http, f"tc_made_up_{i}", "guess")).status_code == 401
    r = await token(world.http, "tc_yet_another_one", "guess")
    assert r.status_code == 429
    assert r.json()["error"] == "slow_down" and int(r.headers["retry-after"]) >= 1
    # the address is slowed down for every client id, the right credentials included
    assert (await token(world.http, actor.client_id, actor.client_secret)).status_code == 429


async def _redis_answers() -> str | None:
    try:
        storage = storage_for(REDIS_URL)
        if await storage.check():
            return None
        return f"Redis does not answer at {REDIS_URL}"
    except Exception as exc:
        return f"Redis is unreachable at {REDIS_URL}: {type(exc).__name__}"


async def test_two_processes_share_one_budget_through_redis(world, container):
    reason = await _redis_answers()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}, and CI requires it")
        pytest.skip(reason)
    actor = await world.agency_actor("DE")
    prefix = f"tc_test_{secrets.token_hex(6)}"
    settings = dataclasses.replace(
        container.settings, rate_limit_storage=REDIS_URL, rate_limit_prefix=prefix
    )
    # two serving processes: each its own container, app and connection to Redis
    first = dataclasses.replace(container, settings=settings, _client_throttle=None)
    second = dataclasses.replace(container, settings=settings, _client_throttle=None)
    apps = [create_app(first), create_app(second)]
    clients = [
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://localhost")
        for app in apps
    ]
    try:
        for _ in range(10):
            assert (await token(clients[0], actor.client_id, "guess")).status_code == 401
        r = await token(clients[1], actor.client_id, actor.client_secret)
        assert r.status_code == 429, r.text
        assert r.json()["error"] == "slow_down"
    finally:
        for client in clients:
            await client.aclose()
    # without the shared storage each process would only count its own failures
    alone = dataclasses.replace(container, _client_throttle=None)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(alone)), base_url="http://localhost"
    ) as separate:
        assert (await token(separate, actor.client_id, actor.client_secret)).status_code == 200


# log and audit ------------------------------------------------------------------------------


async def test_every_failure_is_logged_with_client_id_address_and_reason(world, caplog):
    actor = await world.agency_actor("DE")
    with caplog.at_level(logging.WARNING, logger="trustcenter.auth"):
        await token(world.http, actor.client_id, "the-wrong-secret-xyz")
        await token(world.http, "tc_" + "x" * 500, "whatever")
    lines = [r.getMessage() for r in caplog.records if r.name == "trustcenter.auth"]
    assert len(lines) == 2
    assert actor.client_id in lines[0] and "127.0.0.1" in lines[0]
    assert "wrong secret" in lines[0]
    assert "unknown client" in lines[1] and "x" * 61 in lines[1] and "x" * 62 not in lines[1]
    assert not any("the-wrong-secret-xyz" in line for line in lines)


async def test_failures_are_audited_once_a_minute_per_client_id_with_the_count(
    world, container, clock
):
    actor = await world.agency_actor("DE")
    roomy(container)
    for _ in range(25):
        await token(world.http, actor.client_id, "guess")
    await token(world.http, "tc_someone_else", "guess")
    assert await failure_events(container) == []  # the minute is not over yet
    clock.advance(timedelta(minutes=1))
    for _ in range(25):
        await token(world.http, actor.client_id, "guess")
    events = await failure_events(container)
    assert sorted((e["client_id"], e["failures"]) for e in events) == sorted(
        [(actor.client_id, 25), ("tc_someone_else", 1)]
    )
    clock.advance(timedelta(minutes=1))
    await token(world.http, actor.client_id, actor.client_secret)  # any request settles it
    events = await failure_events(container)
    assert len(events) == 3
    assert (events[-1]["client_id"], events[-1]["failures"]) == (actor.client_id, 25)
    assert events[-1]["minute"] > events[0]["minute"]


async def test_hostile_client_ids_are_an_ordinary_invalid_client(world, container):
    """NUL (which PostgreSQL refuses), other control characters, replacement characters and
    very long ids are unknown clients like any other: never an internal error."""
    from urllib.parse import quote

    await world.agency_actor("DE")
    for claimed in ["tc_\x00nul", "tc_\x1b[31m", "tc_\ufffd", "x" * 5_000, "tc_%00"]:
        r = await world.http.post(
            "/oauth/token",
            content=f"grant_type=client_credentials&client_id={quote(claimed)}&client_secret=s",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 401, (claimed[:20], r.text)
        assert r.json()["error"] == "invalid_client"
        r = await world.http.post("/oauth/token", data=FORM, auth=(claimed, "s"))
        assert r.status_code == 401, (claimed[:20], r.text)
    # the failures were counted, under ids the database could store
    clock = container.clock
    clock.advance(timedelta(minutes=1))
    await token(world.http, "tc_trigger", "s")
    events = await failure_events(container)
    assert len(events) == 5
    assert all("\x00" not in e["client_id"] and len(e["client_id"]) <= 64 for e in events)
