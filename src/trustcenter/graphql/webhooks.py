"""Status webhooks over GraphQL: the agency's endpoints and status e-mails switch; the
operators' list of deliveries and an admin's exception for a private address."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.relay.utils import to_base64
from strawberry.types import Info

from trustcenter.domain.webhooks import DeliveryStatus, EventType
from trustcenter.graphql.access_text import described
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.services.webhooks import (
    DeliveryView,
    EndpointView,
    EndpointWithSecret,
    allow_private_address,
    create_endpoint,
    delete_endpoint,
    list_deliveries,
    list_endpoints,
    rotate_secret,
    set_status_emails,
    update_endpoint,
)

WebhookDeliveryStatus = strawberry.enum(DeliveryStatus, name="WebhookDeliveryStatus")
_TYPES = ", ".join(t.value for t in EventType)
_NODE = "WebhookEndpoint"


def _endpoint_id(raw: relay.GlobalID) -> uuid.UUID:
    return parse_id(raw, _NODE) or MISSING


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
        return strawberry.ID(to_base64(_NODE, str(self.view.id)))

    @strawberry.field
    def url(self) -> str:
        return self.view.url

    @strawberry.field
    def description(self) -> str:
        return self.view.description

    @strawberry.field(description=f"The event types it is told of: {_TYPES}.")
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
        return strawberry.ID(to_base64(_NODE, str(self.view.endpoint_id)))

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


@strawberry.input
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="https:// (in development also http://127.0.0.1 or localhost); no user "
        "name or password; at most 2,000 characters."
    )
    event_types: list[str] = strawberry.field(description=f"At least one of: {_TYPES}.")
    description: str = ""


@strawberry.input
class UpdateWebhookEndpointInput:
    id: relay.GlobalID
    url: str | None = None
    event_types: list[str] | None = None
    description: str | None = None
    enabled: bool | None = strawberry.field(
        default=None, description="false: disable it; true: enable it again (afresh)."
    )


@strawberry.input
class WebhookEndpointIdInput:
    id: relay.GlobalID


@strawberry.input
class AllowPrivateWebhookAddressInput:
    id: relay.GlobalID
    allowed: bool = True


@strawberry.input
class SetStatusEmailsInput:
    enabled: bool


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpointType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookSecretPayload:
    endpoint: WebhookEndpointType | None = None
    secret: str | None = strawberry.field(
        default=None,
        description="The whsec_ signing secret: answered only here, never readable again.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DeleteWebhookEndpointPayload:
    deleted: bool = False
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class StatusEmailsPayload:
    enabled: bool | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _with_secret(done: EndpointWithSecret) -> WebhookSecretPayload:
    return WebhookSecretPayload(
        endpoint=WebhookEndpointType(view=done.endpoint), secret=done.secret
    )


def _endpoint(view: EndpointView) -> WebhookEndpointPayload:
    return WebhookEndpointPayload(endpoint=WebhookEndpointType(view=view))


@strawberry.type
class WebhookQuery:
    @strawberry.field(
        description=described(
            "list_webhook_endpoints",
            "The agency's webhook endpoints, oldest first, with their last week's deliveries.",
        )
    )
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpointType]:
        c = ctx(info)
        return [WebhookEndpointType(view=v) for v in await list_endpoints(c.app, c.principal)]

    @strawberry.field(
        description=described(
            "list_webhook_deliveries",
            "Webhook deliveries, newest first (status: FAILED for those given up on).",
        )
    )
    async def webhook_deliveries(
        self,
        info: Info,
        status: WebhookDeliveryStatus | None = None,  # type: ignore[valid-type]
        first: int = 100,
    ) -> list[WebhookDeliveryType]:
        c = ctx(info)
        rows = await list_deliveries(c.app, c.principal, status, first)
        return [WebhookDeliveryType(view=v) for v in rows]


@strawberry.type
class WebhookMutation:
    @strawberry.mutation(
        description=described(
            "create_webhook_endpoint",
            "Register a webhook endpoint (at most 10 per agency); its secret is answered once.",
        )
    )
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookSecretPayload | None:
        c = ctx(info)
        return await payload(
            WebhookSecretPayload,
            lambda: create_endpoint(
                c.app,
                c.principal,
                url=input.url,
                event_types=input.event_types,
                description=input.description,
            ),
            _with_secret,
        )

    @strawberry.mutation(
        description=described(
            "update_webhook_endpoint", "Change a webhook endpoint; what is not given stays."
        )
    )
    async def update_webhook_endpoint(
        self, info: Info, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload | None:
        c = ctx(info)
        return await payload(
            WebhookEndpointPayload,
            lambda: update_endpoint(
                c.app,
                c.principal,
                _endpoint_id(input.id),
                url=input.url,
                event_types=input.event_types,
                description=input.description,
                enabled=input.enabled,
            ),
            _endpoint,
        )

    @strawberry.mutation(
        description=described(
            "delete_webhook_endpoint",
            "Delete a webhook endpoint: nothing more is delivered to it.",
        )
    )
    async def delete_webhook_endpoint(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> DeleteWebhookEndpointPayload | None:
        c = ctx(info)
        return await payload(
            DeleteWebhookEndpointPayload,
            lambda: delete_endpoint(c.app, c.principal, _endpoint_id(input.id)),
            lambda _: DeleteWebhookEndpointPayload(deleted=True),
        )

    @strawberry.mutation(
        description=described(
            "rotate_webhook_secret",
            "A new signing secret, answered once; the previous one signs too for 24 hours.",
        )
    )
    async def rotate_webhook_secret(
        self, info: Info, input: WebhookEndpointIdInput
    ) -> WebhookSecretPayload | None:
        c = ctx(info)
        return await payload(
            WebhookSecretPayload,
            lambda: rotate_secret(c.app, c.principal, _endpoint_id(input.id)),
            _with_secret,
        )

    @strawberry.mutation(
        description=described(
            "allow_private_webhook_address",
            "Let one endpoint's deliveries go to a private, loopback or link-local address "
            "(allowed: false takes it back).",
        )
    )
    async def allow_private_webhook_address(
        self, info: Info, input: AllowPrivateWebhookAddressInput
    ) -> WebhookEndpointPayload | None:
        c = ctx(info)
        return await payload(
            WebhookEndpointPayload,
            lambda: allow_private_address(
                c.app, c.principal, _endpoint_id(input.id), input.allowed
            ),
            _endpoint,
        )

    @strawberry.mutation(
        description=described(
            "set_status_emails",
            "Turn the agency's status e-mails (to the officer named on a request and the "
            "agency's contact address) on or off.",
        )
    )
    async def set_status_emails(
        self, info: Info, input: SetStatusEmailsInput
    ) -> StatusEmailsPayload | None:
        c = ctx(info)
        return await payload(
            StatusEmailsPayload,
            lambda: set_status_emails(c.app, c.principal, input.enabled),
            lambda enabled: StatusEmailsPayload(enabled=enabled),
        )
