"""Status events into the webhook outbox, in the transaction of the change that caused them.

``changes.apply`` (every transition) and the submission call :func:`enqueue`: one delivery row
per enabled endpoint of the request's agency that chose the event's type, written with the
change itself, so a change that rolls back leaves no event and an event is never lost to a
crash between the change and its announcement. The worker delivers the rows."""

from __future__ import annotations

from trustcenter.clock import Clock
from trustcenter.db.models import Request, WebhookDelivery
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.webhooks import (
    DeliveryStatus,
    EventType,
    event_payload,
    new_message_id,
)


async def enqueue(uow: UnitOfWork, clock: Clock, row: Request, event: EventType) -> int:
    """Owe ``event`` about ``row`` (as it stands now) to each subscribed endpoint; how many.
    An agency without endpoints costs one read per unit of work."""
    wanted = f" {event.value} "
    targets = [
        s for s in await uow.webhook_endpoints.subscribers(row.agency_id) if wanted in s.event_types
    ]
    if not targets:
        return 0
    now = clock.now()
    body = event_payload(event, now, row.id, row.status, row.version, uow.issuer)
    uow.webhook_endpoints.enqueue(
        [
            WebhookDelivery(
                endpoint_id=target.id,
                agency_id=row.agency_id,
                message_id=new_message_id(),
                event_type=event.value,
                request_id=row.id,
                payload=body,
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                available_at=now,
                created_at=now,
            )
            for target in targets
        ]
    )
    return len(targets)
