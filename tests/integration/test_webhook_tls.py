"""HTTPS deliveries go to the address that was checked, and TLS is still verified for the
endpoint's name: a receiver on 127.0.0.1 with a certificate for ``hooks.agency.example`` (from
a throwaway CA the sender trusts), reached through a resolver that answers 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from tests.helpers import World
from tests.integration.test_webhook_delivery import OPERATOR, Resolver, worker
from tests.support.tls import ThrowawayCA
from tests.support.webhooks import Receiver, add_deliveries, add_endpoint, deliveries, new_secret
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock


async def test_tls_is_verified_for_the_name_while_the_checked_address_is_connected_to(
    container: Container, world: World, clock: FixedClock, tmp_path: Path
) -> None:
    clock.set(datetime.now(UTC))
    ca = ThrowawayCA.make()
    secret = new_secret()
    tls = ca.server_context("hooks.agency.example", tmp_path)
    with Receiver([secret], tls=tls).running() as receiver:
        agency = await world.agency()
        named = {}
        for host, allowed in (
            ("hooks.agency.example", True),  # the certificate's name, an admin allowed 127.x
            ("other.agency.example", True),  # the same server, another name: not its certificate
            ("hooks.agency.example", False),  # private addresses not allowed
        ):
            url = receiver.url("/in", host=host)
            endpoint = await add_endpoint(
                container, agency, url, secret=secret, private_allowed=allowed
            )
            [named[(host, allowed)]] = await add_deliveries(container, endpoint, 1)
        resolver = Resolver(["127.0.0.1"])
        w = worker(container, resolver=resolver)
        w.sender.trust = ca.client_context()
        result = await w.run_once(OPERATOR)
        await w.sender.close()
    assert (result.delivered, result.retrying) == (1, 2)
    assert [(h.host, h.verified) for h in receiver.hits] == [
        (f"hooks.agency.example:{receiver.port}", (True,))
    ]
    rows = await deliveries(container)
    assert rows[named[("hooks.agency.example", True)]].status == "delivered"
    mismatch = rows[named[("other.agency.example", True)]].last_error or ""
    assert mismatch.startswith("ConnectError: ") and "certificate" in mismatch.lower()
    assert rows[named[("hooks.agency.example", False)]].last_error == (
        "refused: hooks.agency.example resolves to 127.0.0.1, a loopback address"
    )
    assert sorted(set(resolver.asked)) == ["hooks.agency.example", "other.agency.example"]
