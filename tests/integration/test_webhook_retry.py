"""``trustcenter webhooks retry``: an operator sends a FAILED delivery again, with the same
``webhook-id``; anything else is refused with a clear message and nothing changes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from click.testing import CliRunner

from tests.api.test_notice_worker import cli_json
from tests.helpers import World
from tests.integration.test_webhook_delivery import OPERATOR, audit_actions, worker
from tests.support.webhooks import Receiver, Reply, add_deliveries, add_endpoint, deliveries
from trustcenter.bootstrap import Container
from trustcenter.cli import main
from trustcenter.clock import FixedClock
from trustcenter.domain.webhooks import GIVE_UP_AFTER


def refused(container: Container, *args: str) -> str:
    env = {
        "TRUSTCENTER_DATABASE_URL": container.settings.database_url,
        "TRUSTCENTER_DATABASE_SCHEMA": container.settings.database_schema,
        "TRUSTCENTER_PLUGINS": "",
    }
    result = CliRunner().invoke(main, list(args), env=env)
    assert result.exit_code == 1, result.output
    return result.output


async def test_a_failed_delivery_is_sent_again_with_its_webhook_id(
    container: Container, world: World, clock: FixedClock
) -> None:
    clock.set(datetime.now(UTC))
    answers = iter([500, 200])
    with Receiver(reply=lambda hit, n: Reply(next(answers))).running() as receiver:
        agency = await world.agency()
        endpoint = await add_endpoint(container, agency, receiver.url())
        old = clock.now() - GIVE_UP_AFTER - timedelta(seconds=1)
        [message_id] = await add_deliveries(container, endpoint, 1, created_at=old)
        w = worker(container)
        assert (await w.run_once(OPERATOR)).failed == 1
        before = (await deliveries(container))[message_id]
        assert before.status == "failed"

        out = await asyncio.to_thread(cli_json, container, "webhooks", "retry", message_id)
        assert out == {"webhook_id": message_id, "endpoint_enabled": True}
        clock.set(datetime.now(UTC))  # the command is due from its own (real) now
        assert (await w.run_once(OPERATOR)).delivered == 1
        await w.sender.close()
    assert [h.webhook_id for h in receiver.hits] == [message_id, message_id]
    after = (await deliveries(container))[message_id]
    assert (after.id, after.status, after.last_status) == (before.id, "delivered", 200)
    assert (await audit_actions(container)).count("webhooks.delivery_retried") == 1

    # only a failed delivery is sent again; an unknown one is named
    said = await asyncio.to_thread(refused, container, "webhooks", "retry", str(after.id))
    assert f"webhook delivery {after.id} is delivered: only a failed one is sent again" in said
    said = await asyncio.to_thread(refused, container, "webhooks", "retry", "msg_nothing")
    assert "there is no webhook delivery msg_nothing" in said
    assert (await audit_actions(container)).count("webhooks.delivery_retried") == 1
    assert (await deliveries(container))[message_id].status == "delivered"
