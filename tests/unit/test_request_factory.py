"""One factory for new requests (``domain.new_request``), the submission's vocabulary rules
(``domain.submission``), a batch of decisions (``domain.deciding``) and the lifecycle's checks
of what depends on a status (``domain.lifecycle.check``)."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from trustcenter.domain.deciding import check_decisions, questions, stored_reason
from trustcenter.domain.decisions import BUILTIN_REASONS, Decision, ItemView
from trustcenter.domain.enums import (
    AgencyKind,
    DecisionOutcome,
    IdentifierType,
    InfoType,
    IssuerRole,
)
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.history import HistoricalOutcome, HistoryLine, HistoryTarget
from trustcenter.domain.lifecycle import (
    Activity,
    ActivityRefused,
    Operation,
    RequestStatus,
    TransitionRefused,
    check,
)
from trustcenter.domain.new_request import Sender, Terms, imported, submitted
from trustcenter.domain.report import Outcome
from trustcenter.domain.submission import (
    LegalBasisDraft,
    Officer,
    SubmissionDraft,
    TargetDraft,
    checked_submission,
    known_basis_kinds,
    validate_submission,
    vocabulary_problem,
)

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
AGENCY = uuid.UUID(int=7)
PDF = b"%PDF-1.7\n% a warrant\n%%EOF\n"
S, Op = RequestStatus, Operation


def counter() -> Callable[[], uuid.UUID]:
    numbers: Iterator[int] = iter(range(1000, 10_000))
    return lambda: uuid.UUID(int=next(numbers))


def draft(**changes: object) -> SubmissionDraft:
    values: dict[str, object] = {
        "jurisdiction": " de ",
        "officer": Officer(
            "  Karin Mueller ", "K.Mueller@Polizei.Example", " KK ", " +49 30 4664 0 "
        ),
        "legal_basis": LegalBasisDraft(
            "WARRANT",
            " AG-2026-113 ",
            " Amtsgericht Tiergarten ",
            date(2026, 5, 20),
            document=PDF,
            issuer_role=IssuerRole.JUDGE,
        ),
        "targets": (
            TargetDraft(
                IdentifierType.EMAIL,
                "A.User@Example.com",
                (InfoType.C, InfoType.A),
                date(2026, 1, 1),
                date(2026, 4, 30),
            ),
            TargetDraft(IdentifierType.SERIAL_NUMBER, "sn-0042-ab", (InfoType.B,)),
        ),
        "reason": "  A burglary series. ",
        "idempotency_key": "k-1",
    }
    values.update(changes)
    return SubmissionDraft(**values)  # type: ignore[arg-type]


# --- the submission's rules -----------------------------------------------------------------


def test_known_basis_kinds_are_the_builtin_ones_and_the_registered_ones_in_lower_case() -> None:
    kinds = known_basis_kinds(["Executive_Agreement", " preservation_order "])
    assert {"warrant", "emergency_declaration", "executive_agreement"} <= kinds
    assert "preservation_order" in kinds and known_basis_kinds(()) < kinds


def test_the_basis_kind_is_normalised_and_the_fingerprint_is_that_of_the_lower_case_kind() -> None:
    upper = checked_submission(draft(), NOW.date())
    lower = checked_submission(
        draft(legal_basis=LegalBasisDraft("warrant", " AG-2026-113 ", " Amtsgericht Tiergarten ",
                                          date(2026, 5, 20), document=PDF,
                                          issuer_role=IssuerRole.JUDGE)),
        NOW.date(),
    )  # fmt: skip
    assert upper.legal_basis.kind == "warrant"
    assert upper.fingerprint() == lower.fingerprint()


def test_the_fingerprint_of_a_submission_stays_what_it_was() -> None:
    """Stored requests keep the digest their submission had: a retry sent after an upgrade
    must still be recognised as the same submission (these are the digests the fingerprint
    gave when it encoded the draft with ``dataclasses.asdict``)."""
    checked = checked_submission(draft(), NOW.date())
    assert checked.fingerprint() == (
        "3fef100ae6b43b78fbbb560618f792b42d23946066bce896b8de6dd55a717dc9"
    )
    basis = replace(checked.legal_basis, document=None, document_ids=(uuid.UUID(int=7),))
    assert replace(checked, legal_basis=basis).fingerprint() == (
        "9061e97090f671f3e46729ffe8afce9706e36d6d2439e053c70c476c60ab5f9d"
    )


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_an_idempotency_key_outside_1_to_200_characters_is_refused(key: str) -> None:
    _, problems = validate_submission(draft(idempotency_key=key), NOW.date())
    assert [(p.field, p.message, p.code) for p in problems] == [
        ("idempotencyKey", "must be 1 to 200 characters", ErrorCode.INVALID_INPUT)
    ]
    with pytest.raises(DomainError):
        checked_submission(draft(idempotency_key=key), NOW.date())


def test_an_unknown_kind_is_named_before_an_unknown_category() -> None:
    kinds = known_basis_kinds(())
    unknown = draft(
        legal_basis=LegalBasisDraft("treaty", "R", "I", date(2026, 5, 20)), category="CUSTOMS"
    )
    problem = vocabulary_problem(unknown, kinds, {"ACCOUNT", "PRODUCT"})
    assert problem is not None and problem.code is ErrorCode.UNKNOWN_LEGAL_BASIS_KIND
    assert problem.message.startswith("TREATY is not a kind of legal basis here; known: ")
    category = vocabulary_problem(draft(category="customs"), kinds, {"ACCOUNT", "PRODUCT"})
    assert category is not None and category.code is ErrorCode.UNKNOWN_CATEGORY
    assert category.message == "CUSTOMS is not a category here; known: ACCOUNT, PRODUCT"
    assert vocabulary_problem(draft(category="account"), kinds, {"ACCOUNT"}) is None


# --- the factory: a submission ---------------------------------------------------------------


def test_a_submission_becomes_a_received_pending_request_with_every_part() -> None:
    checked = checked_submission(draft(), NOW.date())
    deadline = NOW + timedelta(days=30)
    sender = Sender(AGENCY, "DE", uuid.UUID(int=9))
    new = submitted(checked, sender, Terms("ACCOUNT", deadline), NOW, counter())
    assert (new.status, new.report_outcome) == (S.RECEIVED, Outcome.PENDING)
    assert (new.agency_id, new.client_id, new.country, new.jurisdiction) == (
        AGENCY, uuid.UUID(int=9), "DE", "DE",
    )  # fmt: skip
    assert (new.category, new.deadline, new.received_at, new.recorded_at) == (
        "ACCOUNT", deadline, NOW, NOW,
    )  # fmt: skip
    assert new.payload_sha256 == checked.fingerprint()
    assert new.idempotency_key == "k-1" and new.revision_of_id is None and new.hold_until is None
    assert new.reason == "A burglary series."
    officer = new.officer
    assert (officer.name, officer.title, officer.email, officer.phone) == (
        "Karin Mueller", "KK", "k.mueller@polizei.example", "+49 30 4664 0",
    )  # fmt: skip
    basis = new.legal_basis
    assert (basis.kind, basis.reference, basis.issued_by, basis.issuer_role) == (
        "warrant", "AG-2026-113", "Amtsgericht Tiergarten", "judge",
    )  # fmt: skip
    assert basis.document_sha256 == hashlib.sha256(PDF).hexdigest()
    assert basis.document_size == len(PDF)
    assert new.emergency is False and new.emergency_description is None
    # one item per information type, each with its target's time range; ids from the source
    assert [(t.position, t.identifier_type, t.identifier) for t in new.targets] == [
        (0, IdentifierType.EMAIL, "a.user@example.com"),
        (1, IdentifierType.SERIAL_NUMBER, "SN-0042-AB"),
    ]
    first = new.targets[0].items
    assert [(i.info_type, i.range_from, i.range_to, i.decided) for i in first] == [
        (InfoType.A, date(2026, 1, 1), date(2026, 4, 30), None),
        (InfoType.C, date(2026, 1, 1), date(2026, 4, 30), None),
    ]
    assert new.item_count == 3
    ids = [new.id, basis.id, *(t.id for t in new.targets)]
    ids += [i.id for t in new.targets for i in t.items]
    assert len(set(ids)) == len(ids) and new.id == uuid.UUID(int=1000)


def test_an_emergency_keeps_its_description_and_a_revision_names_what_it_revises() -> None:
    checked = checked_submission(
        draft(emergency=True, emergency_description="A child is missing."), NOW.date()
    )
    earlier = uuid.uuid4()
    terms = Terms("EMERGENCY", NOW + timedelta(hours=8), NOW + timedelta(days=90))
    new = submitted(checked, Sender(AGENCY, "DE"), terms, NOW, uuid.uuid4, earlier)
    assert new.emergency_description == "A child is missing."
    assert new.revision_of_id == earlier and new.hold_until == NOW + timedelta(days=90)


# --- the factory: a line of the history file -------------------------------------------------


def line(outcome: HistoricalOutcome, **changes: object) -> HistoryLine:
    values: dict[str, object] = {
        "line": 1,
        "external_id": "R-1",
        "received_at": datetime(2024, 3, 1, tzinfo=UTC),
        "responded_at": datetime(2024, 3, 20, tzinfo=UTC),
        "agency_name": "LKA Berlin",
        "agency_kind": AgencyKind.LAW_ENFORCEMENT,
        "agency_country": "DE",
        "jurisdiction": "DE",
        "basis_kind": "warrant",
        "basis_reference": "W-1",
        "emergency": False,
        "targets": (
            HistoryTarget(IdentifierType.EMAIL, "a@example.com", (InfoType.A, InfoType.C)),
        ),
        "outcome": outcome,
        "revision_of": None,
        "payload_sha256": "ab" * 32,
    }
    values.update(changes)
    return HistoryLine(**values)  # type: ignore[arg-type]


H = HistoricalOutcome


@pytest.mark.parametrize(
    ("outcome", "revised", "status"),
    [
        (H.PENDING, False, S.RECEIVED),
        (H.PENDING, True, S.SUPERSEDED),
        (H.OBJECTED, True, S.SUPERSEDED),
        (H.DISCLOSED, True, S.DISCLOSED),  # the lifecycle supersedes nothing disclosed
        (H.WITHDRAWN, True, S.WITHDRAWN),
    ],
)
def test_an_imported_line_has_the_status_its_outcome_and_a_revision_give(
    outcome: HistoricalOutcome, revised: bool, status: RequestStatus
) -> None:
    new = imported(line(outcome), Sender(AGENCY, "DE"), NOW, counter(), revised=revised)
    assert new.status is status and new.report_outcome is outcome.report_outcome


def test_an_imported_line_is_decided_as_its_outcome_says() -> None:
    new = imported(line(H.PARTIALLY_DISCLOSED), Sender(AGENCY, "DE"), NOW, counter())
    assert (new.category, new.recorded_at, new.external_id) == ("ACCOUNT", NOW, "R-1")
    assert new.deadline == datetime(2024, 3, 31, tzinfo=UTC)
    assert new.officer.name == "not recorded in the earlier records"
    assert new.legal_basis.issued_by == "LKA Berlin" and new.legal_basis.document_sha256 is None
    decided = [i.decided for i in new.targets[0].items]
    assert [(d.outcome, d.reason_code, d.decided_by) for d in decided if d] == [
        (DecisionOutcome.APPROVE, None, "import"),
        (DecisionOutcome.REJECT, "overbroad", "import"),
    ]
    pending = imported(line(H.PENDING, responded_at=None), Sender(AGENCY, "DE"), NOW, counter())
    assert all(i.decided is None for t in pending.targets for i in t.items)


# --- a batch of decisions ----------------------------------------------------------------------


def test_a_batch_names_each_item_of_the_request_once() -> None:
    a, c = uuid.uuid4(), uuid.uuid4()
    items = {
        a: ItemView(InfoType.A, None, None, True),
        c: ItemView(InfoType.C, None, None, True),
    }
    approve = Decision(DecisionOutcome.APPROVE)
    problems = check_decisions(
        [(a, approve), (a, approve), (None, approve), (uuid.uuid4(), approve), (c, approve)],
        items,
        BUILTIN_REASONS,
    )
    assert [(p.field, p.code) for p in problems] == [
        ("decisions[1].itemId", ErrorCode.NOT_FOUND),
        ("decisions[2].itemId", ErrorCode.NOT_FOUND),
        ("decisions[3].itemId", ErrorCode.NOT_FOUND),
    ]
    assert stored_reason(" OVERBROAD ") == "overbroad" and stored_reason(None) is None
    assert questions([("question", "When?"), ("approve", None), ("question", "Who?")]) == (
        "When?\n\nWho?"
    )


# --- what depends on the status ----------------------------------------------------------------


def test_check_refuses_an_operation_or_an_activity_the_status_does_not_allow() -> None:
    check(Op.START_REVIEW, S.RECEIVED)
    check(Activity.DECIDE, S.IN_REVIEW)
    check(Activity.RECLASSIFY, S.REJECTED)
    with pytest.raises(TransitionRefused):
        check(Op.RELEASE, S.IN_REVIEW)
    with pytest.raises(ActivityRefused) as decide:
        check(Activity.DECIDE, S.RECEIVED)
    assert decide.value.problems[0].message == (
        "decisions are made while a request is IN_REVIEW; this one is RECEIVED"
    )
    assert decide.value.problems[0].code is ErrorCode.INVALID_TRANSITION
    with pytest.raises(ActivityRefused) as reclassify:
        check(Activity.RECLASSIFY, S.DISCLOSED)
    assert reclassify.value.problems[0].message == (
        "cannot reclassify a request that is DISCLOSED: it keeps the category it was answered under"
    )
