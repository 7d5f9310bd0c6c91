"""The history file's format (pure): what a line of ``trustcenter requests import`` holds (see
``docs/operations.md``), the outcomes it may name and what they become, a line's problems and
the import's result. Checking lines is ``domain.history_lines``; writing them is
``services.history_import``."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from trustcenter.domain.enums import (
    AgencyKind,
    IdentifierType,
    InfoType,
)
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.report import Outcome

MAX_EXTERNAL_ID = 100
#: who decided an imported request's items
DECIDED_BY = "import"
NOT_RECORDED = "not recorded in the earlier records"

FIELDS = frozenset(
    {
        "external_id",
        "received_at",
        "responded_at",
        "agency",
        "jurisdiction",
        "legal_basis",
        "emergency",
        "targets",
        "outcome",
        "revision_of",
    }
)
OPTIONAL = frozenset({"responded_at", "revision_of"})
AGENCY_FIELDS = frozenset({"name", "kind", "country"})
BASIS_FIELDS = frozenset({"kind", "reference"})
TARGET_FIELDS = frozenset({"identifier_type", "identifier", "info_types"})

#: a progress report: phase ("checking" or "writing"), lines done so far, lines in all
Progress = Callable[[str, int, int], None]


class HistoricalOutcome(StrEnum):
    """How a past request ended, as the earlier records say it."""

    DISCLOSED = "DISCLOSED"
    PARTIALLY_DISCLOSED = "PARTIALLY_DISCLOSED"
    OBJECTED = "OBJECTED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"
    PENDING = "PENDING"

    @property
    def status(self) -> RequestStatus:
        return _STATUS[self]

    @property
    def report_outcome(self) -> Outcome:
        return _REPORT[self]

    @property
    def answered(self) -> bool:
        """Whether the company answered (a ``responded_at`` is then required)."""
        return self not in (HistoricalOutcome.WITHDRAWN, HistoricalOutcome.PENDING)


H = HistoricalOutcome
_STATUS = {
    H.DISCLOSED: RequestStatus.DISCLOSED,
    H.PARTIALLY_DISCLOSED: RequestStatus.DISCLOSED,
    H.OBJECTED: RequestStatus.OBJECTED,
    H.REJECTED: RequestStatus.REJECTED,
    H.WITHDRAWN: RequestStatus.WITHDRAWN,
    H.PENDING: RequestStatus.RECEIVED,
}
_REPORT = {
    H.DISCLOSED: Outcome.WITH_DATA,
    H.PARTIALLY_DISCLOSED: Outcome.WITH_DATA,
    H.OBJECTED: Outcome.CHALLENGED,
    H.REJECTED: Outcome.REJECTED,
    H.WITHDRAWN: Outcome.WITHDRAWN,
    H.PENDING: Outcome.PENDING,
}


@dataclass(frozen=True, slots=True)
class LineProblem:
    """One thing wrong with the file: the line (1-based), the field path, what."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class HistoryImportRejected(Exception):
    """The file was refused as a whole; nothing was written."""

    def __init__(self, problems: Sequence[LineProblem]) -> None:
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__(f"{len(self.problems)} problem(s); the first: {self.problems[0]}")


@dataclass(frozen=True, slots=True)
class HistoryTarget:
    identifier_type: IdentifierType
    identifier: str
    info_types: tuple[InfoType, ...]


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One checked, normalised line."""

    line: int
    external_id: str
    received_at: datetime
    responded_at: datetime | None
    agency_name: str
    agency_kind: AgencyKind
    agency_country: str
    jurisdiction: str
    basis_kind: str
    basis_reference: str
    emergency: bool
    targets: tuple[HistoryTarget, ...]
    outcome: HistoricalOutcome
    revision_of: str | None
    #: the fingerprint, computed once (see :meth:`fingerprint`)
    payload_sha256: str = field(default="", compare=False)

    @property
    def agency_key(self) -> tuple[str, str]:
        return (self.agency_name, self.agency_country)

    def fingerprint(self) -> str:
        """SHA-256 of the line's canonical content (stored as the request's payload_sha256):
        the same request written another way (spacing, key order, ``Z`` or ``+00:00``, upper
        or lower case codes) has the same fingerprint."""
        document = {
            "external_id": self.external_id,
            "received_at": self.received_at.isoformat(),
            "responded_at": self.responded_at.isoformat() if self.responded_at else None,
            "agency": {
                "name": self.agency_name,
                "kind": self.agency_kind.value,
                "country": self.agency_country,
            },
            "jurisdiction": self.jurisdiction,
            "legal_basis": {"kind": self.basis_kind, "reference": self.basis_reference},
            "emergency": self.emergency,
            "targets": [
                {
                    "identifier_type": t.identifier_type.value,
                    "identifier": t.identifier,
                    "info_types": [i.value for i in t.info_types],
                }
                for t in self.targets
            ],
            "outcome": self.outcome.value,
            "revision_of": self.revision_of,
        }
        encoded = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(encoded.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Imported:
    """A request already in the database under an external id."""

    id: uuid.UUID
    external_id: str
    payload_sha256: str
    status: str
    received_at: datetime
    agency_key: tuple[str, str]


@dataclass(frozen=True, slots=True)
class ImportResult:
    lines: int
    imported: int
    skipped: int
    agencies_created: int
    superseded: int
    file_sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "imported": self.imported,
            "skipped": self.skipped,
            "agencies_created": self.agencies_created,
            "superseded": self.superseded,
            "file_sha256": self.file_sha256,
        }
