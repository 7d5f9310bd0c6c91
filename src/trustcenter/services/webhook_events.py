"""Status events into the outboxes, in the transaction of the change that caused them.

``changes.apply`` (every transition) and the submission call :func:`enqueue`: one webhook
delivery per enabled endpoint of the request's agency that chose the event's type, and for the
e-mailed events (``domain.status_emails.EMAILED``) one status e-mail to the officer named on
the request and one to the agency's contact address, unless the agency turned them off. Both
are written with the change itself, so a change that rolls back leaves no event and an event is
never lost to a crash between the change and its announcement. The worker delivers them."""

from __future__ import annotations

from datetime import datetime

from trustcenter.clock import Clock
from trustcenter.db.models import Request, StatusEmail, WebhookDelivery
from trustcenter.db.repositories.webhook_endpoints import Audience
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain import status_emails
from trustcenter.domain.webhooks import (
    DeliveryStatus,
    EventType,
    event_payload,
    new_message_id,
    request_global_id,
)


async def enqueue(uow: UnitOfWork, clock: Clock, row: Request, event: EventType) -> int:
    """Owe ``event`` about ``row`` (as it stands now) to whoever is to hear of it; how many
    rows were written. An agency without endpoints costs one read per unit of work."""
    audience = await uow.webhook_endpoints.audience(row.agency_id)
    wanted = f" {event.value} "
    targets = [s for s in audience.endpoints if wanted in s.event_types]
    now = clock.now()
    out: list[WebhookDelivery | StatusEmail] = []
    if targets:
        body = event_payload(event, now, row.id, row.status, row.version, uow.issuer)
        out += [
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
    if event in status_emails.EMAILED and audience.emails:
        out += _emails(uow, row, event, audience, now)
    if out:
        uow.webhook_endpoints.enqueue(out)
    return len(out)


def _emails(
    uow: UnitOfWork, row: Request, event: EventType, audience: Audience, now: datetime
) -> list[StatusEmail]:
    language = status_emails.language_of_agency(audience.country)
    subject, body = status_emails.compose(
        event,
        language,
        request_global_id(row.id),
        row.status.upper(),
        uow.issuer.rstrip("/") + "/graphql",
    )
    return [
        StatusEmail(
            request_id=row.id,
            agency_id=row.agency_id,
            event_type=event.value,
            recipient=address,
            language=language,
            subject=subject,
            body=body,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            available_at=now,
            created_at=now,
        )
        for address in status_emails.recipients(row.officer_email, audience.contact_email)
    ]
