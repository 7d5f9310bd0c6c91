"""Expected failures of the domain, each with a stable code clients can branch on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_INPUT = "invalid_input"
    INVALID_IDENTIFIER = "invalid_identifier"
    EMPTY_TARGETS = "empty_targets"
    EMPTY_INFO_TYPES = "empty_info_types"
    INVALID_TIME_RANGE = "invalid_time_range"
    INVALID_JURISDICTION = "invalid_jurisdiction"
    #: the jurisdiction is outside the agency's own and granted ones, and not accepted from abroad
    JURISDICTION = "jurisdiction"
    INVALID_DOCUMENT = "invalid_document"
    LEGAL_BASIS_EXPIRED = "legal_basis_expired"
    AGENCY_NOT_VERIFIED = "agency_not_verified"
    INVALID_TRANSITION = "invalid_transition"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    NOT_PREMIUM = "not_premium"
    VENDOR_NOT_ATTESTED = "vendor_not_attested"
    BLOCKED_BY_FINDING = "blocked_by_finding"
    UNKNOWN_CATEGORY = "unknown_category"
    #: the category given disagrees with the product's classification of the request
    CATEGORY_MISMATCH = "category_mismatch"
    UNKNOWN_LEGAL_BASIS_KIND = "unknown_legal_basis_kind"
    #: a reason code no plugin registered (the `reasonCodes` query lists the known ones)
    UNKNOWN_REASON_CODE = "unknown_reason_code"
    HOLD_EXTENSION_REFUSED = "hold_extension_refused"
    RELEASE_REFUSED = "release_refused"
    DOCUMENT_REQUIRED = "document_required"
    DOCUMENT_ALREADY_ATTACHED = "document_already_attached"
    DOCUMENT_EXPIRED = "document_expired"
    EXCLUSION_WITHOUT_REASON = "exclusion_without_reason"
    YEAR_NOT_ENDED = "year_not_ended"
    STATEMENT_NOT_CONFIRMED = "statement_not_confirmed"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (a public input path), what, and a code."""

    field: str
    message: str
    code: ErrorCode


class DomainError(Exception):
    """An expected refusal; carries the problems that explain it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems

    @classmethod
    def single(cls, field: str, message: str, code: ErrorCode) -> DomainError:
        return cls([Problem(field, message, code)])
