"""A token's principal is remembered, and a revocation still refuses the very next request.

The app remembers who each token speaks for (``services.principals``) and asks one number, the
auth epoch, on every request instead of checking the signature and looking the client up. Every
revocation moves the epoch in its own transaction. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.helpers import OPERATOR, counting
from trustcenter.domain.enums import VerificationState
from trustcenter.services.agencies import set_verification
from trustcenter.services.clients import revoke_client

ME = "{ me { clientId scopes } }"


def refused(r: Any) -> bool:
    return r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )


async def test_a_known_token_costs_one_small_read_instead_of_the_lookup(world, container):
    agency = await world.agency_actor()
    assert (await agency.data(ME))["me"]["clientId"] == agency.client_id
    with counting(container.db.engine) as statements:
        for _ in range(3):
            assert (await agency.data(ME))["me"]["clientId"] == agency.client_id
    assert len([s for s in statements if "auth_epoch" in s]) == 3
    assert not [s for s in statements if "oauth_clients" in s or "revoked_tokens" in s]


async def test_a_revoked_token_is_refused_on_the_very_next_request(world):
    agency = await world.agency_actor()
    for _ in range(2):  # known to the app now
        assert (await agency.data(ME))["me"]["clientId"] == agency.client_id
    r = await world.http.post(
        "/oauth/revoke",
        data={"token": agency.token, "token_type_hint": "access_token"},
        auth=(agency.client_id, agency.client_secret),
    )
    assert r.status_code == 200
    assert refused(await agency.gql(ME))
    await agency.fetch_token()  # the client is not revoked, only that token
    assert (await agency.data(ME))["me"]["clientId"] == agency.client_id


async def test_a_revoked_client_and_a_suspended_agency_are_refused_at_once(world, container):
    first, second = await world.agency_actor("DE"), await world.agency_actor("FR")
    for actor in (first, second):
        assert (await actor.data(ME))["me"]["clientId"] == actor.client_id
    await revoke_client(container, OPERATOR, first.client_id)
    assert refused(await first.gql(ME))
    assert (await second.data(ME))["me"]["clientId"] == second.client_id
    await set_verification(container, OPERATOR, second.agency_id, VerificationState.SUSPENDED)
    assert refused(await second.gql(ME))


async def test_a_token_the_app_remembers_still_expires(world, container, clock):
    agency = await world.agency_actor()
    assert (await agency.data(ME))["me"]["clientId"] == agency.client_id
    clock.advance(timedelta(seconds=container.settings.token_lifetime + 1))
    assert refused(await agency.gql(ME))
