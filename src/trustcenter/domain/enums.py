"""The vocabulary of the product (SPEC section 2): every closed set of values in one place.

Values are lower-case strings as stored; adapters expose the member names (upper case).
"""

from __future__ import annotations

from enum import StrEnum


class InfoType(StrEnum):
    """The five types of information the policy allows to be provided; no others exist."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"

    @property
    def label(self) -> str:
        return _INFO_LABELS[self]


_INFO_LABELS = {
    InfoType.A: "account information",
    InfoType.B: "product information",
    InfoType.C: "usage information",
    InfoType.D: "shopping or transaction records (premium service users only)",
    InfoType.E: "customer-service information",
}


class IdentifierType(StrEnum):
    """How a request names its target."""

    EMAIL = "email"
    PHONE = "phone"
    USERNAME = "username"
    SERIAL_NUMBER = "serial_number"
    ORDER_ID = "order_id"

    @property
    def target_kind(self) -> TargetKind:
        if self in (IdentifierType.EMAIL, IdentifierType.PHONE, IdentifierType.USERNAME):
            return TargetKind.ACCOUNT
        if self is IdentifierType.SERIAL_NUMBER:
            return TargetKind.PRODUCT
        return TargetKind.ORDER


class TargetKind(StrEnum):
    ACCOUNT = "account"
    PRODUCT = "product"
    ORDER = "order"


class AgencyKind(StrEnum):
    LAW_ENFORCEMENT = "law_enforcement"
    JUDICIAL = "judicial"
    ADMINISTRATIVE = "administrative"


class VerificationState(StrEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    SUSPENDED = "suspended"


class LegalBasisKind(StrEnum):
    """The built-in kinds of legal basis; plugins may register more (stored as plain strings)."""

    WARRANT = "warrant"
    COURT_ORDER = "court_order"
    SUBPOENA = "subpoena"
    PRODUCTION_ORDER = "production_order"
    ADMINISTRATIVE_ORDER = "administrative_order"
    MUTUAL_LEGAL_ASSISTANCE = "mutual_legal_assistance"
    EMERGENCY_DECLARATION = "emergency_declaration"
    PRESERVATION_ORDER = "preservation_order"


class IssuerRole(StrEnum):
    """Who issued a legal basis; some laws let only a judge or court order some data."""

    JUDGE = "judge"
    COURT = "court"
    PROSECUTOR = "prosecutor"
    POLICE = "police"
    ADMINISTRATIVE = "administrative"
    OTHER = "other"


class Category(StrEnum):
    """The report categories of the policy; plugins may add their own."""

    PRODUCT = "product"
    ACCOUNT = "account"
    TRANSACTION = "transaction"
    EMERGENCY = "emergency"


class DecisionOutcome(StrEnum):
    APPROVE = "approve"
    NARROW = "narrow"
    QUESTION = "question"
    OBJECT = "object"
    REJECT = "reject"


class ReasonCode(StrEnum):
    """Why an item was not approved as asked; plugins may add codes."""

    NO_LEGAL_BASIS = "no_legal_basis"
    UNCLEAR = "unclear"
    OVERBROAD = "overbroad"
    THIRD_PARTY_HARM = "third_party_harm"
    NOT_HELD = "not_held"
    NOT_PREMIUM = "not_premium"
    JURISDICTION = "jurisdiction"
