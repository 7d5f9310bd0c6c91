"""Status webhooks, the agency's side: its endpoints (create, change, delete, rotate the secret,
list) and its status e-mails switch; the operators' side: deliveries by status, and an admin's
exception for a private address.

An agency sees and changes only its own endpoints: another agency's id is "no such endpoint",
exactly like one that does not exist. A secret is answered once, when it is made (create,
rotate), and stored sealed (``auth.secret_box``, which the delivery worker opens); no read
ever returns it. Every change is audited without the secret, and with the address's query
left out (a receiver may carry a token there)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from trustcenter.auth.principal import Principal
from trustcenter.auth.secret_box import seal_secret
from trustcenter.db.models import WebhookEndpoint
from trustcenter.db.repositories.webhook_endpoints import DeliveryCounts
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.webhooks import (
    DELETED,
    MAX_DESCRIPTION,
    MAX_ENDPOINTS,
    ROTATION_OVERLAP,
    DeliveryStatus,
    EventType,
    check_url,
    checked_event_types,
    decode_event_types,
    encode_event_types,
    new_secret,
)
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.deps import AppParts

#: the window of the delivery counts an endpoint shows
COUNTS_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class EndpointView:
    id: uuid.UUID
    url: str
    description: str
    event_types: tuple[EventType, ...]
    enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    failing_since: datetime | None
    private_allowed: bool
    previous_secret_until: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int
    counts: DeliveryCounts | None = None


def endpoint_view(row: WebhookEndpoint, counts: DeliveryCounts | None = None) -> EndpointView:
    return EndpointView(
        row.id,
        row.url,
        row.description,
        tuple(decode_event_types(row.event_types)),
        row.enabled,
        row.disabled_reason,
        row.disabled_at,
        row.failing_since,
        row.private_allowed,
        row.previous_until,
        row.created_at,
        row.updated_at,
        row.version,
        counts,
    )


@dataclass(frozen=True, slots=True)
class EndpointWithSecret:
    endpoint: EndpointView
    #: the signing secret, answered this once
    secret: str


def _refused(field: str, message: str, code: ErrorCode = ErrorCode.INVALID_INPUT) -> DomainError:
    return DomainError.single(field, message, code)


def _checked_url(app: AppParts, url: str) -> str:
    refusal = check_url(url, production=app.settings.production)
    if refusal is not None:
        raise _refused("url", refusal.reason)
    return url


def _checked_types(given: list[str]) -> str:
    checked = checked_event_types(given)
    if isinstance(checked, str):
        raise _refused("eventTypes", checked)
    return encode_event_types(checked)


def _checked_description(text: str) -> str:
    text = text.strip()
    if len(text) > MAX_DESCRIPTION:
        raise _refused("description", f"is longer than {MAX_DESCRIPTION} characters")
    return text


def _audited(row: WebhookEndpoint) -> dict[str, object]:
    """What the audit keeps of an endpoint: never its secret, nor its address's query."""
    parts = urlsplit(row.url)
    return {
        "agency_id": str(row.agency_id),
        "url": f"{parts.scheme}://{parts.netloc}{parts.path}",
        "event_types": row.event_types.split(),
        "enabled": row.enabled,
        "version": row.version,
    }


async def _record(
    uow: UnitOfWork, app: AppParts, principal: Principal, action: str, row: WebhookEndpoint
) -> None:
    await uow.audit.record(
        app.clock, actor_of(principal), action, ("webhook_endpoint", row.id), data=_audited(row)
    )


def _agency(principal: Principal) -> uuid.UUID:
    assert principal.agency_id is not None  # the agency audience's rule holds
    return principal.agency_id


async def _own(uow: UnitOfWork, principal: Principal, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    """The endpoint, locked, if it is the caller's agency's (any for staff)."""
    agency = None if principal.is_staff else _agency(principal)
    row = await uow.webhook_endpoints.lock(endpoint_id, agency)
    if row is None:
        raise _refused("id", "no such endpoint", ErrorCode.NOT_FOUND)
    return row


async def create_endpoint(
    app: AppParts,
    principal: Principal,
    *,
    url: str,
    event_types: list[str],
    description: str = "",
) -> EndpointWithSecret:
    """Register an endpoint for the caller's agency; its secret is answered here once."""
    authorize(principal, "create_webhook_endpoint")
    agency_id = _agency(principal)
    checked_url, types = _checked_url(app, url), _checked_types(event_types)
    label = _checked_description(description)
    secret, now = new_secret(), app.clock.now()
    endpoint_id = uuid.uuid4()
    row = WebhookEndpoint(
        id=endpoint_id,
        agency_id=agency_id,
        url=checked_url,
        description=label,
        event_types=types,
        secret=seal_secret(app.settings.secret_key_bytes, endpoint_id, secret),
        enabled=True,
        private_allowed=False,
        created_at=now,
        updated_at=now,
        version=1,
    )
    async with app.uow() as uow:
        await uow.agencies.lock(agency_id)  # two creations at once count one after the other
        if await uow.webhook_endpoints.count_of_agency(agency_id) >= MAX_ENDPOINTS:
            raise _refused(
                "url",
                f"an agency may register at most {MAX_ENDPOINTS} endpoints; delete one first",
                ErrorCode.CONFLICT,
            )
        uow.add(row)
        await uow.flush()
        await _record(uow, app, principal, "webhook_endpoint.created", row)
    return EndpointWithSecret(endpoint_view(row), secret)


async def update_endpoint(
    app: AppParts,
    principal: Principal,
    endpoint_id: uuid.UUID,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> EndpointView:
    """Change what is given (the rest stays). Enabling an endpoint that was disabled (by the
    agency, or after failing for three days) starts it afresh."""
    authorize(principal, "update_webhook_endpoint")
    checked_url = _checked_url(app, url) if url is not None else None
    types = _checked_types(event_types) if event_types is not None else None
    label = _checked_description(description) if description is not None else None
    now = app.clock.now()
    async with app.uow() as uow:
        row = await _own(uow, principal, endpoint_id)
        if checked_url is not None:
            row.url = checked_url
        if types is not None:
            row.event_types = types
        if label is not None:
            row.description = label
        if enabled is True and not row.enabled:
            row.enabled, row.disabled_reason, row.disabled_at = True, None, None
            row.failing_since = None
        elif enabled is False and row.enabled:
            row.enabled, row.disabled_reason, row.disabled_at = False, "disabled by the agency", now
        row.updated_at, row.version = now, row.version + 1
        await _record(uow, app, principal, "webhook_endpoint.updated", row)
    return endpoint_view(row)


async def delete_endpoint(app: AppParts, principal: Principal, endpoint_id: uuid.UUID) -> bool:
    """Delete an endpoint: for real when no delivery names it; otherwise it is disabled, its
    secret wiped and it is hidden from the agency, while the deliveries' record (what was
    delivered, what FAILED) stays for operators. True when it was deleted for real."""
    authorize(principal, "delete_webhook_endpoint")
    now = app.clock.now()
    async with app.uow() as uow:
        row = await _own(uow, principal, endpoint_id)
        await _record(uow, app, principal, "webhook_endpoint.deleted", row)
        if not await uow.webhook_endpoints.is_referenced(row.id):
            await uow.delete(row)
            return True
        row.enabled, row.disabled_reason, row.disabled_at = False, DELETED, now
        row.secret, row.previous_secret, row.previous_until = "", None, None
        row.updated_at, row.version = now, row.version + 1
    return False


async def rotate_secret(
    app: AppParts, principal: Principal, endpoint_id: uuid.UUID
) -> EndpointWithSecret:
    """A new secret, answered here once; deliveries are signed with the previous one too for
    ``ROTATION_OVERLAP`` (Standard Webhooks: several signatures), so the receiver can switch."""
    authorize(principal, "rotate_webhook_secret")
    secret, now = new_secret(), app.clock.now()
    async with app.uow() as uow:
        row = await _own(uow, principal, endpoint_id)
        row.previous_secret, row.previous_until = row.secret, now + ROTATION_OVERLAP
        row.secret = seal_secret(app.settings.secret_key_bytes, row.id, secret)
        row.updated_at, row.version = now, row.version + 1
        await _record(uow, app, principal, "webhook_endpoint.secret_rotated", row)
    return EndpointWithSecret(endpoint_view(row), secret)


async def list_endpoints(app: AppParts, principal: Principal) -> list[EndpointView]:
    """The caller's agency's endpoints, oldest first, with their last week's deliveries."""
    authorize(principal, "list_webhook_endpoints")
    since = app.clock.now() - COUNTS_WINDOW
    async with app.uow.read() as uow:
        rows = await uow.webhook_endpoints.of_agency(_agency(principal))
        counts = await uow.webhook_endpoints.counts([r.id for r in rows], since)
    return [endpoint_view(r, counts.get(r.id, DeliveryCounts())) for r in rows]


async def allow_private_address(
    app: AppParts, principal: Principal, endpoint_id: uuid.UUID, allowed: bool
) -> EndpointView:
    """An admin lets one endpoint's deliveries go to a private, loopback or link-local address
    (an agency's receiver inside a network the operator trusts), or takes that back."""
    authorize(principal, "allow_private_webhook_address")
    now = app.clock.now()
    async with app.uow() as uow:
        row = await _own(uow, principal, endpoint_id)
        row.private_allowed = allowed
        row.updated_at, row.version = now, row.version + 1
        action = (
            "webhook_endpoint.private_allowed" if allowed else "webhook_endpoint.private_refused"
        )
        await _record(uow, app, principal, action, row)
    return endpoint_view(row)


@dataclass(frozen=True, slots=True)
class DeliveryView:
    id: uuid.UUID
    message_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    agency_id: uuid.UUID
    endpoint_id: uuid.UUID
    endpoint_url: str
    request_id: uuid.UUID | None
    created_at: datetime
    available_at: datetime
    delivered_at: datetime | None
    last_status: int | None
    last_error: str | None


#: the most deliveries one listing shows
MAX_DELIVERIES = 500


async def list_deliveries(
    app: AppParts, principal: Principal, status: DeliveryStatus | None, limit: int = 100
) -> list[DeliveryView]:
    """The newest deliveries (of one status: FAILED for the operators' list), at most
    ``MAX_DELIVERIES``. The body (ids and links) is not shown: the event type says it."""
    authorize(principal, "list_webhook_deliveries")
    if not 1 <= limit <= MAX_DELIVERIES:
        raise _refused("first", f"give between 1 and {MAX_DELIVERIES}")
    async with app.uow.read() as uow:
        rows = await uow.webhook_endpoints.deliveries(status, limit)
    return [
        DeliveryView(
            d.id,
            d.message_id,
            d.event_type,
            DeliveryStatus(d.status),
            d.attempts,
            d.agency_id,
            e.id,
            e.url,
            d.request_id,
            d.created_at,
            d.available_at,
            d.delivered_at,
            d.last_status,
            d.last_error,
        )
        for d, e in rows
    ]


async def set_status_emails(app: AppParts, principal: Principal, enabled: bool) -> bool:
    """Turn the agency's status e-mails (to the officer named on a request and the agency's
    contact address) on or off; what they are now."""
    authorize(principal, "set_status_emails")
    async with app.uow() as uow:
        agency = await uow.agencies.lock(_agency(principal))
        if agency is None:
            raise _refused("enabled", "no such agency", ErrorCode.NOT_FOUND)
        if agency.status_emails != enabled:
            agency.status_emails = enabled
            await uow.audit.record(
                app.clock,
                actor_of(principal),
                "agency.status_emails_set",
                ("agency", agency.id),
                data={"enabled": enabled},
            )
    return enabled
