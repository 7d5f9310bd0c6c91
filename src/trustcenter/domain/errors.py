"""Expected failures of the domain, each with a stable code clients can branch on."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID_INPUT = "invalid_input"
    INVALID_IDENTIFIER = "invalid_identifier"
    UNKNOWN_IDENTIFIER_TYPE = "unknown_identifier_type"
    UNKNOWN_INFO_TYPE = "unknown_info_type"
    EMPTY_TARGETS = "empty_targets"
    EMPTY_INFO_TYPES = "empty_info_types"
    INVALID_TIME_RANGE = "invalid_time_range"
    INVALID_JURISDICTION = "invalid_jurisdiction"
    INVALID_DOCUMENT = "invalid_document"
    LEGAL_BASIS_EXPIRED = "legal_basis_expired"
    AGENCY_NOT_VERIFIED = "agency_not_verified"
    INVALID_TRANSITION = "invalid_transition"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    NOT_PREMIUM = "not_premium"
    VENDOR_NOT_ATTESTED = "vendor_not_attested"
    BLOCKED_BY_FINDING = "blocked_by_finding"
    UNKNOWN_CATEGORY = "unknown_category"
    UNKNOWN_LEGAL_BASIS_KIND = "unknown_legal_basis_kind"
    HOLD_EXTENSION_REFUSED = "hold_extension_refused"
    RELEASE_REFUSED = "release_refused"


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
