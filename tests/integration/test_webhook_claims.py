"""A webhook worker never sends a delivery its claim may no longer cover: with slow receivers
and a short lease, what it could not start in time goes back to the outbox unsent (no attempt
counted, no failure recorded) and the next pass sends it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.helpers import World
from tests.integration.test_webhook_delivery import OPERATOR, worker
from tests.support.webhooks import (
    Receiver,
    Reply,
    add_deliveries,
    add_endpoint,
    deliveries,
    endpoint_row,
)
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.services.webhook_worker import WebhookSettings


async def test_what_cannot_start_within_the_lease_is_released_unsent(
    container: Container, world: World, clock: FixedClock
) -> None:
    clock.set(datetime.now(UTC))
    slow = True
    receiver = Receiver(reply=lambda hit, n: Reply(200, delay=0.6 if slow else 0.0))
    with receiver.running():
        agency = await world.agency()
        endpoint = await add_endpoint(container, agency, receiver.url())
        ids = await add_deliveries(container, endpoint, 5)
        w = worker(container)
        # one at a time, a one-second lease: no send may start after its first half
        w.settings = WebhookSettings(batch_size=5, lease=timedelta(seconds=1), concurrency=1)
        first = await w.run_batch()
        sent = len(receiver.hits)
        rows = await deliveries(container)
        slow = False
        rest = await worker(container).run_once(OPERATOR)
        await w.sender.close()
    assert first.unsent >= 4  # at most the first one started in time
    assert (first.delivered, first.unsent, first.retrying, first.failed) == (sent, 5 - sent, 0, 0)
    waiting = [r for r in rows.values() if r.status == "pending"]
    assert len(waiting) == first.unsent
    assert {(r.claimed_by, r.attempts, r.last_error) for r in waiting} == {(None, 0, None)}
    assert (await endpoint_row(container, endpoint.id)).failing_since is None
    assert rest.delivered == first.unsent
    assert receiver.ids() == dict.fromkeys(ids, 1)  # each sent once in all
