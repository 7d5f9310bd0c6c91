"""Checks a submission must pass before it is stored, and how identifiers are normalised."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest

from trustcenter.domain.enums import Category, IdentifierType, InfoType, LegalBasisKind
from trustcenter.domain.errors import ErrorCode, Problem
from trustcenter.domain.submission import (
    MAX_DOCUMENT_BYTES,
    MAX_TARGETS,
    MAX_TEXT,
    LegalBasisDraft,
    Officer,
    SubmissionDraft,
    TargetDraft,
    parse_identifier_type,
    parse_info_type,
    validate_submission,
)

I = IdentifierType  # noqa: E741
A, B, C, D, E = InfoType.A, InfoType.B, InfoType.C, InfoType.D, InfoType.E

TODAY = date(2026, 6, 1)
PDF = b"%PDF-1.7\n% a warrant\n%%EOF\n"


# --- builders ---------------------------------------------------------------------------------


def officer(**overrides: Any) -> Officer:
    values: dict[str, Any] = {
        "name": "Karin Mueller",
        "email": "K.Mueller@Polizei.Example.DE",
        "title": "Kriminalkommissarin",
        "phone": "+49 30 4664 0",
    }
    values.update(overrides)
    return Officer(**values)


def basis(**overrides: Any) -> LegalBasisDraft:
    values: dict[str, Any] = {
        "kind": LegalBasisKind.WARRANT,
        "reference": "AG-2026-113",
        "issued_by": "Amtsgericht Berlin-Tiergarten",
        "issued_at": date(2026, 5, 20),
        "expires_at": date(2026, 12, 31),
        "non_disclosure_until": date(2026, 9, 30),
        "document": PDF,
    }
    values.update(overrides)
    return LegalBasisDraft(**values)


def target(
    identifier_type: IdentifierType = I.EMAIL,
    identifier: str = "a.user@example.com",
    info_types: tuple[InfoType, ...] = (A, C),
    **overrides: Any,
) -> TargetDraft:
    return TargetDraft(identifier_type, identifier, info_types, **overrides)


def baseline_targets() -> tuple[TargetDraft, ...]:
    return (
        target(
            I.EMAIL,
            "  A.User@Example.COM ",
            (C, A),
            range_from=date(2026, 1, 1),
            range_to=date(2026, 4, 30),
        ),
        target(I.PHONE, "+49 30 1234567", (A,)),
        target(I.USERNAME, " night.owl ", (E,)),
        target(I.SERIAL_NUMBER, "sn-0042-ab", (B, C)),
        target(I.ORDER_ID, "ORD-2026_1", (E,)),
    )


def draft(**overrides: Any) -> SubmissionDraft:
    values: dict[str, Any] = {
        "jurisdiction": "de",
        "officer": officer(),
        "legal_basis": basis(),
        "targets": baseline_targets(),
        "reason": "Investigation of a burglary series; the suspect used the account.",
        "idempotency_key": "3f1c-0001",
    }
    values.update(overrides)
    return SubmissionDraft(**values)


def validate(d: SubmissionDraft) -> tuple[SubmissionDraft, list[Problem]]:
    return validate_submission(d, TODAY)


def only_problem(d: SubmissionDraft) -> Problem:
    """Validate and require exactly one problem: the refusal is precise and nothing else trips."""
    _, problems = validate(d)
    assert len(problems) == 1, problems
    return problems[0]


def assert_valid(d: SubmissionDraft) -> SubmissionDraft:
    normalised, problems = validate(d)
    assert problems == []
    return normalised


# --- the baseline -----------------------------------------------------------------------------


def test_valid_baseline_has_no_problems_and_is_normalised() -> None:
    normalised, problems = validate(draft())
    assert problems == []
    assert normalised.jurisdiction == "DE"
    assert normalised.officer.email == "k.mueller@polizei.example.de"
    email, phone, username, serial, order = normalised.targets
    assert email.identifier == "a.user@example.com"
    assert email.info_types == (A, C)
    assert (email.range_from, email.range_to) == (date(2026, 1, 1), date(2026, 4, 30))
    assert phone.identifier == "+49301234567"
    assert username.identifier == "night.owl"
    assert serial.identifier == "SN-0042-AB"
    assert serial.info_types == (B, C)
    assert order.identifier == "ORD-2026_1"
    # everything that was not normalised is carried over unchanged
    assert normalised.legal_basis == basis()
    assert normalised.reason == draft().reason
    assert normalised.idempotency_key == "3f1c-0001"


def test_validation_does_not_mutate_the_input() -> None:
    original = draft()
    validate(original)
    assert original.jurisdiction == "de"
    assert original.targets[0].identifier == "  A.User@Example.COM "


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+49 30 1234567", "+49301234567"),
        ("+49-30-123 4567", "+49301234567"),
        ("+1 (415) 555-0132", "+14155550132"),
        (" +44 20 7946 0958 ", "+442079460958"),
    ],
)
def test_phone_targets_are_normalised_to_e164(raw: str, expected: str) -> None:
    normalised = assert_valid(draft(targets=(target(I.PHONE, raw, (A,)),)))
    assert normalised.targets[0].identifier == expected


def test_emergency_request_with_description_is_accepted() -> None:
    assert_valid(
        draft(
            emergency=True,
            emergency_description="Missing child, last seen near the device location.",
            category=Category.EMERGENCY,
        )
    )


def test_limits_are_inclusive() -> None:
    assert_valid(draft(legal_basis=basis(document=b"x" * MAX_DOCUMENT_BYTES)))
    assert_valid(draft(legal_basis=basis(expires_at=TODAY)))
    assert_valid(draft(legal_basis=basis(issued_at=TODAY, non_disclosure_until=None)))
    assert_valid(draft(reason="r" * MAX_TEXT))
    assert_valid(draft(targets=(target(range_from=date(2026, 2, 1), range_to=date(2026, 2, 1)),)))
    many = tuple(target(I.SERIAL_NUMBER, f"SN-{i:04d}", (B,)) for i in range(MAX_TARGETS))
    assert_valid(draft(targets=many))


def test_optional_parts_may_be_left_out() -> None:
    assert_valid(
        draft(
            officer=officer(title="", phone=""),
            legal_basis=basis(expires_at=None, non_disclosure_until=None),
            targets=(target(range_from=date(2026, 1, 1)),),
        )
    )


# --- jurisdiction -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["XX", "DE-ZZ", "", "  ", "DEU", "D", "US-", "GERMANY"])
def test_bad_jurisdiction_is_refused(code: str) -> None:
    problem = only_problem(draft(jurisdiction=code))
    assert problem.field == "jurisdiction"
    assert problem.code is ErrorCode.INVALID_JURISDICTION


@pytest.mark.parametrize(
    ("code", "expected"),
    [("US-CA", "US-CA"), ("us-ca", "US-CA"), (" fr ", "FR"), ("DE-BE", "DE-BE")],
)
def test_country_and_subdivision_codes_are_accepted_and_upper_cased(
    code: str, expected: str
) -> None:
    assert assert_valid(draft(jurisdiction=code)).jurisdiction == expected


# --- targets ----------------------------------------------------------------------------------


def test_no_targets_is_refused() -> None:
    problem = only_problem(draft(targets=()))
    assert (problem.field, problem.code) == ("targets", ErrorCode.EMPTY_TARGETS)


def test_more_than_max_targets_is_refused() -> None:
    many = tuple(target(I.SERIAL_NUMBER, f"SN-{i:04d}", (B,)) for i in range(MAX_TARGETS + 1))
    problem = only_problem(draft(targets=many))
    assert (problem.field, problem.code) == ("targets", ErrorCode.INVALID_INPUT)
    assert str(MAX_TARGETS) in problem.message


def test_target_without_info_types_is_refused() -> None:
    problem = only_problem(draft(targets=(target(), target(I.PHONE, "+4930123456", ()))))
    assert (problem.field, problem.code) == ("targets[1].infoTypes", ErrorCode.EMPTY_INFO_TYPES)


def test_duplicate_info_type_is_refused_and_deduplicated() -> None:
    d = draft(targets=(target(info_types=(C, A, C)),))
    normalised, problems = validate(d)
    assert [(p.field, p.code) for p in problems] == [
        ("targets[0].infoTypes", ErrorCode.INVALID_INPUT)
    ]
    assert normalised.targets[0].info_types == (A, C)


def test_reversed_time_range_is_refused() -> None:
    d = draft(targets=(target(range_from=date(2026, 4, 1), range_to=date(2026, 3, 31)),))
    problem = only_problem(d)
    assert (problem.field, problem.code) == ("targets[0].to", ErrorCode.INVALID_TIME_RANGE)


INVALID_IDENTIFIERS = [
    (I.EMAIL, "not-an-email"),
    (I.EMAIL, "user@"),
    (I.EMAIL, "a@b"),
    (I.EMAIL, ""),
    (I.PHONE, "030 1234567"),  # no country code
    (I.PHONE, "+49 1"),
    (I.PHONE, "hello"),
    (I.PHONE, "+49301234567890123456"),
    (I.PHONE, ""),
    (I.USERNAME, "bob smith"),
    (I.USERNAME, "x" * 129),
    (I.USERNAME, "bob/alice"),
    (I.USERNAME, "   "),
    (I.SERIAL_NUMBER, "abc"),
    (I.SERIAL_NUMBER, "SN 1234"),
    (I.SERIAL_NUMBER, "SN_1234"),
    (I.SERIAL_NUMBER, "S" * 65),
    (I.SERIAL_NUMBER, ""),
    (I.ORDER_ID, "ab"),
    (I.ORDER_ID, "ord#1"),
    (I.ORDER_ID, "o" * 65),
    (I.ORDER_ID, ""),
]


@pytest.mark.parametrize(
    ("identifier_type", "identifier"),
    INVALID_IDENTIFIERS,
    ids=[f"{t.value}-{v[:20]!r}" for t, v in INVALID_IDENTIFIERS],
)
def test_invalid_identifier_is_refused(identifier_type: IdentifierType, identifier: str) -> None:
    d = draft(targets=(target(), target(identifier_type, identifier, (A,))))
    problem = only_problem(d)
    assert (problem.field, problem.code) == ("targets[1].identifier", ErrorCode.INVALID_IDENTIFIER)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (target(I.EMAIL, "a@example.com", (A,)), target(I.EMAIL, " A@Example.COM", (C,))),
        (target(I.PHONE, "+49 30 1234567", (A,)), target(I.PHONE, "+49301234567", (C,))),
        (target(I.SERIAL_NUMBER, "sn-1234", (B,)), target(I.SERIAL_NUMBER, "SN-1234", (B,))),
        (target(I.ORDER_ID, "ORD-1", (E,)), target(I.ORDER_ID, "ORD-1", (E,))),
    ],
)
def test_same_target_twice_is_refused(first: TargetDraft, second: TargetDraft) -> None:
    problem = only_problem(draft(targets=(first, second)))
    assert (problem.field, problem.code) == ("targets[1].identifier", ErrorCode.INVALID_INPUT)


def test_same_text_under_different_identifier_types_is_two_targets() -> None:
    assert_valid(
        draft(
            targets=(
                target(I.USERNAME, "ORD-12345", (A,)),
                target(I.ORDER_ID, "ORD-12345", (E,)),
            )
        )
    )


# --- legal basis ------------------------------------------------------------------------------


def test_expired_legal_basis_is_refused() -> None:
    problem = only_problem(draft(legal_basis=basis(expires_at=TODAY - timedelta(days=1))))
    assert (problem.field, problem.code) == ("legalBasis.expiresAt", ErrorCode.LEGAL_BASIS_EXPIRED)


def test_expiry_before_issue_is_refused() -> None:
    d = draft(legal_basis=basis(issued_at=date(2026, 5, 20), expires_at=date(2026, 5, 19)))
    problem = only_problem(d)
    assert (problem.field, problem.code) == ("legalBasis.expiresAt", ErrorCode.INVALID_TIME_RANGE)


def test_issued_in_the_future_is_refused() -> None:
    d = draft(legal_basis=basis(issued_at=TODAY + timedelta(days=1), non_disclosure_until=None))
    problem = only_problem(d)
    assert (problem.field, problem.code) == ("legalBasis.issuedAt", ErrorCode.INVALID_INPUT)


def test_non_disclosure_ending_before_issue_is_refused() -> None:
    problem = only_problem(draft(legal_basis=basis(non_disclosure_until=date(2026, 5, 1))))
    assert (problem.field, problem.code) == (
        "legalBasis.nonDisclosureUntil",
        ErrorCode.INVALID_TIME_RANGE,
    )


@pytest.mark.parametrize(
    "document", [b"", b"x" * (MAX_DOCUMENT_BYTES + 1)], ids=["empty", "oversized"]
)
def test_bad_document_is_refused(document: bytes) -> None:
    problem = only_problem(draft(legal_basis=basis(document=document)))
    assert (problem.field, problem.code) == ("legalBasis.document", ErrorCode.INVALID_DOCUMENT)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reference": ""}, "legalBasis.reference"),
        ({"reference": "   "}, "legalBasis.reference"),
        ({"issued_by": ""}, "legalBasis.issuedBy"),
    ],
)
def test_legal_basis_needs_reference_and_issuer(overrides: dict[str, Any], field: str) -> None:
    problem = only_problem(draft(legal_basis=basis(**overrides)))
    assert (problem.field, problem.code) == (field, ErrorCode.INVALID_INPUT)


# --- officer, reason, emergency ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "   "])
def test_officer_name_is_required(name: str) -> None:
    problem = only_problem(draft(officer=officer(name=name)))
    assert (problem.field, problem.code) == ("officer.name", ErrorCode.INVALID_INPUT)


@pytest.mark.parametrize("email", ["", "karin.mueller", "karin@", "karin mueller@polizei.de"])
def test_officer_email_must_be_an_email_address(email: str) -> None:
    problem = only_problem(draft(officer=officer(email=email)))
    assert (problem.field, problem.code) == ("officer.email", ErrorCode.INVALID_INPUT)


def test_officer_phone_when_given_must_be_international() -> None:
    problem = only_problem(draft(officer=officer(phone="030 46640")))
    assert (problem.field, problem.code) == ("officer.phone", ErrorCode.INVALID_INPUT)


def test_overlong_officer_title_is_refused() -> None:
    problem = only_problem(draft(officer=officer(title="t" * (MAX_TEXT + 1))))
    assert (problem.field, problem.code) == ("officer.title", ErrorCode.INVALID_INPUT)


@pytest.mark.parametrize("description", [None, "", "   "])
def test_emergency_needs_a_description(description: str | None) -> None:
    problem = only_problem(draft(emergency=True, emergency_description=description))
    assert (problem.field, problem.code) == ("emergencyDescription", ErrorCode.INVALID_INPUT)


def test_an_emergency_hint_is_left_to_the_classification() -> None:
    """EMERGENCY without the flag is a hint that disagrees with the classification: refused
    there (CATEGORY_MISMATCH, tests/unit/test_rules.py), not as malformed input."""
    _, problems = validate_submission(
        draft(emergency=False, category=Category.EMERGENCY.name), TODAY
    )
    assert problems == []


@pytest.mark.parametrize("raw", ["\u0131t", "\uff24\uff25", "DE\u200b", "D\u0415"])
def test_a_look_alike_jurisdiction_is_no_code(raw: str) -> None:
    problem = only_problem(draft(jurisdiction=raw))
    assert (problem.field, problem.code) == ("jurisdiction", ErrorCode.INVALID_JURISDICTION)


@pytest.mark.parametrize(("raw", "code"), [(" de ", "DE"), ("de-be", "DE-BE"), ("\tUS\n", "US")])
def test_an_ascii_jurisdiction_is_normalised(raw: str, code: str) -> None:
    normalised, problems = validate_submission(draft(jurisdiction=raw), TODAY)
    assert problems == [] and normalised.jurisdiction == code


@pytest.mark.parametrize("reason", ["", "  \n ", "r" * (MAX_TEXT + 1)])
def test_reason_is_required_and_bounded(reason: str) -> None:
    problem = only_problem(draft(reason=reason))
    assert (problem.field, problem.code) == ("reason", ErrorCode.INVALID_INPUT)


# --- all at once ------------------------------------------------------------------------------


def test_every_problem_is_reported_at_once() -> None:
    d = draft(
        jurisdiction="XX",
        officer=officer(name="", email="nope"),
        legal_basis=basis(expires_at=date(2026, 5, 31), document=b""),
        reason="",
        emergency=True,
        emergency_description=None,
        targets=(
            target(I.EMAIL, "a@example.com", (A,)),
            target(I.PHONE, "12345", (A,)),
            target(I.SERIAL_NUMBER, "SN-0001", ()),
            target(
                I.ORDER_ID, "ORD-1", (E,), range_from=date(2026, 2, 2), range_to=date(2026, 2, 1)
            ),
            target(I.EMAIL, "A@EXAMPLE.COM", (C,)),
        ),
    )
    _, problems = validate(d)
    assert {(p.field, p.code) for p in problems} == {
        ("jurisdiction", ErrorCode.INVALID_JURISDICTION),
        ("officer.name", ErrorCode.INVALID_INPUT),
        ("officer.email", ErrorCode.INVALID_INPUT),
        ("legalBasis.expiresAt", ErrorCode.LEGAL_BASIS_EXPIRED),
        ("legalBasis.document", ErrorCode.INVALID_DOCUMENT),
        ("reason", ErrorCode.INVALID_INPUT),
        ("emergencyDescription", ErrorCode.INVALID_INPUT),
        ("targets[1].identifier", ErrorCode.INVALID_IDENTIFIER),
        ("targets[2].infoTypes", ErrorCode.EMPTY_INFO_TYPES),
        ("targets[3].to", ErrorCode.INVALID_TIME_RANGE),
        ("targets[4].identifier", ErrorCode.INVALID_INPUT),
    }
    assert len(problems) == 11
    assert all(p.message for p in problems)


# --- fingerprint ------------------------------------------------------------------------------


def test_fingerprint_ignores_the_idempotency_key() -> None:
    first = draft(idempotency_key="key-1")
    retry = draft(idempotency_key="key-2")
    no_key = draft(idempotency_key=None)
    assert first.fingerprint() == retry.fingerprint() == no_key.fingerprint()
    assert len(first.fingerprint()) == 64
    int(first.fingerprint(), 16)


def test_fingerprint_is_stable_for_equal_payloads() -> None:
    assert draft().fingerprint() == draft().fingerprint()
    no_doc = draft(legal_basis=basis(document=None))
    assert no_doc.fingerprint() == draft(legal_basis=basis(document=None)).fingerprint()


_base_targets = baseline_targets()


def first_target_changed(**changes: Any) -> dict[str, Any]:
    return {"targets": (replace(_base_targets[0], **changes), *_base_targets[1:])}


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(first_target_changed(identifier="b.user@example.com"), id="target-identifier"),
        pytest.param(first_target_changed(info_types=(A, C, E)), id="target-info-types"),
        pytest.param(first_target_changed(range_to=date(2026, 5, 1)), id="target-range"),
        pytest.param({"targets": _base_targets[:-1]}, id="target-removed"),
        pytest.param({"targets": tuple(reversed(_base_targets))}, id="target-order"),
        pytest.param({"legal_basis": basis(document=PDF + b" ")}, id="document-bytes"),
        pytest.param(
            {"legal_basis": basis(document=PDF.replace(b"warrant", b"Warrant"))},
            id="document-bytes-same-length",
        ),
        pytest.param({"legal_basis": basis(document=None)}, id="document-missing"),
        pytest.param({"legal_basis": basis(reference="AG-2026-114")}, id="reference"),
        pytest.param({"legal_basis": basis(kind=LegalBasisKind.SUBPOENA)}, id="basis-kind"),
        pytest.param({"legal_basis": basis(expires_at=None)}, id="expiry"),
        pytest.param({"jurisdiction": "AT"}, id="jurisdiction"),
        pytest.param({"officer": officer(name="Someone Else")}, id="officer"),
        pytest.param({"reason": "Another reason."}, id="reason"),
        pytest.param(
            {"emergency": True, "emergency_description": "Imminent danger."}, id="emergency"
        ),
        pytest.param({"category": Category.ACCOUNT}, id="category"),
    ],
)
def test_fingerprint_changes_when_the_payload_changes(changed: dict[str, Any]) -> None:
    assert draft(**changed).fingerprint() != draft().fingerprint()


# --- parsing plain strings --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("EMAIL", I.EMAIL),
        ("email", I.EMAIL),
        (" Phone ", I.PHONE),
        ("username", I.USERNAME),
        ("SERIAL_NUMBER", I.SERIAL_NUMBER),
        ("serial_number", I.SERIAL_NUMBER),
        ("order_id", I.ORDER_ID),
    ],
)
def test_parse_identifier_type_accepts_known_names(raw: str, expected: IdentifierType) -> None:
    assert parse_identifier_type(raw) is expected


@pytest.mark.parametrize(
    "raw", ["", "   ", "mail", "serial-number", "serial number", "ORDERID", "target_kind", "A"]
)
def test_parse_identifier_type_rejects_unknown_names(raw: str) -> None:
    assert parse_identifier_type(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"), [("A", A), ("a", A), (" b ", B), ("C", C), ("d", D), ("E", E)]
)
def test_parse_info_type_accepts_a_to_e(raw: str, expected: InfoType) -> None:
    assert parse_info_type(raw) is expected


@pytest.mark.parametrize("raw", ["", " ", "F", "AB", "1", "account", "label"])
def test_parse_info_type_rejects_anything_else(raw: str) -> None:
    assert parse_info_type(raw) is None


def test_identifier_checks_are_remembered_only_for_short_values() -> None:
    from trustcenter.domain import submission

    kept = submission._normalise_cached.cache_info().currsize
    long = "a" * 300 + "@example.com"
    assert submission.normalise_identifier(IdentifierType.EMAIL, long) is None  # too long
    assert submission._normalise_cached.cache_info().currsize == kept
    email = " Remembered.Officer@Example.org "
    first = submission.normalise_identifier(IdentifierType.EMAIL, email)
    assert submission.normalise_identifier(IdentifierType.EMAIL, email) == first
    assert first == "remembered.officer@example.org"
