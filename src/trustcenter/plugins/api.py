"""What plugins receive and return: plain, frozen values. No ORM rows, no sessions — a plugin
sees a request as data and answers with data; the host does everything else."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

#: what trustcenter_report_exclusions returns (a plain value of the domain, re-exported)
from trustcenter.domain.report_policy import Exclusion as Exclusion


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    #: stops release until an admin overrides it with a recorded justification
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Finding:
    """A jurisdiction rule's observation on a request: shown to reviewers, with its legal source."""

    severity: Severity
    code: str
    message: str
    citation: str


@dataclass(frozen=True, slots=True)
class FindingCodeSpec:
    """A code a plugin's review rules may give a ``Finding``, declared at start-up so staff can
    read what each means. Every finding under the code carries ``severity``; ``description``
    says, for reviewers, what the finding points out and what to do about it."""

    code: str
    severity: Severity
    description: str


@dataclass(frozen=True, slots=True)
class LegalBasisView:
    kind: str
    reference: str
    issued_by: str
    issuer_role: str | None
    issued_at: date
    expires_at: date | None
    non_disclosure_until: date | None


@dataclass(frozen=True, slots=True)
class ItemView:
    identifier_type: str
    identifier: str
    info_type: str
    range_from: date | None
    range_to: date | None


@dataclass(frozen=True, slots=True)
class RequestView:
    """A request as a plugin sees it. ``id`` is None while it is being validated before it is
    stored."""

    id: uuid.UUID | None
    jurisdiction: str
    category: str | None
    emergency: bool
    received_at: datetime
    agency_kind: str
    agency_country: str
    legal_basis: LegalBasisView
    items: tuple[ItemView, ...] = field(default_factory=tuple)

    @property
    def info_types(self) -> frozenset[str]:
        return frozenset(i.info_type for i in self.items)


@dataclass(frozen=True, slots=True)
class VendorView:
    """A vendor holding some of the data, with its newest attestation's expiry."""

    id: uuid.UUID
    name: str
    info_types: tuple[str, ...]
    same_standards_clause: bool
    attested_until: datetime | None


@dataclass(frozen=True, slots=True)
class NoticeView:
    """A user notice ready to send: already written in the user's language, holding only what
    the policy allows the user to be told."""

    id: uuid.UUID
    request_id: uuid.UUID
    recipient: str
    language: str
    subject: str
    body: str


class OutboxWriter(Protocol):
    """Where the built-in ``outbox`` channel keeps the notices it accepts (trustcenter's
    ``notice_outbox`` table): the host hands it to ``trustcenter_notice_channels``, so no plugin
    opens the product's database itself."""

    async def put(self, notice: NoticeView, idempotency_key: str) -> None:
        """Keep the notice once: a second put with the same key (a retry, or a concurrent one)
        changes nothing and succeeds."""
        ...


@dataclass(frozen=True, slots=True)
class HoldDecision:
    """A plugin's answer to a request to extend a hold: the new end, or why not."""

    until: datetime | None = None
    refused: str | None = None


@dataclass(frozen=True, slots=True)
class CategorySpec:
    """A request category a plugin adds (it appears in the next transparency report)."""

    code: str
    label: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class ReasonCodeSpec:
    """A reason code reviewers may give for a decision other than APPROVE. ``account_state``:
    the code tells the state of an account (whether it exists, whether its owner pays), so the
    agency never reads it: it reads NO_RESPONSIVE_DATA instead, and the code goes only with
    REJECT."""

    code: str
    description: str
    account_state: bool = False


@dataclass(frozen=True, slots=True)
class Problem:
    """Something a plugin finds wrong with a request's input (reported as a user error)."""

    field: str
    message: str
