"""The outbox of the embedded notice channel: one row per notice it accepted."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk


class OutboxMessage(UUIDPk, Base):
    """A notice as the built-in channel delivered it; the idempotency key is unique, so a retry
    of the same notice never adds a second row."""

    __tablename__ = "notice_outbox"

    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    notice_id: Mapped[uuid.UUID]
    request_id: Mapped[uuid.UUID] = mapped_column(index=True)
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Notice(UUIDPk, Base):
    """The delayed notice owed to one affected user for one released request."""

    __tablename__ = "notices"
    __table_args__ = (
        UniqueConstraint("request_id", "account_id", name="uq_notices_user"),
        Index("ix_notices_claimable", "status", "due_at"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("requests.id"), index=True)
    disclosure_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("disclosures.id"))
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    #: scheduled, suppressed, delivered or failed
    status: Mapped[str] = mapped_column(String(16))
    #: the information types disclosed about this user, as letters separated by spaces ("A C")
    info_types: Mapped[str] = mapped_column(String(16), default="", server_default="")
    released_at: Mapped[datetime]
    due_at: Mapped[datetime]
    created_at: Mapped[datetime]
    deliveries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    delivered_at: Mapped[datetime | None]
    #: delivery attempts so far (a claim counts as one)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: not claimable before this: the end of a worker's lease, or of a retry's back-off
    available_at: Mapped[datetime | None]
    #: the claim token of the worker holding it, while one does
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)


class NoticeException(UUIDPk, Base):
    """A lawful reason to hold a request's user notices back, recorded by staff."""

    __tablename__ = "notice_exceptions"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("requests.id"), index=True)
    #: court_order_or_law, risk_of_harm or child_abuse
    kind: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str | None] = mapped_column(String(200))
    ends_on: Mapped[date | None] = mapped_column(Date)
    justification: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(128))
    recorded_at: Mapped[datetime]
    #: exceptions without an end date come up for re-review every 90 days
    review_due_at: Mapped[datetime | None]
    lifted_at: Mapped[datetime | None]
    lifted_by: Mapped[str | None] = mapped_column(String(128))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    def holds_on(self, day: date) -> bool:
        return self.lifted_at is None and (self.ends_on is None or day <= self.ends_on)
