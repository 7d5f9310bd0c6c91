"""A new request as a plain value: what is stored when a request enters the system.

One shape for every way in — an agency's submission (:func:`submitted`), a line of the history
file (:func:`imported`) and the demo, which submits through the service — so a request is built
the same way whoever brings it. Turning the value into rows is the repository's
(``db.repositories.requests.add_new`` and ``insert_new``).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from trustcenter.domain.enums import DecisionOutcome, IdentifierType, InfoType, ReasonCode
from trustcenter.domain.history import DECIDED_BY, NOT_RECORDED, H, HistoryLine, HistoryTarget
from trustcenter.domain.lifecycle import Operation, RequestStatus, can, transition
from trustcenter.domain.report import Outcome
from trustcenter.domain.rules import default_deadline, derive_category
from trustcenter.domain.submission import Officer, SubmissionDraft

#: where new ids come from (``uuid.uuid4``; the demo passes a seeded one)
NewId = Callable[[], uuid.UUID]


@dataclass(frozen=True, slots=True)
class NewLegalBasis:
    id: uuid.UUID
    kind: str
    reference: str
    issued_by: str
    issued_at: date
    issuer_role: str | None = None
    expires_at: date | None = None
    non_disclosure_until: date | None = None
    #: the signed instrument sent inline (base64 in the API), if any
    document: bytes | None = None

    @property
    def document_sha256(self) -> str | None:
        return hashlib.sha256(self.document).hexdigest() if self.document else None

    @property
    def document_size(self) -> int | None:
        return len(self.document) if self.document else None


@dataclass(frozen=True, slots=True)
class ItemDecided:
    """How an imported item was decided (live items are decided in review)."""

    outcome: DecisionOutcome
    decided_at: datetime | None
    reason_code: str | None = None
    explanation: str | None = None
    decided_by: str = DECIDED_BY


@dataclass(frozen=True, slots=True)
class NewItem:
    id: uuid.UUID
    info_type: InfoType
    range_from: date | None = None
    range_to: date | None = None
    decided: ItemDecided | None = None


@dataclass(frozen=True, slots=True)
class NewTarget:
    id: uuid.UUID
    position: int
    identifier_type: IdentifierType
    identifier: str
    items: tuple[NewItem, ...]


@dataclass(frozen=True, slots=True)
class NewRequest:
    id: uuid.UUID
    agency_id: uuid.UUID
    #: the agency's country when the request was received (the report counts by it)
    country: str
    jurisdiction: str
    #: a category code (``ACCOUNT``); the row stores it as ``domain.rules.stored_category``
    category: str
    status: RequestStatus
    report_outcome: Outcome
    emergency: bool
    emergency_description: str | None
    reason: str
    officer: Officer
    received_at: datetime
    deadline: datetime
    #: when this system wrote it (the row's ``updated_at``, the legal basis's ``created_at``)
    recorded_at: datetime
    payload_sha256: str
    legal_basis: NewLegalBasis
    targets: tuple[NewTarget, ...]
    client_id: uuid.UUID | None = None
    revision_of_id: uuid.UUID | None = None
    hold_until: datetime | None = None
    idempotency_key: str | None = None
    responded_at: datetime | None = None
    external_id: str | None = None

    @property
    def item_count(self) -> int:
        return sum(len(t.items) for t in self.targets)


@dataclass(frozen=True, slots=True)
class Sender:
    """Who submits: the agency (and its country now), and the client it used."""

    agency_id: uuid.UUID
    country: str
    client_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class Terms:
    """What the rules decided for a submission: its category (a code), deadline and hold."""

    category: str
    deadline: datetime
    hold_until: datetime | None = None


def submitted(
    draft: SubmissionDraft,
    sender: Sender,
    terms: Terms,
    received_at: datetime,
    new_id: NewId,
    revision_of: uuid.UUID | None = None,
    *,
    fingerprint: str | None = None,
) -> NewRequest:
    """A request as an agency submitted it: ``draft`` already checked and normalised
    (``domain.submission.checked_submission``); RECEIVED, counted as pending.
    ``fingerprint``: the draft's, when the caller has computed it already."""
    basis = draft.legal_basis
    officer = draft.officer
    return NewRequest(
        id=new_id(),
        agency_id=sender.agency_id,
        client_id=sender.client_id,
        country=sender.country,
        jurisdiction=draft.jurisdiction,
        category=terms.category,
        status=RequestStatus.RECEIVED,
        report_outcome=Outcome.PENDING,
        emergency=draft.emergency,
        emergency_description=draft.emergency_description if draft.emergency else None,
        reason=draft.reason.strip(),
        officer=Officer(
            name=officer.name.strip(),
            email=officer.email,
            title=officer.title.strip(),
            phone=officer.phone.strip(),
        ),
        received_at=received_at,
        deadline=terms.deadline,
        recorded_at=received_at,
        payload_sha256=fingerprint or draft.fingerprint(),
        legal_basis=NewLegalBasis(
            id=new_id(),
            kind=basis.kind,
            reference=basis.reference.strip(),
            issued_by=basis.issued_by.strip(),
            issued_at=basis.issued_at,
            issuer_role=basis.issuer_role.value if basis.issuer_role else None,
            expires_at=basis.expires_at,
            non_disclosure_until=basis.non_disclosure_until,
            document=basis.document,
        ),
        targets=tuple(
            NewTarget(
                new_id(),
                position,
                t.identifier_type,
                t.identifier,
                tuple(NewItem(new_id(), i, t.range_from, t.range_to) for i in t.info_types),
            )
            for position, t in enumerate(draft.targets)
        ),
        revision_of_id=revision_of,
        hold_until=terms.hold_until,
        idempotency_key=draft.idempotency_key,
    )


def imported(
    line: HistoryLine,
    sender: Sender,
    recorded_at: datetime,
    new_id: NewId,
    *,
    revision_of: uuid.UUID | None = None,
    revised: bool = False,
) -> NewRequest:
    """A request from the company's earlier records, with the status and report outcome its
    outcome says and the category the precedence gives; ``revised``: a later line of the file
    revises it, which supersedes it where the lifecycle allows."""
    status = line.outcome.status
    if revised and can(Operation.SUPERSEDE, status):
        status = transition(status, Operation.SUPERSEDE)
    category = derive_category(
        line.emergency, [(t.identifier_type, t.info_types) for t in line.targets]
    )
    return NewRequest(
        id=new_id(),
        agency_id=sender.agency_id,
        country=sender.country,
        jurisdiction=line.jurisdiction,
        category=category.name,
        status=status,
        report_outcome=line.outcome.report_outcome,
        emergency=line.emergency,
        emergency_description=NOT_RECORDED if line.emergency else None,
        reason=f"Imported from the earlier records ({line.external_id}); "
        f"the reason was {NOT_RECORDED}.",
        officer=Officer(name=NOT_RECORDED, email=""),
        received_at=line.received_at,
        deadline=default_deadline(line.received_at, line.emergency),
        recorded_at=recorded_at,
        payload_sha256=line.payload_sha256,
        legal_basis=NewLegalBasis(
            id=new_id(),
            kind=line.basis_kind,
            reference=line.basis_reference,
            issued_by=line.agency_name,
            issued_at=line.received_at.date(),
        ),
        targets=tuple(
            NewTarget(new_id(), position, t.identifier_type, t.identifier, _items(line, t, new_id))
            for position, t in enumerate(line.targets)
        ),
        revision_of_id=revision_of,
        responded_at=line.responded_at,
        external_id=line.external_id,
    )


def _items(line: HistoryLine, target: HistoryTarget, new_id: NewId) -> tuple[NewItem, ...]:
    """The requested items of one target, decided as the outcome says.

    DISCLOSED: every item approved. PARTIALLY_DISCLOSED: the earlier records do not say which
    part was disclosed, so the first information type (A to E) of each target is approved and
    the others rejected as overbroad. OBJECTED: every item objected to; REJECTED: every item
    rejected. WITHDRAWN and PENDING: undecided."""
    out = []
    for position, info in enumerate(target.info_types):
        decided: ItemDecided | None = None
        at = line.responded_at
        if line.outcome is H.DISCLOSED:
            decided = ItemDecided(DecisionOutcome.APPROVE, at)
        elif line.outcome is H.PARTIALLY_DISCLOSED:
            why = "partially disclosed; the earlier records do not say which part"
            if position == 0:
                decided = ItemDecided(DecisionOutcome.APPROVE, at, explanation=why)
            else:
                overbroad = ReasonCode.OVERBROAD.value
                decided = ItemDecided(DecisionOutcome.REJECT, at, overbroad, why)
        elif line.outcome is H.OBJECTED:
            decided = ItemDecided(DecisionOutcome.OBJECT, at)
        elif line.outcome is H.REJECTED:
            decided = ItemDecided(DecisionOutcome.REJECT, at)
        out.append(NewItem(new_id(), info, decided=decided))
    return tuple(out)
