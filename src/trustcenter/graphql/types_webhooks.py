"""Status webhooks' types over GraphQL: an agency's endpoint (never its secret) and a
delivery as operators see it; plain fields read straight off the service's views."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.relay.utils import to_base64

from trustcenter.domain.webhooks import DeliveryStatus, EventType
from trustcenter.graphql.nodes import ViewFields, plain
from trustcenter.services.webhooks import DeliveryView, EndpointView

WebhookDeliveryStatus = strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")
TYPES = ", ".join(t.value for t in EventType)
NODE = "WebhookEndpoint"


def _global(kind: str, value: object) -> strawberry.ID:
    return strawberry.ID(to_base64(kind, str(value)))


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
class WebhookEndpointType(ViewFields):
    view: strawberry.Private[EndpointView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return _global(NODE, self.view.id)

    url: str = plain()
    description: str = plain()
    #: StrEnum members: GraphQL writes their values
    event_types: list[str] = plain(f"The event types it is told of: {TYPES}.")
    enabled: bool = plain()
    disabled_reason: str | None = plain("Why it is disabled: by the agency, or failing for 3 days.")
    disabled_at: datetime | None = plain()
    failing_since: datetime | None = plain("Since when every delivery to it has failed.")
    private_allowed: bool = plain(
        "An admin allowed a private address for it.", name="privateAddressAllowed"
    )
    previous_secret_until: datetime | None = plain(
        "Until when the secret before the last rotation still signs.",
        name="previousSecretValidUntil",
    )
    created_at: datetime = plain()
    updated_at: datetime = plain()
    version: int = plain()

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
class WebhookDeliveryType(ViewFields):
    view: strawberry.Private[DeliveryView]

    message_id: str = plain("The webhook-id the receiver sees on every attempt.")
    event_type: str = plain()
    status: WebhookDeliveryStatus = plain()  # type: ignore[valid-type]
    attempts: int = plain()

    @strawberry.field
    def endpoint_id(self) -> strawberry.ID:
        return _global(NODE, self.view.endpoint_id)

    endpoint_url: str = plain()

    @strawberry.field
    def agency_id(self) -> strawberry.ID:
        return _global("Agency", self.view.agency_id)

    @strawberry.field
    def request_id(self) -> strawberry.ID | None:
        rid = self.view.request_id
        return _global("Request", rid) if rid else None

    created_at: datetime = plain()
    available_at: datetime = plain("Not attempted again before this.")
    delivered_at: datetime | None = plain()
    last_status: int | None = plain("The HTTP status of the last attempt.")
    last_error: str | None = plain()
