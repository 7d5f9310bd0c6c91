"""What readers are given of the records kept beside requests: notices and the exceptions
holding them back, plugin findings, OAuth clients, transparency reports and the statement,
vendors, release approvals (four eyes), staff-only internal notes and assignees. Frozen views,
as in ``services.views``; the converters take a service's result."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from trustcenter.db.models import (
    Finding,
    InternalNote,
    Notice,
    NoticeException,
    OAuthClient,
    ReleaseApproval,
    ReportStatement,
    TransparencyReport,
)
from trustcenter.domain.enums import InfoType
from trustcenter.domain.notice_states import NoticeStatus
from trustcenter.plugins.api import Severity
from trustcenter.services.vendors import VendorStatus


@dataclass(frozen=True, slots=True)
class NoticeView:
    id: uuid.UUID
    request_id: uuid.UUID
    status: NoticeStatus
    released_at: datetime
    due_at: datetime
    delivered_at: datetime | None
    attempts: int
    last_error: str | None
    deliveries: int


def notice_view(row: Notice) -> NoticeView:
    return NoticeView(
        id=row.id,
        request_id=row.request_id,
        status=NoticeStatus(row.status),
        released_at=row.released_at,
        due_at=row.due_at,
        delivered_at=row.delivered_at,
        attempts=row.attempts,
        last_error=row.last_error,
        deliveries=row.deliveries,
    )


@dataclass(frozen=True, slots=True)
class NoticeExceptionView:
    id: uuid.UUID
    request_id: uuid.UUID
    #: court_order_or_law, risk_of_harm or child_abuse
    kind: str
    reference: str | None
    ends_on: date | None
    justification: str
    recorded_at: datetime
    review_due_at: datetime | None
    lifted_at: datetime | None


def notice_exception_view(row: NoticeException) -> NoticeExceptionView:
    return NoticeExceptionView(
        id=row.id,
        request_id=row.request_id,
        kind=row.kind,
        reference=row.reference,
        ends_on=row.ends_on,
        justification=row.justification,
        recorded_at=row.recorded_at,
        review_due_at=row.review_due_at,
        lifted_at=row.lifted_at,
    )


@dataclass(frozen=True, slots=True)
class FindingView:
    id: uuid.UUID
    plugin: str
    severity: Severity
    code: str
    message: str
    citation: str
    overridden_at: datetime | None
    override_justification: str | None
    resolved_at: datetime | None
    resolved_reason: str | None


def finding_view(row: Finding) -> FindingView:
    return FindingView(
        id=row.id,
        plugin=row.plugin,
        severity=Severity(row.severity),
        code=row.code,
        message=row.message,
        citation=row.citation,
        overridden_at=row.overridden_at,
        override_justification=row.override_justification,
        resolved_at=row.resolved_at,
        resolved_reason=row.resolved_reason,
    )


@dataclass(frozen=True, slots=True)
class ClientView:
    client_id: str
    name: str
    agency_id: uuid.UUID | None
    scopes: tuple[str, ...]
    #: client_secret or private_key_jwt
    auth_method: str
    created_at: datetime
    revoked_at: datetime | None
    secret_rotated_at: datetime | None
    previous_secret_until: datetime | None


def client_view(row: OAuthClient) -> ClientView:
    return ClientView(
        client_id=row.client_id,
        name=row.name,
        agency_id=row.agency_id,
        scopes=tuple(row.scopes.split()),
        auth_method=row.auth_method,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        secret_rotated_at=row.secret_rotated_at,
        previous_secret_until=row.previous_secret_until,
    )


@dataclass(frozen=True, slots=True)
class StatementView:
    text: str
    confirmed_at: datetime


def statement_view(row: ReportStatement) -> StatementView:
    return StatementView(text=row.text, confirmed_at=row.confirmed_at)


@dataclass(frozen=True, slots=True)
class ReportView:
    year: int
    version: int
    #: draft or published
    status: str
    method_version: str
    #: the figures document, parsed (rows, totals, exclusions)
    figures: dict[str, Any]
    figures_sha256: str
    built_at: datetime
    published_at: datetime | None
    changelog: str | None
    #: the public statement the report carries, once confirmed
    statement: StatementView | None


def report_view(row: TransparencyReport) -> ReportView:
    statement = (
        StatementView(text=row.statement, confirmed_at=row.statement_confirmed_at)
        if row.statement is not None and row.statement_confirmed_at is not None
        else None
    )
    return ReportView(
        year=row.year,
        version=row.version,
        status=row.status,
        method_version=row.method_version,
        figures=json.loads(row.figures),
        figures_sha256=row.figures_sha256,
        built_at=row.built_at,
        published_at=row.published_at,
        changelog=row.changelog,
        statement=statement,
    )


@dataclass(frozen=True, slots=True)
class VendorView:
    id: uuid.UUID
    name: str
    info_types: tuple[InfoType, ...]
    same_standards_clause: bool
    #: until when its newest attestation holds
    attested_until: datetime | None
    #: why its data may not be disclosed at the moment the view was made; None when it may
    blocked_because: str | None


def vendor_view(status: VendorStatus, now: datetime) -> VendorView:
    vendor = status.vendor
    return VendorView(
        id=vendor.id,
        name=vendor.name,
        info_types=tuple(InfoType(t) for t in vendor.info_types.split()),
        same_standards_clause=vendor.same_standards_clause,
        attested_until=status.valid_until,
        blocked_because=status.blocks(now),
    )


@dataclass(frozen=True, slots=True)
class ApprovalView:
    """One person's agreement to a release (four eyes)."""

    request_id: uuid.UUID
    #: who, as their decisions name them (``person:<e-mail>`` or a client's id)
    actor_id: str
    actor_name: str
    #: the request's version it was given at (a later change voids it)
    version: int
    approved_at: datetime


def approval_view(row: ReleaseApproval) -> ApprovalView:
    return ApprovalView(
        request_id=row.request_id,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        version=row.version,
        approved_at=row.created_at,
    )


@dataclass(frozen=True, slots=True)
class InternalNoteView:
    """A staff-only note on a request."""

    id: uuid.UUID
    request_id: uuid.UUID
    author_name: str
    body: str
    created_at: datetime


def internal_note_view(row: InternalNote) -> InternalNoteView:
    return InternalNoteView(
        id=row.id,
        request_id=row.request_id,
        author_name=row.author_name,
        body=row.body,
        created_at=row.created_at,
    )


@dataclass(frozen=True, slots=True)
class AssigneeView:
    """The staff member whose queue a request is in."""

    id: uuid.UUID
    name: str
