"""Status webhooks delivered by the worker to a real HTTP receiver on 127.0.0.1, which
verifies every signature with the ``standardwebhooks`` library: delivered once, retried after a
failure, redirects not followed, long answers cut at 64 KiB, private addresses refused, two
signatures during a rotation, FAILED after three days and the endpoint disabled.

The receiver checks the ``webhook-timestamp`` against the real time, so each test moves the
suite's clock to now first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from tests.helpers import World
from tests.support.webhooks import (
    Receiver,
    Reply,
    add_deliveries,
    add_endpoint,
    deliveries,
    endpoint_row,
    new_secret,
)
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Agency, AuditEvent, StatusEmail
from trustcenter.domain.webhooks import GIVE_UP_AFTER, MAX_RESPONSE_BYTES, backoff
from trustcenter.services.access import operator
from trustcenter.services.webhook_http import WebhookSender
from trustcenter.services.webhook_worker import WebhookSettings, WebhookWorker

OPERATOR = operator("webhook-test", frozenset({"notices"}))


def worker(
    container: Container,
    *,
    production: bool = False,
    resolver: object = None,
    secret_key: bytes | None = None,
) -> WebhookWorker:
    sender = WebhookSender(production=production)
    if resolver is not None:
        sender.resolver = resolver  # type: ignore[assignment]
    return WebhookWorker(
        container.uow,
        container.clock,
        sender,
        secret_key=secret_key,
        settings=WebhookSettings(batch_size=10, concurrency=4),
        draw=lambda: 0.0,  # the shortest back-off: a second
    )


@pytest.fixture
def now(clock: FixedClock) -> datetime:
    clock.set(datetime.now(UTC).replace(microsecond=0))
    return clock.now()


async def audit_actions(container: Container) -> list[str]:
    async with container.db.reader() as s:
        return list((await s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))).all())


async def test_each_event_reaches_the_receiver_once_signed_and_as_stored(
    container: Container, world: World, now: datetime
) -> None:
    secret = new_secret()
    with Receiver([secret]).running() as receiver:
        agency = await world.agency()
        endpoint = await add_endpoint(container, agency, receiver.url(), secret=secret)
        ids = await add_deliveries(container, endpoint, 25)
        w = worker(container)
        first = await w.run_once(OPERATOR)
        again = await w.run_once(OPERATOR)
        await w.sender.close()
    assert (first.delivered, first.retrying, first.failed, first.batches) == (25, 0, 0, 3)
    assert (again.delivered, again.batches) == (0, 0)
    assert receiver.ids() == {i: 1 for i in ids}
    rows = await deliveries(container)
    for hit in receiver.hits:
        assert hit.verified == (True,)
        assert hit.body == rows[hit.webhook_id].payload.encode()  # the body exactly as stored
        assert hit.headers["content-type"] == "application/json"
        assert hit.headers["webhook-signature"].startswith("v1,")
        assert " " not in hit.headers["webhook-signature"]  # one secret, one signature
        assert hit.host == f"127.0.0.1:{receiver.port}"
    assert {(r.status, r.attempts, r.last_status, r.claimed_by) for r in rows.values()} == {
        ("delivered", 1, 200, None)
    }


async def test_a_failed_try_is_retried_with_the_same_webhook_id_and_acknowledged_once(
    container: Container, world: World, now: datetime, clock: FixedClock
) -> None:
    secret = new_secret()
    receiver = Receiver([secret], lambda hit, n: Reply(500 if n == 1 else 200, 30))
    with receiver.running():
        agency = await world.agency()
        endpoint = await add_endpoint(container, agency, receiver.url(), secret=secret)
        [message_id] = await add_deliveries(container, endpoint, 1)
        w = worker(container)
        failed = await w.run_once(OPERATOR)
        row = (await deliveries(container))[message_id]
        assert (row.status, row.last_status, row.attempts) == ("pending", 500, 1)
        assert row.last_error == "HTTP 500: " + "x" * 30
        assert row.available_at == now + backoff(1, lambda: 0.0)  # the jitter drawn
        assert (await endpoint_row(container, endpoint.id)).failing_since == now
        early = await w.run_once(OPERATOR)  # not due before its back-off ends
        clock.advance(timedelta(seconds=1))
        retried = await w.run_once(OPERATOR)
        await w.sender.close()
    assert (failed.retrying, early.batches, retried.delivered) == (1, 0, 1)
    assert [h.webhook_id for h in receiver.hits] == [message_id, message_id]
    assert all(h.verified == (True,) for h in receiver.hits)
    row = (await deliveries(container))[message_id]
    assert (row.status, row.last_status, row.attempts, row.last_error) == (
        "delivered",
        200,
        2,
        None,
    )
    assert (await endpoint_row(container, endpoint.id)).failing_since is None


async def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    container: Container, world: World, now: datetime
) -> None:
    receiver = Receiver(reply=lambda hit, n: Reply(302, 0, {"location": "/elsewhere"}))
    with receiver.running():
        agency = await world.agency()
        endpoint = await add_endpoint(container, agency, receiver.url("/hook"))
        [message_id] = await add_deliveries(container, endpoint, 1)
        w = worker(container)
        result = await w.run_once(OPERATOR)
        await w.sender.close()
    assert [h.path for h in receiver.hits] == ["/hook"]  # /elsewhere never asked
    assert (result.delivered, result.retrying) == (0, 1)
    row = (await deliveries(container))[message_id]
    assert (row.status, row.last_status) == ("pending", 302)
    assert row.last_error == "HTTP 302: redirects are not followed"


@pytest.mark.parametrize("status", [200, 500])
async def test_a_ten_megabyte_answer_is_read_only_to_64_kib(
    container: Container, world: World, now: datetime, status: int
) -> None:
    size = 10 * 1024 * 1024
    receiver = Receiver(reply=lambda hit, n: Reply(status, size))
    with receiver.running():
        agency = await world.agency()
        endpoint = await add_endpoint(container, agency, receiver.url())
        [message_id] = await add_deliveries(container, endpoint, 1)
        w = worker(container)
        result = await w.run_once(OPERATOR)
        await w.sender.close()
    # the worker hung up after 64 KiB: the rest of the 10 MB could not be written
    assert receiver.write_errors == 1
    assert MAX_RESPONSE_BYTES <= receiver.bytes_sent < size
    row = (await deliveries(container))[message_id]
    if status == 200:  # acknowledged: a 2xx is enough, whatever follows it
        assert (result.delivered, row.status) == (1, "delivered")
    else:  # the error keeps a short excerpt of the answer, never the body
        assert (result.retrying, row.status) == (1, "pending")
        assert row.last_error == "HTTP 500: " + "x" * 200


class Resolver:
    """Answers every name with the given addresses, and counts the questions."""

    def __init__(self, addresses: Sequence[str]) -> None:
        self.addresses = list(addresses)
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return self.addresses


@pytest.mark.parametrize(
    ("addresses", "why"),
    [
        (["169.254.169.254"], "a link-local address (cloud metadata lives there)"),
        (["10.1.2.3"], "a private address"),
        (["::1"], "a loopback address"),
        (["93.184.216.34", "192.168.0.7"], "a private address"),  # any one refused is enough
        (["::ffff:169.254.169.254"], "a link-local address (cloud metadata lives there)"),
    ],
)
async def test_a_host_resolving_to_a_private_or_metadata_address_is_refused(
    container: Container, world: World, now: datetime, addresses: list[str], why: str
) -> None:
    resolver = Resolver(addresses)
    agency = await world.agency()
    endpoint = await add_endpoint(container, agency, "https://hooks.agency.example/in")
    [message_id] = await add_deliveries(container, endpoint, 1)
    w = worker(container, resolver=resolver)
    result = await w.run_once(OPERATOR)
    assert (result.delivered, result.retrying, resolver.asked) == (0, 1, ["hooks.agency.example"])
    row = (await deliveries(container))[message_id]
    refused = next(a for a in addresses if a != "93.184.216.34")
    assert row.last_error == f"refused: hooks.agency.example resolves to {refused}, {why}"
    assert (row.status, row.last_status) == ("pending", None)


async def test_the_checked_address_is_connected_to_and_resolved_at_every_delivery(
    container: Container, world: World, now: datetime, clock: FixedClock
) -> None:
    resolver = Resolver(["127.0.0.1"])
    with Receiver().running() as receiver:
        agency = await world.agency()
        url = receiver.url(host="localhost")
        endpoint = await add_endpoint(container, agency, url)
        await add_deliveries(container, endpoint, 1)
        w = worker(container, resolver=resolver)
        await w.run_once(OPERATOR)
        await add_deliveries(container, endpoint, 1)
        resolver.addresses = ["127.0.0.1", "10.0.0.8"]  # the name moved: refused
        refused = await w.run_once(OPERATOR)
        resolver.addresses = ["127.0.0.1"]
        clock.advance(timedelta(seconds=1))
        await w.run_once(OPERATOR)
        await w.sender.close()
    assert resolver.asked == ["localhost"] * 3
    assert refused.retrying == 1
    assert [h.host for h in receiver.hits] == [f"localhost:{receiver.port}"] * 2


async def test_production_refuses_a_plain_http_or_loopback_endpoint(
    container: Container, world: World, now: datetime
) -> None:
    with Receiver().running() as receiver:
        agency = await world.agency()
        http_endpoint = await add_endpoint(container, agency, receiver.url())
        loopback = await add_endpoint(container, agency, "https://internal.example/")
        await add_deliveries(container, http_endpoint, 1)
        await add_deliveries(container, loopback, 1)
        w = worker(container, production=True, resolver=Resolver(["127.0.0.1"]))
        result = await w.run_once(OPERATOR)
    assert receiver.hits == []
    assert result.retrying == 2
    errors = sorted(r.last_error or "" for r in (await deliveries(container)).values())
    assert errors == [
        "refused: internal.example resolves to 127.0.0.1, a loopback address",
        "refused: the URL must be an https:// address",
    ]


async def test_during_a_rotation_both_secrets_sign_and_each_signature_verifies(
    container: Container, world: World, now: datetime
) -> None:
    new, old, other = new_secret(), new_secret(), new_secret()
    with Receiver([new, old, other]).running() as receiver:
        agency = await world.agency()
        # the overlap lasts another hour on one endpoint, it is over on the other
        for path, until in (("/rotating", timedelta(hours=1)), ("/rotated", timedelta(0))):
            endpoint = await add_endpoint(
                container,
                agency,
                receiver.url(path),
                secret=new,
                previous_secret=old,
                previous_until=now + until,
            )
            await add_deliveries(container, endpoint, 1)
        w = worker(container)
        await w.run_once(OPERATOR)
        await w.sender.close()
    hits = {h.path: h for h in receiver.hits}
    signatures = hits["/rotating"].headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    assert hits["/rotating"].verified == (True, True, False)  # each secret alone verifies
    assert hits["/rotated"].verified == (True, False, False)
    assert len(hits["/rotated"].headers["webhook-signature"].split(" ")) == 1


async def test_a_sealed_secret_signs_and_a_wrong_secret_key_sends_nothing(
    container: Container, world: World, now: datetime, clock: FixedClock
) -> None:
    key, wrong = bytes(range(32)), bytes(32)
    secret = new_secret()
    with Receiver([secret]).running() as receiver:
        agency = await world.agency()
        endpoint = await add_endpoint(
            container, agency, receiver.url(), secret=secret, sealed_with=key
        )
        [message_id] = await add_deliveries(container, endpoint, 1)
        refused = await worker(container, secret_key=wrong).run_once(OPERATOR)
        assert receiver.hits == []
        row = (await deliveries(container))[message_id]
        assert row.last_error is not None
        assert "does not open with TRUSTCENTER_SECRET_KEY" in row.last_error
        clock.advance(timedelta(seconds=1))
        right = worker(container, secret_key=key)
        sent = await right.run_once(OPERATOR)
        await right.sender.close()
    stored = (await endpoint_row(container, endpoint.id)).secret
    assert stored.startswith("enc:v1:") and secret not in stored
    assert (refused.retrying, sent.delivered) == (1, 1)
    assert [h.verified for h in receiver.hits] == [(True,)]


async def test_after_three_days_a_delivery_fails_and_its_endpoint_is_disabled(
    container: Container, world: World, now: datetime, clock: FixedClock
) -> None:
    with Receiver(reply=lambda hit, n: Reply(503, 5)).running() as receiver:
        agency = await world.agency()
        async with container.db.transaction() as session:  # where the agency is told
            await session.execute(
                update(Agency).where(Agency.id == agency).values(contact_email="ops@lka.example")
            )
        endpoint = await add_endpoint(container, agency, receiver.url())
        [first] = await add_deliveries(container, endpoint, 1)
        w = worker(container)
        await w.run_once(OPERATOR)
        clock.advance(GIVE_UP_AFTER - timedelta(hours=1))
        [later] = await add_deliveries(container, endpoint, 1)  # a newer event, still retried
        mid = await w.run_once(OPERATOR)
        clock.advance(timedelta(hours=1))
        last = await w.run_once(OPERATOR)
        await w.sender.close()
    assert (mid.retrying, mid.failed, mid.disabled) == (2, 0, 0)
    assert (last.failed, last.disabled) == (1, 1)
    assert len(receiver.hits) == 5
    rows = await deliveries(container)
    assert (rows[first].status, rows[first].last_status) == ("failed", 503)
    assert rows[first].last_error == "HTTP 503: xxxxx"
    assert rows[later].status == "failed"  # not sent to a disabled endpoint
    assert rows[later].last_error == (
        "not sent: the endpoint was disabled (every delivery failed for three days)"
    )
    row = await endpoint_row(container, endpoint.id)
    assert (row.enabled, row.disabled_reason, row.disabled_at) == (
        False,
        "every delivery failed for three days",
        clock.now(),
    )
    actions = await audit_actions(container)
    assert actions.count("webhooks.delivery_failed") == 1
    assert actions.count("webhooks.endpoint_disabled") == 1
    async with container.db.reader() as session:  # and the agency is told, by e-mail
        told = (await session.scalars(select(StatusEmail))).all()
    assert [(e.recipient, e.event_type, e.request_id) for e in told] == [
        ("ops@lka.example", "endpoint.disabled", None)
    ]
    assert "disabled" in told[0].subject and receiver.url() not in told[0].body


async def test_an_endpoint_that_answers_again_is_not_disabled(
    container: Container, world: World, now: datetime, clock: FixedClock
) -> None:
    """A receiver that answers is never disabled, however old its failed deliveries."""
    answers = iter([500] + [200] * 10)
    with Receiver(reply=lambda hit, n: Reply(next(answers))).running() as receiver:
        agency = await world.agency()
        endpoint = await add_endpoint(container, agency, receiver.url())
        await add_deliveries(container, endpoint, 1)
        w = worker(container)
        await w.run_once(OPERATOR)
        await add_deliveries(container, endpoint, 1, created_at=clock.now())
        clock.advance(timedelta(seconds=1))
        await w.run_once(OPERATOR)
        clock.advance(GIVE_UP_AFTER)
        result = await w.run_once(OPERATOR)
        await w.sender.close()
    assert result.disabled == 0
    assert len(receiver.hits) == 3
    row = await endpoint_row(container, endpoint.id)
    assert (row.enabled, row.failing_since) == (True, None)
