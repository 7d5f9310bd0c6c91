"""Requests, their legal basis, their targets and the requested items (target x info type)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk
from trustcenter.domain.report import counting_key


def _key_of(column: str) -> Any:
    """A column default: the counting key of ``column``'s value in the same insert (core
    inserts and bulk inserts included, so every writer stores it)."""

    def default(context: Any) -> str | None:
        value = context.get_current_parameters().get(column)
        return None if value is None else counting_key(value)

    return default


class LegalBasis(UUIDPk, Base):
    __tablename__ = "legal_bases"

    kind: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(200))
    #: ``reference`` as the report compares it (domain.report.counting_key)
    reference_key: Mapped[str] = mapped_column(Text, default=_key_of("reference"))
    issued_by: Mapped[str] = mapped_column(String(300))
    #: who issued it: judge, court, prosecutor, police, administrative (rules depend on it)
    issuer_role: Mapped[str | None] = mapped_column(String(32))
    issued_at: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[date | None] = mapped_column(Date)
    non_disclosure_until: Mapped[date | None] = mapped_column(Date)
    document: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    document_sha256: Mapped[str | None] = mapped_column(String(64))
    document_size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]


class Request(UUIDPk, Base):
    __tablename__ = "requests"
    __table_args__ = (
        UniqueConstraint("agency_id", "idempotency_key", name="uq_requests_idempotency"),
        Index("ix_requests_received", "received_at", "id"),
        Index("ix_requests_agency_received", "agency_id", "received_at", "id"),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("oauth_clients.id"))
    legal_basis_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("legal_bases.id"))
    revision_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("requests.id"))
    jurisdiction: Mapped[str] = mapped_column(String(8))
    #: the requesting agency's country when the request was received (the report counts by it)
    country: Mapped[str] = mapped_column(String(2), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    emergency: Mapped[bool] = mapped_column(Boolean, default=False)
    emergency_description: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    officer_name: Mapped[str] = mapped_column(String(200))
    officer_title: Mapped[str] = mapped_column(String(200), default="")
    officer_email: Mapped[str] = mapped_column(String(254))
    officer_phone: Mapped[str] = mapped_column(String(32), default="")
    received_at: Mapped[datetime]
    deadline: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    #: until when the named data must be preserved (a plugin decides; PRESERVATION requests)
    hold_until: Mapped[datetime | None]
    hold_extensions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    payload_sha256: Mapped[str] = mapped_column(String(64))
    #: what the request counts as in the transparency report (domain.report.Outcome)
    report_outcome: Mapped[str] = mapped_column(
        String(16), default="pending", server_default="pending"
    )
    #: the company's first answer (disclosure, rejection or objection)
    responded_at: Mapped[datetime | None]
    #: the id a request imported from the company's earlier records had there
    external_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    #: the reviewer whose queue the request is in (None: nobody's yet)
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("staff_members.id"), index=True
    )
    assigned_at: Mapped[datetime | None]


class Target(UUIDPk, Base):
    __tablename__ = "request_targets"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    identifier_type: Mapped[str] = mapped_column(String(32))
    identifier: Mapped[str] = mapped_column(String(254))
    #: ``identifier`` as the report compares it (domain.report.counting_key)
    identifier_key: Mapped[str] = mapped_column(Text, default=_key_of("identifier"))
    #: what the identifier resolved to when the request was reviewed: "account:<id>",
    #: "product:<id>", or None when it named nothing the company holds (then resolved_at says
    #: it was looked up); the report counts subjects, so later deletions change no figure
    subject_key: Mapped[str | None] = mapped_column(String(100))
    resolved_at: Mapped[datetime | None]


class RequestedItem(UUIDPk, Base):
    """One target x one information type: the unit a reviewer decides on."""

    __tablename__ = "requested_items"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    target_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("request_targets.id", ondelete="CASCADE"), index=True
    )
    info_type: Mapped[str] = mapped_column(String(1))
    range_from: Mapped[date | None] = mapped_column(Date)
    range_to: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(64))
    explanation: Mapped[str | None] = mapped_column(Text)
    #: a NARROW decision's shorter range and/or field subset (JSON list), within what was asked
    approved_from: Mapped[date | None] = mapped_column(Date)
    approved_to: Mapped[date | None] = mapped_column(Date)
    approved_fields: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(128))


class Message(UUIDPk, Base):
    """The clarification thread of a request: both the agency and staff read it."""

    __tablename__ = "request_messages"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    author_kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(String(128))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class InternalNote(UUIDPk, Base):
    """A staff-only note on a request: never shown to the agency, every one audited."""

    __tablename__ = "request_notes"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    #: the audit's actor id of the author (a person's staff id, or a client's id)
    author_id: Mapped[str] = mapped_column(String(128))
    author_name: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


class Finding(UUIDPk, Base):
    """A plugin rule's finding on a request, shown to reviewers. A ``block`` finding stops
    release until an admin overrides it with a recorded justification."""

    __tablename__ = "request_findings"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    plugin: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    overridden_at: Mapped[datetime | None]
    overridden_by: Mapped[str | None] = mapped_column(String(128))
    override_justification: Mapped[str | None] = mapped_column(Text)
    #: set when the finding no longer applies to what is decided (recomputed after every
    #: decision, answer and revision); a resolved finding stays readable and stops nothing
    resolved_at: Mapped[datetime | None]
    resolved_reason: Mapped[str | None] = mapped_column(Text)
