"""Storing a submission through the services, on SQLite and on PostgreSQL: it is stored whole and
reads back, an invalid one stores nothing, and only verified agencies with the submit scope may
submit.

Every test here runs once per backend (the ``container`` fixture is parametrized through
``migrated``): the same promises must hold on the embedded default and in production.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

# --- storing a submission -------------------------------------------------------------------
from tests.integration.storage_helpers import (
    DOCUMENT,
    _agency,
    _agent,
    _count,
    _counts,
    _draft,
    _product_draft,
    _stored,
    _submit,
)
from trustcenter.auth.principal import ANONYMOUS, Principal, PrincipalKind
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import (
    LegalBasis,
    Request,
    Target,
)
from trustcenter.domain.enums import (
    Category,
    IdentifierType,
    InfoType,
    LegalBasisKind,
    VerificationState,
)
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.submission import LegalBasisDraft, TargetDraft
from trustcenter.services import reads
from trustcenter.services.access import AccessDenied, NotAuthenticated


async def test_submission_is_stored_whole_and_reads_back(
    container: Container, clock: FixedClock
) -> None:
    c = container
    agency = await _agency(c, "DE")
    who = _agent(agency)

    result = await _submit(c, who)

    assert result.replayed is False
    rid = result.request.id
    assert list(await reads.requests_by_ids(c, who, [rid])) == [rid]
    req = (await _stored(c, Request, [rid]))[rid]
    assert req.agency_id == agency
    assert req.client_id is None
    assert req.jurisdiction == "DE"
    assert req.country == "DE"
    assert req.category == Category.ACCOUNT.value
    assert req.status == RequestStatus.RECEIVED.value
    assert req.emergency is False
    assert req.emergency_description is None
    assert req.officer_name == "Kommissarin K. Weber"
    assert req.officer_email == "k.weber@polizei.example"
    assert req.officer_title == "KHKin"
    assert req.reason.startswith("Investigation of a burglary series")
    assert req.version == 1
    assert req.revision_of_id is None
    assert req.received_at == clock.now()
    assert req.updated_at == clock.now()
    assert req.deadline == clock.now() + timedelta(days=30)
    assert req.idempotency_key is None

    bases = await _stored(c, LegalBasis, [req.legal_basis_id])
    basis = bases[req.legal_basis_id]
    assert basis.kind == LegalBasisKind.WARRANT.value
    assert basis.reference == "AG-2026-113"
    assert basis.issued_by == "Amtsgericht Tiergarten"
    assert basis.issued_at == date(2026, 11, 1)
    assert basis.expires_at == date(2027, 2, 1)
    assert basis.non_disclosure_until == date(2027, 5, 1)
    assert basis.document_sha256 == hashlib.sha256(DOCUMENT).hexdigest()
    assert basis.document_size == len(DOCUMENT)
    assert basis.created_at == clock.now()
    async with c.db.reader() as session:
        stored = await session.scalar(
            select(LegalBasis.document).where(LegalBasis.id == req.legal_basis_id)
        )
    assert stored == DOCUMENT  # byte for byte, binary included

    targets = (await reads.targets_of(c, who, [rid]))[rid]
    stored_targets = await _stored(c, Target, [t.id for t in targets])
    positions = {i: t.position for i, t in stored_targets.items()}
    assert [(positions[t.id], t.identifier_type, t.identifier) for t in targets] == [
        (0, "email", "suspect@example.com"),
        (1, "serial_number", "C6N1234567"),
        (2, "phone", "+493012345678"),
    ]
    assert all(t.request_id == rid for t in targets)

    items = (await reads.items_of(c, who, [rid]))[rid]
    by_target = positions
    assert [(by_target[i.target_id], i.info_type, i.range_from, i.range_to) for i in items] == [
        (0, "A", date(2026, 1, 1), date(2026, 6, 30)),
        (0, "C", date(2026, 1, 1), date(2026, 6, 30)),
        (1, "B", None, None),
        (2, "C", date(2026, 3, 1), None),
        (2, "E", date(2026, 3, 1), None),
    ]
    assert all(i.request_id == rid and i.outcome is None for i in items)
    assert await _counts(c) == {
        "requests": 1,
        "legal_bases": 1,
        "request_targets": 3,
        "requested_items": 5,
    }


async def test_reads_of_several_requests_keep_them_apart(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    first = (await _submit(c, who)).request
    second = (await _submit(c, who, _product_draft())).request
    unknown = uuid.uuid4()

    targets = await reads.targets_of(c, who, [first.id, second.id, unknown])
    items = await reads.items_of(c, who, [first.id, second.id, unknown])
    assert [len(targets[first.id]), len(targets[second.id]), len(targets[unknown])] == [3, 1, 0]
    assert [len(items[first.id]), len(items[second.id]), len(items[unknown])] == [5, 1, 0]
    assert {t.request_id for t in targets[second.id]} == {second.id}
    bases = await reads.legal_bases_by_ids(c, who, [first.legal_basis_id, second.legal_basis_id])
    assert len(bases) == 2  # each request gets its own stored legal basis
    assert await reads.legal_bases_by_ids(c, who, []) == {}
    assert await reads.requests_by_ids(c, who, []) == {}


@pytest.mark.parametrize(
    ("changes", "category", "deadline"),
    [
        ({}, Category.ACCOUNT, timedelta(days=30)),
        (
            {"emergency": True, "emergency_description": "A child is missing."},
            Category.EMERGENCY,
            timedelta(hours=8),
        ),
        (
            {"targets": (TargetDraft(IdentifierType.USERNAME, "buyer.1", (InfoType.D,)),)},
            Category.TRANSACTION,
            timedelta(days=30),
        ),
        (
            {"targets": (TargetDraft(IdentifierType.SERIAL_NUMBER, "SN-9", (InfoType.B,)),)},
            Category.PRODUCT,
            timedelta(days=30),
        ),
        # an agreeing category is kept (a disagreeing one is refused: test_category_rules)
        (
            {
                "targets": (TargetDraft(IdentifierType.SERIAL_NUMBER, "SN-9", (InfoType.B,)),),
                "category": Category.PRODUCT.name,
            },
            Category.PRODUCT,
            timedelta(days=30),
        ),
    ],
)
async def test_category_and_deadline_are_stored(
    container: Container,
    clock: FixedClock,
    changes: dict[str, Any],
    category: Category,
    deadline: timedelta,
) -> None:
    c = container
    who = _agent(await _agency(c))
    req = (await _submit(c, who, _draft(**changes))).request
    stored = (await _stored(c, Request, [req.id]))[req.id]
    assert stored.category == category.value
    assert stored.deadline == clock.now() + deadline
    assert stored.emergency is bool(changes.get("emergency"))
    assert stored.emergency_description == changes.get("emergency_description")


async def test_a_submission_without_a_document_stores_no_digest(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    draft = _draft(legal_basis=replace(_draft().legal_basis, document=None))
    req = (await _submit(c, who, draft)).request
    basis = (await reads.legal_bases_by_ids(c, who, [req.legal_basis_id]))[req.legal_basis_id]
    assert (basis.document_sha256, basis.document_size) == (None, None)


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"jurisdiction": "XX"}, "jurisdiction", ErrorCode.INVALID_JURISDICTION),
        ({"targets": ()}, "targets", ErrorCode.EMPTY_TARGETS),
        (
            {"targets": (TargetDraft(IdentifierType.EMAIL, "not an address", (InfoType.A,)),)},
            "targets[0].identifier",
            ErrorCode.INVALID_IDENTIFIER,
        ),
        (
            {
                "legal_basis": LegalBasisDraft(
                    LegalBasisKind.WARRANT,
                    "R-1",
                    "A court",
                    date(2025, 1, 1),
                    expires_at=date(2025, 6, 1),
                )
            },
            "legalBasis.expiresAt",
            ErrorCode.LEGAL_BASIS_EXPIRED,
        ),
        (
            {"emergency": True, "emergency_description": None},
            "emergencyDescription",
            ErrorCode.INVALID_INPUT,
        ),
    ],
)
async def test_an_invalid_submission_stores_nothing(
    container: Container, changes: dict[str, Any], field: str, code: ErrorCode
) -> None:
    c = container
    who = _agent(await _agency(c))
    with pytest.raises(DomainError) as caught:
        await _submit(c, who, _draft(idempotency_key="k-invalid", **changes))
    assert (field, code) in [(p.field, p.code) for p in caught.value.problems]
    assert await _counts(c) == dict.fromkeys(
        ("requests", "legal_bases", "request_targets", "requested_items"), 0
    )


# --- who may submit -------------------------------------------------------------------------


async def _assert_not_verified(c: Container, who: Principal) -> None:
    with pytest.raises(DomainError) as caught:
        await _submit(c, who, _draft(idempotency_key="unverified"))
    assert [p.code for p in caught.value.problems] == [ErrorCode.AGENCY_NOT_VERIFIED]
    assert caught.value.problems[0].field == "agency"
    assert await _counts(c) == dict.fromkeys(
        ("requests", "legal_bases", "request_targets", "requested_items"), 0
    )


async def test_principal_of_unverified_agency_cannot_submit(container: Container) -> None:
    agency = await _agency(container, state=VerificationState.VERIFIED)
    await _assert_not_verified(container, _agent(agency, verified=False))


@pytest.mark.parametrize("state", [VerificationState.PENDING, VerificationState.SUSPENDED])
async def test_agency_row_not_verified_refuses_even_a_verified_token(
    container: Container, state: VerificationState
) -> None:
    # The token said verified when it was issued; the database has the last word.
    agency = await _agency(container, state=state)
    await _assert_not_verified(container, _agent(agency, verified=True))


async def test_unknown_agency_cannot_submit(container: Container) -> None:
    await _assert_not_verified(container, _agent(uuid.uuid4(), verified=True))


async def test_only_agency_principals_with_the_submit_scope_may_submit(
    container: Container,
) -> None:
    c = container
    agency = await _agency(c)
    with pytest.raises(NotAuthenticated):
        await _submit(c, ANONYMOUS)
    with pytest.raises(AccessDenied):
        await _submit(c, _agent(agency, scopes=frozenset({"requests:read"})))
    with pytest.raises(AccessDenied):
        await _submit(
            c, Principal(PrincipalKind.STAFF, scopes=frozenset({"requests:submit", "admin"}))
        )
    with pytest.raises(AccessDenied):
        await _submit(c, _agent(None))
    assert await _count(c, Request) == 0
