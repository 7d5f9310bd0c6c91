"""Status webhooks over GraphQL: the agency's endpoints and status e-mails switch; the
operators' list of deliveries and an admin's exception for a private address."""

from __future__ import annotations

import uuid

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.graphql.types_webhooks import (
    NODE,
    TYPES,
    WebhookDeliveryStatus,
    WebhookDeliveryType,
    WebhookEndpointType,
)
from trustcenter.services.webhooks import (
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


def _endpoint_id(raw: relay.GlobalID) -> uuid.UUID:
    return parse_id(raw, NODE) or MISSING


@strawberry.input
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="https:// (in development also http://127.0.0.1 or localhost); no user "
        "name or password; at most 2,000 characters."
    )
    event_types: list[str] = strawberry.field(description=f"At least one of: {TYPES}.")
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
