"""What readers are given: frozen views of a request, its parts and its agency.

The API's types wrap these, never rows. Each view carries exactly what a reader is shown, in
the domain's words (enums, upper-case category codes); the converters take an ORM row (a
service's result) or a Core row of the same columns (a repository's list), alike.
Notices, findings, clients, reports and vendors are in ``services.view_records``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from trustcenter.auth.principal import Principal
from trustcenter.db.models import (
    Account,
    Agency,
    AuditEvent,
    Disclosure,
    Document,
    LegalBasis,
    Message,
    Product,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.domain.enums import (
    AgencyKind,
    IdentifierType,
    InfoType,
    IssuerRole,
    VerificationState,
)
from trustcenter.domain.jurisdiction import stored_grants
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.new_request import NewRequest
from trustcenter.domain.rules import category_code
from trustcenter.services import visible


class Columns(Protocol):
    """A Core row a repository returned: a table's columns read by name (``row.id``)."""

    def __getattr__(self, name: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class RequestView:
    id: uuid.UUID
    agency_id: uuid.UUID
    legal_basis_id: uuid.UUID
    revision_of_id: uuid.UUID | None
    status: RequestStatus
    #: the category code, upper case (``ACCOUNT``)
    category: str
    jurisdiction: str
    emergency: bool
    emergency_description: str | None
    reason: str
    officer_name: str
    officer_title: str
    officer_email: str
    officer_phone: str
    received_at: datetime
    deadline: datetime
    hold_until: datetime | None
    hold_extensions: int
    version: int
    #: the staff member whose queue it is in, and since when (``services.notes`` shows it to
    #: staff only)
    assigned_to: uuid.UUID | None = None
    assigned_at: datetime | None = None


def request_view(row: Request | Columns) -> RequestView:
    return RequestView(
        id=row.id,
        agency_id=row.agency_id,
        legal_basis_id=row.legal_basis_id,
        revision_of_id=row.revision_of_id,
        status=RequestStatus(row.status),
        category=category_code(row.category),
        jurisdiction=row.jurisdiction,
        emergency=row.emergency,
        emergency_description=row.emergency_description,
        reason=row.reason,
        officer_name=row.officer_name,
        officer_title=row.officer_title,
        officer_email=row.officer_email,
        officer_phone=row.officer_phone,
        received_at=row.received_at,
        deadline=row.deadline,
        hold_until=row.hold_until,
        hold_extensions=row.hold_extensions,
        version=row.version,
        assigned_to=row.assigned_to,
        assigned_at=row.assigned_at,
    )


@dataclass(frozen=True, slots=True)
class LegalBasisView:
    id: uuid.UUID
    #: the kind's code, upper case (``WARRANT``)
    kind: str
    reference: str
    issued_by: str
    issuer_role: IssuerRole | None
    issued_at: date
    expires_at: date | None
    non_disclosure_until: date | None
    document_sha256: str | None
    document_size: int | None


def legal_basis_view(row: LegalBasis | Columns) -> LegalBasisView:
    return LegalBasisView(
        id=row.id,
        kind=row.kind.upper(),
        reference=row.reference,
        issued_by=row.issued_by,
        issuer_role=IssuerRole(row.issuer_role) if row.issuer_role else None,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        non_disclosure_until=row.non_disclosure_until,
        document_sha256=row.document_sha256,
        document_size=row.document_size,
    )


@dataclass(frozen=True, slots=True)
class TargetView:
    id: uuid.UUID
    request_id: uuid.UUID
    identifier_type: IdentifierType
    identifier: str


def target_view(row: Target | Columns) -> TargetView:
    return TargetView(
        id=row.id,
        request_id=row.request_id,
        identifier_type=IdentifierType(row.identifier_type),
        identifier=row.identifier,
    )


@dataclass(frozen=True, slots=True)
class ItemView:
    """A requested item; its decision as stored (``visible.item_decision`` reads it for the
    caller)."""

    id: uuid.UUID
    request_id: uuid.UUID
    target_id: uuid.UUID
    info_type: InfoType
    range_from: date | None
    range_to: date | None
    outcome: str | None
    reason_code: str | None
    explanation: str | None
    approved_from: date | None
    approved_to: date | None
    approved_fields: tuple[str, ...] | None
    decided_at: datetime | None


def item_view(row: RequestedItem | Columns) -> ItemView:
    fields = row.approved_fields
    return ItemView(
        id=row.id,
        request_id=row.request_id,
        target_id=row.target_id,
        info_type=InfoType(row.info_type),
        range_from=row.range_from,
        range_to=row.range_to,
        outcome=row.outcome,
        reason_code=row.reason_code,
        explanation=row.explanation,
        approved_from=row.approved_from,
        approved_to=row.approved_to,
        approved_fields=tuple(fields.split()) if fields is not None else None,
        decided_at=row.decided_at,
    )


def new_parts(new: NewRequest) -> tuple[list[TargetView], list[ItemView]]:
    """A request just stored, as its targets' and items' views — what reading them back would
    give, in the same order (targets by position; items by their target's position, then info
    type): the submit's answer shows them without reading them again."""
    targets = sorted(new.targets, key=lambda t: t.position)
    return (
        [TargetView(t.id, new.id, t.identifier_type, t.identifier) for t in targets],
        [
            ItemView(
                id=i.id,
                request_id=new.id,
                target_id=t.id,
                info_type=i.info_type,
                range_from=i.range_from,
                range_to=i.range_to,
                outcome=i.decided.outcome.value if i.decided else None,
                reason_code=i.decided.reason_code if i.decided else None,
                explanation=i.decided.explanation if i.decided else None,
                approved_from=None,
                approved_to=None,
                approved_fields=None,
                decided_at=i.decided.decided_at if i.decided else None,
            )
            for t in targets
            for i in sorted(t.items, key=lambda i: i.info_type.value)
        ],
    )


@dataclass(frozen=True, slots=True)
class AgencyView:
    id: uuid.UUID
    name: str
    kind: AgencyKind
    country: str
    region: str | None
    verification: VerificationState
    created_at: datetime
    granted_jurisdictions: tuple[str, ...]
    verified_at: datetime | None
    #: who verified it, as the reader may know it (staff; None for the agency)
    verified_by: str | None
    #: the evidence seen at verification (staff; None for the agency)
    verification_evidence: str | None = None


def agency_view(row: Agency | Columns, reader: Principal) -> AgencyView:
    """The agency as ``reader`` sees it, from its ORM row or a Core row of its table."""
    stored: Any = row
    return AgencyView(
        id=row.id,
        name=row.name,
        kind=AgencyKind(row.kind),
        country=row.country,
        region=row.region,
        verification=VerificationState(row.verification),
        created_at=row.created_at,
        granted_jurisdictions=tuple(stored_grants(row.granted_jurisdictions)),
        verified_at=row.verified_at,
        verified_by=visible.verified_by(reader, stored),
        verification_evidence=visible.verification_evidence(reader, stored),
    )


@dataclass(frozen=True, slots=True)
class MessageView:
    id: uuid.UUID
    #: agency or staff
    author_kind: str
    body: str
    created_at: datetime


def message_view(row: Message | Columns) -> MessageView:
    return MessageView(
        id=row.id, author_kind=row.author_kind, body=row.body, created_at=row.created_at
    )


@dataclass(frozen=True, slots=True)
class DisclosureView:
    id: uuid.UUID
    sha256: str
    size: int
    record_count: int
    released_at: datetime


def disclosure_view(row: Disclosure | Columns) -> DisclosureView:
    return DisclosureView(
        id=row.id,
        sha256=row.sha256,
        size=row.size,
        record_count=row.record_count,
        released_at=row.released_at,
    )


@dataclass(frozen=True, slots=True)
class AuditEventView:
    seq: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str
    actor_name: str | None
    actor_via: str | None
    action: str
    #: the event's data, parsed
    data: Any
    hash: str
    #: the X-Request-ID of the HTTP request that caused it
    correlation_id: str | None = None


def audit_event_view(row: AuditEvent) -> AuditEventView:
    return AuditEventView(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor_kind=row.actor_kind,
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        actor_via=row.actor_via,
        action=row.action,
        data=json.loads(row.data),
        hash=row.hash,
        correlation_id=row.correlation_id,
    )


@dataclass(frozen=True, slots=True)
class DocumentView:
    id: uuid.UUID
    sha256: str
    size: int
    content_type: str
    uploaded_at: datetime


def document_view(row: Document) -> DocumentView:
    return DocumentView(
        id=row.id,
        sha256=row.sha256,
        size=row.size,
        content_type=row.content_type,
        uploaded_at=row.uploaded_at,
    )


@dataclass(frozen=True, slots=True)
class AccountView:
    username: str
    email: str | None
    phone: str | None
    region: str
    registered_at: datetime


@dataclass(frozen=True, slots=True)
class ProductView:
    serial_number: str
    name: str
    model: str
    bound_at: datetime | None


def subject_view(row: Account | Product | None) -> AccountView | ProductView | None:
    """The account or product a target names, or None."""
    if isinstance(row, Account):
        return AccountView(
            username=row.username,
            email=row.email,
            phone=row.phone,
            region=row.region,
            registered_at=row.registered_at,
        )
    if isinstance(row, Product):
        return ProductView(
            serial_number=row.serial_number, name=row.name, model=row.model, bound_at=row.bound_at
        )
    return None
