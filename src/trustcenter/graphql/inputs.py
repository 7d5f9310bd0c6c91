"""Mutation inputs (SPEC section 10 names) and their conversion into domain drafts."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import date

import strawberry

from trustcenter.domain import enums as d
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.submission import (
    LegalBasisDraft,
    Officer,
    SubmissionDraft,
    TargetDraft,
)
from trustcenter.graphql.enums import (
    Category,
    IdentifierType,
    InfoType,
    IssuerRole,
    LegalBasisKind,
)
from trustcenter.graphql.input_build import fast_input
from trustcenter.graphql.nodes import MISSING, parse_id


@strawberry.input
class OfficerInput:
    name: str
    email: str
    title: str = ""
    phone: str = ""


@strawberry.input
class LegalBasisInput:
    kind: LegalBasisKind
    reference: str
    issued_by: str
    issued_at: date
    expires_at: date | None = None
    non_disclosure_until: date | None = None
    document: str | None = strawberry.field(
        default=None,
        description="The signed instrument, base64; only a small one fits, since the whole "
        "GraphQL request must stay within its body limit (256 KiB by default).",
        deprecation_reason="Upload the document with POST /documents and send its id in "
        "documentIds; this field carries only small documents (within the GraphQL body "
        "limit, 256 KiB by default) and is accepted for one more release.",
    )
    document_ids: list[strawberry.ID] | None = strawberry.field(
        default=None,
        description="Ids of documents this agency uploaded with POST /documents (the signed "
        "instrument: PDF, PNG or JPEG); each is attached once, within a day of its upload.",
    )
    issuer_role: IssuerRole | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Judge, court, prosecutor, …: some rules depend on it."
    )


@strawberry.input
class TargetInput:
    identifier_type: IdentifierType  # type: ignore[valid-type]
    identifier: str
    info_types: list[InfoType]  # type: ignore[valid-type]
    range_from: date | None = strawberry.field(default=None, name="from")
    range_to: date | None = strawberry.field(default=None, name="to")


@fast_input
@strawberry.input
class SubmitRequestInput:
    jurisdiction: str = strawberry.field(description="ISO 3166 code, such as DE or US-CA.")
    officer: OfficerInput
    legal_basis: LegalBasisInput
    targets: list[TargetInput]
    reason: str
    emergency: bool = False
    emergency_description: str | None = None
    category: Category | None = strawberry.field(
        default=None, description="Optional: derived by the report's precedence when absent."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A retry with the same key returns the first result instead of a copy.",
    )


def _document(raw: str | None) -> bytes | None:
    if raw is None:
        return None
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise DomainError.single(
            "legalBasis.document", "is not valid base64", ErrorCode.INVALID_DOCUMENT
        ) from None


def document_uuids(raw: list[strawberry.ID] | None) -> tuple[uuid.UUID, ...]:
    """The documents' ids; one that is not a UUID is answered like an unknown one."""
    return tuple(parse_id(value) or MISSING for value in raw or [])


def to_draft(data: SubmitRequestInput) -> SubmissionDraft:
    """The input as the domain's draft, converted only: every rule (lengths, required fields,
    normal forms, the known kinds) is ``domain.submission``'s, checked by the service."""
    basis = data.legal_basis
    return SubmissionDraft(
        jurisdiction=data.jurisdiction,
        officer=Officer(
            name=data.officer.name,
            email=data.officer.email,
            title=data.officer.title,
            phone=data.officer.phone,
        ),
        legal_basis=LegalBasisDraft(
            kind=str(basis.kind),
            reference=basis.reference,
            issued_by=basis.issued_by,
            issued_at=basis.issued_at,
            expires_at=basis.expires_at,
            non_disclosure_until=basis.non_disclosure_until,
            document=_document(basis.document),
            issuer_role=d.IssuerRole(basis.issuer_role) if basis.issuer_role else None,
            document_ids=document_uuids(basis.document_ids),
        ),
        targets=tuple(
            TargetDraft(
                identifier_type=d.IdentifierType(t.identifier_type),
                identifier=t.identifier,
                info_types=tuple(d.InfoType(i) for i in t.info_types),
                range_from=t.range_from,
                range_to=t.range_to,
            )
            for t in data.targets
        ),
        reason=data.reason,
        emergency=data.emergency,
        emergency_description=data.emergency_description,
        category=str(data.category) if data.category is not None else None,
        idempotency_key=data.idempotency_key,
    )
