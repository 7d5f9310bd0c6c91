"""Status webhooks' types over GraphQL: an agency's endpoint (never its secret) and a
delivery as operators see it."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.relay.utils import to_base64

from trustcenter.domain.webhooks import DeliveryStatus, EventType
from trustcenter.services.webhooks import DeliveryView, EndpointView

WebhookDeliveryStatus = strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")
TYPES = ", ".join(t.value for t in EventType)
NODE = "WebhookEndpoint"


@strawberry.type(description="An endpoint's deliveries of the last 7 days.")
class WebhookDeliveryCounts:
    pending: int
    delivered: int
    failed: int
    last_failed_event_at: datetime | None = strawberry.field(
        description="When the newest event that FAILED happened."
    )


@strawberry.type(
    name="WebhookEndpoint",
    description="An address the agency is told at, signed as the Standard Webhooks "
    "specification says. Its secret is answered only when it is made.",
)
class WebhookEndpointType:
    view: strawberry.Private[EndpointView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_base64(NODE, str(self.view.id)))

    @strawberry.field
    def url(self) -> str:
        return self.view.url

    @strawberry.field
    def description(self) -> str:
        return self.view.description

    @strawberry.field(description=f"The event types it is told of: {TYPES}.")
    def event_types(self) -> list[str]:
        return [t.value for t in self.view.event_types]

    @strawberry.field
    def enabled(self) -> bool:
        return self.view.enabled

    @strawberry.field(description="Why it is disabled: by the agency, or failing for 3 days.")
    def disabled_reason(self) -> str | None:
        return self.view.disabled_reason

    @strawberry.field
    def disabled_at(self) -> datetime | None:
        return self.view.disabled_at

    @strawberry.field(description="Since when every delivery to it has failed.")
    def failing_since(self) -> datetime | None:
        return self.view.failing_since

    @strawberry.field(description="An admin allowed a private address for it.")
    def private_address_allowed(self) -> bool:
        return self.view.private_allowed

    @strawberry.field(description="Until when the secret before the last rotation still signs.")
    def previous_secret_valid_until(self) -> datetime | None:
        return self.view.previous_secret_until

    @strawberry.field
    def created_at(self) -> datetime:
        return self.view.created_at

    @strawberry.field
    def updated_at(self) -> datetime:
        return self.view.updated_at

    @strawberry.field
    def version(self) -> int:
        return self.view.version

    @strawberry.field(description="Its deliveries of the last 7 days (in webhookEndpoints).")
    def recent_deliveries(self) -> WebhookDeliveryCounts | None:
        c = self.view.counts
        if c is None:
            return None
        return WebhookDeliveryCounts(
            pending=c.pending,
            delivered=c.delivered,
            failed=c.failed,
            last_failed_event_at=c.last_failure_at,
        )


@strawberry.type(name="WebhookDelivery", description="One event owed to one endpoint.")
class WebhookDeliveryType:
    view: strawberry.Private[DeliveryView]

    @strawberry.field(description="The webhook-id the receiver sees on every attempt.")
    def message_id(self) -> str:
        return self.view.message_id

    @strawberry.field
    def event_type(self) -> str:
        return self.view.event_type

    @strawberry.field
    def status(self) -> WebhookDeliveryStatus:  # type: ignore[valid-type]
        return self.view.status

    @strawberry.field
    def attempts(self) -> int:
        return self.view.attempts

    @strawberry.field
    def endpoint_id(self) -> strawberry.ID:
        return strawberry.ID(to_base64(NODE, str(self.view.endpoint_id)))

    @strawberry.field
    def endpoint_url(self) -> str:
        return self.view.endpoint_url

    @strawberry.field
    def agency_id(self) -> strawberry.ID:
        return strawberry.ID(to_base64("Agency", str(self.view.agency_id)))

    @strawberry.field
    def request_id(self) -> strawberry.ID | None:
        rid = self.view.request_id
        return strawberry.ID(to_base64("Request", str(rid))) if rid else None

    @strawberry.field
    def created_at(self) -> datetime:
        return self.view.created_at

    @strawberry.field(description="Not attempted again before this.")
    def available_at(self) -> datetime:
        return self.view.available_at

    @strawberry.field
    def delivered_at(self) -> datetime | None:
        return self.view.delivered_at

    @strawberry.field(description="The HTTP status of the last attempt.")
    def last_status(self) -> int | None:
        return self.view.last_status

    @strawberry.field
    def last_error(self) -> str | None:
        return self.view.last_error
