"""A request as an agency submits it, and the checks it must pass before it is stored.

Validation collects every problem at once (clients fix their input in one round trip) and
normalises identifiers so that the same person is found however the agency wrote them.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import date
from functools import lru_cache
from typing import Any

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

from trustcenter.domain.enums import IdentifierType, InfoType, IssuerRole, LegalBasisKind
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.rules import category_code

MAX_TARGETS = 100
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
MAX_TEXT = 4000
MAX_NAME = 200  # names, titles, references
MAX_AUTHORITY = 300  # the issuing authority
MAX_PHONE = 32
MAX_IDEMPOTENCY_KEY = 200
_USERNAME = re.compile(r"^[\w.\-@+]{1,128}$")
_SERIAL = re.compile(r"^[A-Z0-9\-]{4,64}$")
_ORDER = re.compile(r"^[A-Za-z0-9\-_]{3,64}$")


@dataclass(frozen=True, slots=True)
class Officer:
    name: str
    email: str
    title: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class LegalBasisDraft:
    #: a LegalBasisKind value, or a kind a plugin registered (any case; checked: lower case)
    kind: str
    reference: str
    issued_by: str
    issued_at: date
    expires_at: date | None = None
    non_disclosure_until: date | None = None
    document: bytes | None = None
    issuer_role: IssuerRole | None = None
    #: uploads (POST /documents) of the submitting agency to attach to this legal basis
    document_ids: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True, slots=True)
class TargetDraft:
    identifier_type: IdentifierType
    identifier: str
    info_types: tuple[InfoType, ...]
    range_from: date | None = None
    range_to: date | None = None


@dataclass(frozen=True, slots=True)
class SubmissionDraft:
    jurisdiction: str
    officer: Officer
    legal_basis: LegalBasisDraft
    targets: tuple[TargetDraft, ...]
    reason: str
    emergency: bool = False
    emergency_description: str | None = None
    #: a category code (PRODUCT, ACCOUNT, … or one a plugin registered); None: classify it
    category: str | None = None
    idempotency_key: str | None = field(default=None, compare=False)

    def fingerprint(self) -> str:
        """A digest of the payload (not the idempotency key): a retry must send the same."""
        data = _plain(self)
        data.pop("idempotency_key")
        doc = data["legal_basis"].pop("document")
        data["legal_basis"]["document_sha256"] = hashlib.sha256(doc).hexdigest() if doc else None
        ids = data["legal_basis"].pop("document_ids")
        if ids:  # left out when empty: fingerprints of earlier submissions stay the same
            data["legal_basis"]["document_ids"] = [str(i) for i in ids]
        encoded = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(encoded).hexdigest()


def _plain(value: Any) -> Any:
    """``dataclasses.asdict`` as the fingerprint has always encoded it (dataclasses as dicts,
    tuples as lists, other values as they are), without ``asdict``'s deep copy of every value
    (about a tenth of a millisecond a submission)."""
    if is_dataclass(value):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def region_code(raw: str) -> str:
    """A country or subdivision code as sent, normalised: surrounding spaces dropped, upper
    case. A code with a letter outside ASCII is kept as sent, so a look-alike (the Turkish
    dotless i upper-cases to an ASCII I) is never taken for a real code."""
    code = raw.strip()
    return code.upper() if code.isascii() else code


def valid_region_code(code: str) -> bool:
    """ISO 3166-1 alpha-2 (``DE``) or an ISO 3166-2 subdivision (``US-CA``), in ASCII."""
    if not code.isascii():
        return False
    if len(code) == 2:
        return pycountry.countries.get(alpha_2=code) is not None
    return pycountry.subdivisions.get(code=code) is not None  # type: ignore[no-untyped-call]


def normalise_identifier(kind: IdentifierType, raw: str) -> str | None:
    """The canonical form of an identifier, or None when it is not one of its kind. Kept for
    the last few thousand short values (a pure function; the e-mail and phone checks cost 20
    to 30 µs each, and an agency's officer sends the same contact details with every
    request); a long value is checked each time, so the cache stays small."""
    if len(raw) > _CACHED_LENGTH:
        return _normalise(kind, raw)
    return _normalise_cached(kind, raw)


_CACHED_LENGTH = 256


def _normalise(kind: IdentifierType, raw: str) -> str | None:
    value = raw.strip()
    if kind is IdentifierType.EMAIL:
        try:
            return validate_email(value, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            return None
    if kind is IdentifierType.PHONE:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(number):
            return None
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind is IdentifierType.USERNAME:
        return value if _USERNAME.match(value) else None
    if kind is IdentifierType.SERIAL_NUMBER:
        upper = value.upper()
        return upper if _SERIAL.match(upper) else None
    return value if _ORDER.match(value) else None


_normalise_cached = lru_cache(maxsize=4096)(_normalise)


_IDENTIFIER_HINT = {
    IdentifierType.EMAIL: "an e-mail address",
    IdentifierType.PHONE: "a phone number in international form, such as +4930123456",
    IdentifierType.USERNAME: "a user name of letters, digits and . - _ @ +",
    IdentifierType.SERIAL_NUMBER: "a serial number of 4 to 64 letters, digits or dashes",
    IdentifierType.ORDER_ID: "an order id of 3 to 64 letters, digits, dashes or underscores",
}


def _text(
    problems: list[Problem],
    path: str,
    value: str | None,
    *,
    required: bool,
    limit: int = MAX_TEXT,
) -> None:
    if value is None or not value.strip():
        if required:
            problems.append(Problem(path, "is required", ErrorCode.INVALID_INPUT))
    elif len(value.strip()) > limit:
        problems.append(
            Problem(path, f"is longer than {limit} characters", ErrorCode.INVALID_INPUT)
        )


def _check_officer(officer: Officer, problems: list[Problem]) -> Officer:
    _text(problems, "officer.name", officer.name, required=True, limit=MAX_NAME)
    _text(problems, "officer.title", officer.title, required=False, limit=MAX_NAME)
    email = normalise_identifier(IdentifierType.EMAIL, officer.email)
    if email is None:
        problems.append(
            Problem("officer.email", "is not an e-mail address", ErrorCode.INVALID_INPUT)
        )
    phone = officer.phone.strip()
    _text(problems, "officer.phone", phone, required=False, limit=MAX_PHONE)
    if (
        phone
        and len(phone) <= MAX_PHONE
        and normalise_identifier(IdentifierType.PHONE, phone) is None
    ):
        problems.append(
            Problem(
                "officer.phone",
                "is not a phone number in international form",
                ErrorCode.INVALID_INPUT,
            )
        )
    # The officer's phone is kept as written: it is a contact detail, and may carry an extension.
    return replace(officer, email=email or officer.email, phone=phone)


def _check_legal_basis(basis: LegalBasisDraft, today: date, problems: list[Problem]) -> None:
    _text(problems, "legalBasis.reference", basis.reference, required=True, limit=MAX_NAME)
    _text(problems, "legalBasis.issuedBy", basis.issued_by, required=True, limit=MAX_AUTHORITY)
    if basis.issued_at > today:
        problems.append(Problem("legalBasis.issuedAt", "is in the future", ErrorCode.INVALID_INPUT))
    if basis.expires_at is not None:
        if basis.expires_at < basis.issued_at:
            problems.append(
                Problem("legalBasis.expiresAt", "is before issuedAt", ErrorCode.INVALID_TIME_RANGE)
            )
        elif basis.expires_at < today:
            problems.append(
                Problem(
                    "legalBasis.expiresAt",
                    "the legal basis has expired",
                    ErrorCode.LEGAL_BASIS_EXPIRED,
                )
            )
    if basis.non_disclosure_until is not None and basis.non_disclosure_until < basis.issued_at:
        problems.append(
            Problem(
                "legalBasis.nonDisclosureUntil", "is before issuedAt", ErrorCode.INVALID_TIME_RANGE
            )
        )
    if basis.document is not None:
        if not basis.document:
            problems.append(Problem("legalBasis.document", "is empty", ErrorCode.INVALID_DOCUMENT))
        elif len(basis.document) > MAX_DOCUMENT_BYTES:
            problems.append(
                Problem(
                    "legalBasis.document",
                    f"is larger than {MAX_DOCUMENT_BYTES} bytes",
                    ErrorCode.INVALID_DOCUMENT,
                )
            )


def _check_target(index: int, target: TargetDraft, problems: list[Problem]) -> TargetDraft:
    path = f"targets[{index}]"
    normalised = normalise_identifier(target.identifier_type, target.identifier)
    if normalised is None:
        problems.append(
            Problem(
                f"{path}.identifier",
                f"is not {_IDENTIFIER_HINT[target.identifier_type]}",
                ErrorCode.INVALID_IDENTIFIER,
            )
        )
    if not target.info_types:
        problems.append(
            Problem(
                f"{path}.infoTypes",
                "name at least one information type (A to E)",
                ErrorCode.EMPTY_INFO_TYPES,
            )
        )
    elif len(set(target.info_types)) != len(target.info_types):
        problems.append(
            Problem(f"{path}.infoTypes", "lists an information type twice", ErrorCode.INVALID_INPUT)
        )
    if target.range_from and target.range_to and target.range_to < target.range_from:
        problems.append(
            Problem(
                f"{path}.to", "the time range ends before it starts", ErrorCode.INVALID_TIME_RANGE
            )
        )
    return replace(
        target,
        identifier=normalised or target.identifier,
        info_types=tuple(sorted(set(target.info_types))),
    )


def known_basis_kinds(extra: Iterable[str]) -> frozenset[str]:
    """The legal-basis kinds accepted here: the built-in ones and ``extra`` (those plugins
    registered), as stored (lower case)."""
    return frozenset(k.value for k in LegalBasisKind) | {basis_kind(k) for k in extra}


def basis_kind(raw: str) -> str:
    """A legal-basis kind as stored (``court_order``), however it was written."""
    return raw.strip().lower()


def vocabulary_problem(
    draft: SubmissionDraft, kinds: Collection[str], categories: Collection[str]
) -> Problem | None:
    """The legal-basis kind (``kinds``: :func:`known_basis_kinds`), then the category (codes)
    must be known here; the first that is not, or None."""
    kind = basis_kind(draft.legal_basis.kind)
    if kind not in kinds:
        return Problem(
            "legalBasis.kind",
            f"{kind.upper()} is not a kind of legal basis here; "
            f"known: {', '.join(sorted(k.upper() for k in kinds))}",
            ErrorCode.UNKNOWN_LEGAL_BASIS_KIND,
        )
    given = category_code(draft.category) if draft.category else None
    if given is not None and given not in categories:
        return Problem(
            "category",
            f"{given} is not a category here; known: {', '.join(sorted(categories))}",
            ErrorCode.UNKNOWN_CATEGORY,
        )
    return None


def checked_submission(draft: SubmissionDraft, today: date) -> SubmissionDraft:
    """The submission normalised, or :class:`DomainError` with every problem found."""
    normalised, problems = validate_submission(draft, today)
    if problems:
        raise DomainError(problems)
    return normalised


def validate_submission(
    draft: SubmissionDraft, today: date
) -> tuple[SubmissionDraft, list[Problem]]:
    """Check a submission; return it normalised together with every problem found."""
    problems: list[Problem] = []
    idempotency_key = draft.idempotency_key
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= MAX_IDEMPOTENCY_KEY:
        problems.append(
            Problem(
                "idempotencyKey",
                f"must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
                ErrorCode.INVALID_INPUT,
            )
        )
    jurisdiction = region_code(draft.jurisdiction)
    if not valid_region_code(jurisdiction):
        problems.append(
            Problem(
                "jurisdiction",
                "is not an ISO 3166 country or subdivision code",
                ErrorCode.INVALID_JURISDICTION,
            )
        )
    officer = _check_officer(draft.officer, problems)
    _check_legal_basis(draft.legal_basis, today, problems)
    _text(problems, "reason", draft.reason, required=True)
    if draft.emergency:
        _text(problems, "emergencyDescription", draft.emergency_description, required=True)
    if not draft.targets:
        problems.append(Problem("targets", "name at least one target", ErrorCode.EMPTY_TARGETS))
    elif len(draft.targets) > MAX_TARGETS:
        problems.append(
            Problem(
                "targets", f"at most {MAX_TARGETS} targets per request", ErrorCode.INVALID_INPUT
            )
        )
    targets = tuple(_check_target(i, t, problems) for i, t in enumerate(draft.targets))
    seen: set[tuple[IdentifierType, str]] = set()
    for i, t in enumerate(targets):
        key = (t.identifier_type, t.identifier)
        if key in seen:
            problems.append(
                Problem(
                    f"targets[{i}].identifier",
                    "names the same target twice",
                    ErrorCode.INVALID_INPUT,
                )
            )
        seen.add(key)
    basis = replace(draft.legal_basis, kind=basis_kind(draft.legal_basis.kind))
    normalised = replace(
        draft, jurisdiction=jurisdiction, officer=officer, legal_basis=basis, targets=targets
    )
    return normalised, problems


def parse_identifier_type(raw: str) -> IdentifierType | None:
    """For entry points that receive plain strings (imports, scripts)."""
    try:
        return IdentifierType[raw.strip().upper()]
    except KeyError:
        return None


def parse_info_type(raw: str) -> InfoType | None:
    try:
        return InfoType(raw.strip().upper())
    except ValueError:
        return None
