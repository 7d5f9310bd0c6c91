"""Status webhooks: the endpoints agencies register, and the outbox of deliveries to them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk


class Leased:
    """What the worker keeps of a row it delivers: its state, its attempts, its lease (the
    outbox of webhook deliveries and that of status e-mails share these columns)."""

    #: pending, delivered or failed (``domain.webhooks.DeliveryStatus``)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: not claimable before this: the end of a worker's lease, or of a retry's back-off
    available_at: Mapped[datetime]
    #: the claim token of the worker holding it, while one does
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookEndpoint(UUIDPk, Base):
    """An HTTPS address an agency asked to be told at, for the event types it chose."""

    __tablename__ = "webhook_endpoints"

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(String(200), default="", server_default="")
    #: the chosen event types, separated and surrounded by spaces (" request.decided … ")
    event_types: Mapped[str] = mapped_column(Text)
    #: the signing secret ("whsec_…"), encrypted under TRUSTCENTER_SECRET_KEY when it is set
    secret: Mapped[str] = mapped_column(Text)
    #: the secret before the last rotation, still signing beside the new one until
    #: ``previous_until`` (Standard Webhooks: several signatures during a rotation)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_until: Mapped[datetime | None]
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    #: why it was disabled (by the agency, or after failing for three days)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    disabled_at: Mapped[datetime | None]
    #: since when every delivery to it has failed (None: the last one succeeded)
    failing_since: Mapped[datetime | None]
    #: an admin allowed a private, loopback or link-local address for this endpoint
    private_allowed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")


class WebhookDelivery(Leased, UUIDPk, Base):
    """One event owed to one endpoint: written in the transaction of the change that caused
    it, delivered by the worker until the receiver acknowledges it (2xx) or three days pass."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("message_id", name="uq_webhook_deliveries_message_id"),
        Index("ix_webhook_deliveries_claimable", "status", "available_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id"), index=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(index=True)
    #: the ``webhook-id`` the receiver sees, the same on every attempt ("msg_…")
    message_id: Mapped[str] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    #: the JSON body, fixed when the event happened (ids, status and links; no user data)
    payload: Mapped[str] = mapped_column(Text)
    last_status: Mapped[int | None]


class StatusEmail(Leased, UUIDPk, Base):
    """A short e-mail owed to the officer named on a request or the agency's contact address
    (the request needs their answer, was decided, or has data ready): written in the
    transaction of the change, delivered by the worker through the notice channels."""

    __tablename__ = "status_emails"
    __table_args__ = (Index("ix_status_emails_claimable", "status", "available_at"),)

    #: the request it is about; None for an e-mail about the agency itself (an endpoint the
    #: delivery worker disabled after failing for three days)
    request_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    agency_id: Mapped[uuid.UUID]
    #: a ``domain.webhooks.EventType`` value, or what the e-mail is about ("endpoint.disabled")
    event_type: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8))
    #: written when the event happened: ids, status and a link, no user data
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
