"""Storage of requests through the services, on SQLite and on PostgreSQL.

Every test here runs once per backend (the ``container`` fixture is parametrized through
``migrated``): the same promises must hold on the embedded default and in production.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select, update

from tests.helpers import SUBMIT, World, submission
from trustcenter.auth.principal import ANONYMOUS, Principal, PrincipalKind
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db import migrate
from trustcenter.db.models import (
    Agency,
    Base,
    LegalBasis,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.db.repositories.requests import BadCursor, RequestFilter, encode_cursor
from trustcenter.domain.enums import (
    AgencyKind,
    Category,
    IdentifierType,
    InfoType,
    LegalBasisKind,
    VerificationState,
)
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.submission import LegalBasisDraft, Officer, SubmissionDraft, TargetDraft
from trustcenter.services import reads
from trustcenter.services.access import AccessDenied, NotAuthenticated
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.requests import Submitted, submit_request

DOCUMENT = b"%PDF-1.4\n% a warrant, scanned\n" + bytes(range(256)) * 4
AGENCY_SCOPES = frozenset({"requests:submit", "requests:read"})
STAFF = Principal(PrincipalKind.STAFF, client_id="staff", scopes=frozenset({"review"}))
REPORTS_ONLY = Principal(PrincipalKind.STAFF, client_id="reporter", scopes=frozenset({"reports"}))
EVERYTHING = RequestFilter()


def _draft(**changes: Any) -> SubmissionDraft:
    draft = SubmissionDraft(
        jurisdiction="de",
        officer=Officer(
            name=" Kommissarin K. Weber ",
            email="K.Weber@Polizei.example",
            title="KHKin",
            phone="+49 30 4664 0",
        ),
        legal_basis=LegalBasisDraft(
            kind=LegalBasisKind.WARRANT,
            reference=" AG-2026-113 ",
            issued_by="Amtsgericht Tiergarten",
            issued_at=date(2026, 11, 1),
            expires_at=date(2027, 2, 1),
            non_disclosure_until=date(2027, 5, 1),
            document=DOCUMENT,
        ),
        targets=(
            TargetDraft(
                IdentifierType.EMAIL,
                "  Suspect@Example.com ",
                (InfoType.C, InfoType.A),
                date(2026, 1, 1),
                date(2026, 6, 30),
            ),
            TargetDraft(IdentifierType.SERIAL_NUMBER, "c6n1234567", (InfoType.B,)),
            TargetDraft(
                IdentifierType.PHONE,
                "+49 (30) 1234-5678",
                (InfoType.E, InfoType.C),
                date(2026, 3, 1),
                None,
            ),
        ),
        reason="Investigation of a burglary series; the camera owner is a witness.",
    )
    return replace(draft, **changes)


def _product_draft(**changes: Any) -> SubmissionDraft:
    """A request that only names a product: category PRODUCT."""
    targets = (TargetDraft(IdentifierType.SERIAL_NUMBER, "SN-0001", (InfoType.B,)),)
    return _draft(targets=targets, **changes)


async def _agency(
    c: Container, country: str = "DE", state: VerificationState = VerificationState.VERIFIED
) -> uuid.UUID:
    row = await create_agency(
        c.db,
        c.clock,
        name=f"Agency {country} {uuid.uuid4().hex[:6]}",
        kind=AgencyKind.LAW_ENFORCEMENT,
        country=country,
    )
    if state is not VerificationState.PENDING:
        await set_verification(c.db, c.clock, row.id, state)
    return row.id


def _agent(
    agency_id: uuid.UUID | None, *, verified: bool = True, scopes: frozenset[str] = AGENCY_SCOPES
) -> Principal:
    return Principal(
        PrincipalKind.AGENCY,
        client_id=f"client-{agency_id}",
        client_pk=None,
        agency_id=agency_id,
        agency_verified=verified,
        scopes=scopes,
    )


async def _submit(c: Container, who: Principal, draft: SubmissionDraft | None = None) -> Submitted:
    """Submit as ``who``; a draft left for the default jurisdiction is sent for the agency's own
    country (an agency submits for its own country unless granted more)."""
    draft = draft or _draft()
    if draft.jurisdiction == "de" and who.agency_id is not None:
        async with c.db.reader() as session:
            agency = await session.get(Agency, who.agency_id)
        if agency is not None:
            draft = replace(draft, jurisdiction=agency.country.lower())
    return await submit_request(c.db, c.clock, who, draft)


async def _count(c: Container, model: type[Base]) -> int:
    async with c.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _counts(c: Container) -> dict[str, int]:
    return {
        m.__tablename__: await _count(c, m) for m in (Request, LegalBasis, Target, RequestedItem)
    }


async def _all_pages(
    c: Container, who: Principal, where: RequestFilter, first: int
) -> tuple[list[uuid.UUID], list[bool]]:
    seen: list[uuid.UUID] = []
    flags: list[bool] = []
    after: str | None = None
    for _ in range(200):
        page = await reads.page_requests(c.db, who, where, first, after)
        seen += [r.id for r in page.rows]
        flags.append(page.has_next)
        if not page.has_next:
            break
        assert page.rows, "has_next with an empty page"
        after = encode_cursor(page.rows[-1])
    else:
        pytest.fail("paging never ended")
    return seen, flags


def _newest_first(rows: list[Request]) -> list[uuid.UUID]:
    return [r.id for r in sorted(rows, key=lambda r: (r.received_at, r.id), reverse=True)]


# --- storing a submission -------------------------------------------------------------------


async def test_submission_is_stored_whole_and_reads_back(
    container: Container, clock: FixedClock
) -> None:
    c = container
    agency = await _agency(c, "DE")
    who = _agent(agency)

    result = await _submit(c, who)

    assert result.replayed is False
    rid = result.request.id
    found = await reads.requests_by_ids(c.db, who, [rid])
    assert list(found) == [rid]
    req = found[rid]
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

    bases = await reads.legal_bases_by_ids(c.db, [req.legal_basis_id])
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

    targets = (await reads.targets_of(c.db, [rid]))[rid]
    assert [(t.position, t.identifier_type, t.identifier) for t in targets] == [
        (0, "email", "suspect@example.com"),
        (1, "serial_number", "C6N1234567"),
        (2, "phone", "+493012345678"),
    ]
    assert all(t.request_id == rid for t in targets)

    items = (await reads.items_of(c.db, [rid]))[rid]
    by_target = {t.id: t.position for t in targets}
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

    targets = await reads.targets_of(c.db, [first.id, second.id, unknown])
    items = await reads.items_of(c.db, [first.id, second.id, unknown])
    assert [len(targets[first.id]), len(targets[second.id]), len(targets[unknown])] == [3, 1, 0]
    assert [len(items[first.id]), len(items[second.id]), len(items[unknown])] == [5, 1, 0]
    assert {t.request_id for t in targets[second.id]} == {second.id}
    bases = await reads.legal_bases_by_ids(c.db, [first.legal_basis_id, second.legal_basis_id])
    assert len(bases) == 2  # each request gets its own stored legal basis
    assert await reads.legal_bases_by_ids(c.db, []) == {}
    assert await reads.requests_by_ids(c.db, who, []) == {}


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
    stored = (await reads.requests_by_ids(c.db, who, [req.id]))[req.id]
    assert stored.category == category.value
    assert stored.deadline == clock.now() + deadline
    assert stored.emergency is bool(changes.get("emergency"))
    assert stored.emergency_description == changes.get("emergency_description")


async def test_a_submission_without_a_document_stores_no_digest(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    draft = _draft(legal_basis=replace(_draft().legal_basis, document=None))
    req = (await _submit(c, who, draft)).request
    basis = (await reads.legal_bases_by_ids(c.db, [req.legal_basis_id]))[req.legal_basis_id]
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


# --- visibility -----------------------------------------------------------------------------


async def test_an_agency_never_sees_another_agencys_request(container: Container) -> None:
    c = container
    a, b = _agent(await _agency(c, "DE")), _agent(await _agency(c, "FR"))
    mine = [(await _submit(c, a)).request for _ in range(2)]
    theirs = [(await _submit(c, b, _product_draft())).request for _ in range(3)]
    ids = [r.id for r in mine + theirs]

    assert set(await reads.requests_by_ids(c.db, a, ids)) == {r.id for r in mine}
    assert set(await reads.requests_by_ids(c.db, b, ids)) == {r.id for r in theirs}
    assert await reads.requests_by_ids(c.db, a, [theirs[0].id]) == {}

    page = await reads.page_requests(c.db, a, EVERYTHING, 50, None)
    assert {r.id for r in page.rows} == {r.id for r in mine} and not page.has_next
    assert await reads.count_requests(c.db, a, EVERYTHING) == 2
    assert await reads.count_requests(c.db, b, EVERYTHING) == 3
    # filters cannot widen the view
    assert await reads.count_requests(c.db, a, RequestFilter(countries=("FR",))) == 0
    assert (
        await reads.page_requests(c.db, a, RequestFilter(countries=("FR",)), 50, None)
    ).rows == []
    # a cursor taken from another agency's request does not reveal anything either
    page = await reads.page_requests(c.db, a, EVERYTHING, 50, encode_cursor(theirs[-1]))
    assert {r.id for r in page.rows} <= {r.id for r in mine}

    targets = await reads.targets_of(c.db, ids)
    items = await reads.items_of(c.db, ids)
    all_targets = [t.id for ts in targets.values() for t in ts]
    all_items = [i.id for its in items.values() for i in its]
    mine_ids = {r.id for r in mine}
    seen_targets = await reads.children_by_ids(c.db, a, Target, all_targets)
    seen_items = await reads.children_by_ids(c.db, a, RequestedItem, all_items)
    assert set(seen_targets) == {t.id for r in mine for t in targets[r.id]}
    assert set(seen_items) == {i.id for r in mine for i in items[r.id]}
    assert {row.request_id for row in [*seen_targets.values(), *seen_items.values()]} == mine_ids
    assert await reads.children_by_ids(c.db, a, Target, [targets[theirs[0].id][0].id]) == {}
    # an item id asked for as a target (or the other way round) is nothing
    assert await reads.children_by_ids(c.db, a, Target, [items[mine[0].id][0].id]) == {}


@pytest.mark.parametrize("scope", ["review", "audit", "admin"])
async def test_staff_who_may_read_requests_see_every_agency(
    container: Container, scope: str
) -> None:
    c = container
    a, b = _agent(await _agency(c, "DE")), _agent(await _agency(c, "FR"))
    reqs = [(await _submit(c, a)).request, (await _submit(c, b, _product_draft())).request]
    ids = [r.id for r in reqs]
    staff = Principal(PrincipalKind.STAFF, client_id="s", scopes=frozenset({scope}))

    assert set(await reads.requests_by_ids(c.db, staff, ids)) == set(ids)
    page = await reads.page_requests(c.db, staff, EVERYTHING, 10, None)
    assert {r.id for r in page.rows} == set(ids)
    assert await reads.count_requests(c.db, staff, EVERYTHING) == 2
    targets = await reads.targets_of(c.db, ids)
    target_ids = [t.id for ts in targets.values() for t in ts]
    assert set(await reads.children_by_ids(c.db, staff, Target, target_ids)) == set(target_ids)
    items = await reads.items_of(c.db, ids)
    item_ids = [i.id for its in items.values() for i in its]
    assert set(await reads.children_by_ids(c.db, staff, RequestedItem, item_ids)) == set(item_ids)


def _every_read(c: Container, who: Principal, rid: uuid.UUID) -> list[Any]:
    return [
        lambda: reads.requests_by_ids(c.db, who, [rid]),
        lambda: reads.page_requests(c.db, who, EVERYTHING, 10, None),
        lambda: reads.count_requests(c.db, who, EVERYTHING),
        lambda: reads.children_by_ids(c.db, who, Target, [uuid.uuid4()]),
        lambda: reads.children_by_ids(c.db, who, RequestedItem, []),
    ]


@pytest.mark.parametrize(
    ("who", "error"),
    [
        (REPORTS_ONLY, AccessDenied),
        (Principal(PrincipalKind.STAFF, scopes=frozenset({"notices"})), AccessDenied),
        (Principal(PrincipalKind.STAFF, scopes=frozenset()), AccessDenied),
        # an agency client without requests:read reads nothing, not even its own requests
        (
            Principal(
                PrincipalKind.AGENCY,
                agency_id=uuid.uuid4(),
                agency_verified=True,
                scopes=frozenset({"requests:submit"}),
            ),
            AccessDenied,
        ),
        (Principal(PrincipalKind.AGENCY, agency_id=None, scopes=AGENCY_SCOPES), AccessDenied),
        (ANONYMOUS, NotAuthenticated),
    ],
    ids=[
        "staff-reports",
        "staff-notices",
        "staff-no-scope",
        "agency-no-read",
        "agency-without-agency",
        "anonymous",
    ],
)
async def test_principals_who_may_not_read_requests_are_refused(
    container: Container, who: Principal, error: type[Exception]
) -> None:
    c = container
    req = (await _submit(c, _agent(await _agency(c)))).request
    for call in _every_read(c, who, req.id):
        with pytest.raises(error):
            await call()


async def test_agencies_by_ids_shows_an_agency_only_itself(container: Container) -> None:
    c = container
    a, b = await _agency(c, "DE"), await _agency(c, "FR")
    assert set(await reads.agencies_by_ids(c.db, _agent(a), [a, b])) == {a}
    assert set(await reads.agencies_by_ids(c.db, STAFF, [a, b])) == {a, b}
    assert await reads.agencies_by_ids(c.db, _agent(a), [b]) == {}
    with pytest.raises(NotAuthenticated):
        await reads.agencies_by_ids(c.db, ANONYMOUS, [a])


async def test_subjects_of_targets_are_for_staff_only(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    req = (await _submit(c, who)).request
    targets = (await reads.targets_of(c.db, [req.id]))[req.id]
    with pytest.raises(AccessDenied):
        await reads.subjects_of_targets(c.db, who, targets)
    with pytest.raises(AccessDenied):
        await reads.subjects_of_targets(c.db, REPORTS_ONLY, targets)
    with pytest.raises(NotAuthenticated):
        await reads.subjects_of_targets(c.db, ANONYMOUS, targets)
    found = await reads.subjects_of_targets(c.db, STAFF, targets)
    assert set(found) <= {t.id for t in targets}
    assert all(v is None for v in found.values())  # the company holds none of these


# --- paging and filters ---------------------------------------------------------------------


async def _many(c: Container, clock: FixedClock) -> tuple[Principal, Principal, list[Request]]:
    """25 requests of two agencies: distinct instants (some a microsecond apart) and
    groups that share one instant."""
    de, us = _agent(await _agency(c, "DE")), _agent(await _agency(c, "US"))
    made: list[Request] = []
    for i in range(10):  # distinct
        clock.advance(timedelta(minutes=7, microseconds=1 + i))
        made.append((await _submit(c, de if i % 3 else us)).request)
    clock.advance(timedelta(hours=1))
    for i in range(6):  # six at one instant
        made.append((await _submit(c, us if i % 2 else de, _product_draft())).request)
    clock.advance(timedelta(microseconds=1))
    for _ in range(4):  # four more, a microsecond later
        made.append((await _submit(c, de)).request)
    for i in range(5):  # distinct again, across a day boundary
        clock.advance(timedelta(hours=5))
        emergency = {"emergency": True, "emergency_description": "Imminent danger."}
        made.append((await _submit(c, de, _draft(**(emergency if i < 2 else {})))).request)
    assert len({r.received_at for r in made}) == 10 + 1 + 1 + 5
    return de, us, made


@pytest.mark.parametrize("first", [1, 4, 5, 7, 24, 25, 26, 100])
async def test_keyset_paging_returns_everything_once_newest_first(
    container: Container, clock: FixedClock, first: int
) -> None:
    c = container
    de, _us, made = await _many(c, clock)
    expected = _newest_first(made)

    seen, flags = await _all_pages(c, STAFF, EVERYTHING, first)
    assert seen == expected
    assert len(set(seen)) == 25
    pages = -(-25 // first)
    assert flags == [True] * (pages - 1) + [False]

    mine = [r for r in made if r.agency_id == de.agency_id]
    seen, _ = await _all_pages(c, de, EVERYTHING, first)
    assert seen == _newest_first(mine)


async def test_paging_after_the_last_row_is_empty(container: Container, clock: FixedClock) -> None:
    c = container
    _de, _us, made = await _many(c, clock)
    oldest = min(made, key=lambda r: (r.received_at, r.id))
    page = await reads.page_requests(c.db, STAFF, EVERYTHING, 10, encode_cursor(oldest))
    assert page.rows == [] and page.has_next is False


async def test_paging_is_stable_while_new_requests_arrive(
    container: Container, clock: FixedClock
) -> None:
    c = container
    de, _us, made = await _many(c, clock)
    page = await reads.page_requests(c.db, STAFF, EVERYTHING, 10, None)
    clock.advance(timedelta(minutes=1))
    await _submit(c, de)  # newer than everything: must not shift the next page
    rest: list[uuid.UUID] = []
    after = encode_cursor(page.rows[-1])
    while True:
        nxt = await reads.page_requests(c.db, STAFF, EVERYTHING, 10, after)
        rest += [r.id for r in nxt.rows]
        if not nxt.has_next:
            break
        after = encode_cursor(nxt.rows[-1])
    assert [r.id for r in page.rows] + rest == _newest_first(made)


async def test_filters_narrow_pages_and_counts(container: Container, clock: FixedClock) -> None:
    c = container
    de, us, made = await _many(c, clock)
    # move three requests on in the lifecycle, directly in the table
    moved = {made[0].id: "in_review", made[11].id: "in_review", made[20].id: "rejected"}
    async with c.db.transaction() as session:
        for rid, status in moved.items():
            await session.execute(update(Request).where(Request.id == rid).values(status=status))
    rows = list((await reads.requests_by_ids(c.db, STAFF, [r.id for r in made])).values())
    assert len(rows) == 25
    times = sorted({r.received_at for r in rows})

    cases: list[tuple[RequestFilter, Any]] = [
        (RequestFilter(statuses=("in_review",)), lambda r: r.status == "in_review"),
        (
            RequestFilter(statuses=("in_review", "rejected")),
            lambda r: r.status in ("in_review", "rejected"),
        ),
        (RequestFilter(statuses=("received",)), lambda r: r.status == "received"),
        (RequestFilter(statuses=("closed",)), lambda r: False),
        (RequestFilter(categories=("product",)), lambda r: r.category == "product"),
        (
            RequestFilter(categories=("emergency", "account")),
            lambda r: r.category in ("emergency", "account"),
        ),
        (RequestFilter(countries=("US",)), lambda r: r.country == "US"),
        (RequestFilter(countries=("DE", "US")), lambda r: True),
        (RequestFilter(countries=("FR",)), lambda r: False),
        (RequestFilter(emergency=True), lambda r: r.emergency),
        (RequestFilter(emergency=False), lambda r: not r.emergency),
        (RequestFilter(received_from=times[10]), lambda r: r.received_at >= times[10]),
        (RequestFilter(received_to=times[10]), lambda r: r.received_at < times[10]),
        (
            RequestFilter(received_from=times[3], received_to=times[11]),
            lambda r: times[3] <= r.received_at < times[11],
        ),
        # bounds given in another offset mean the same instants
        (
            RequestFilter(received_from=times[10].astimezone(timezone(timedelta(hours=-5)))),
            lambda r: r.received_at >= times[10],
        ),
        (
            RequestFilter(
                countries=("DE",), categories=("account",), emergency=False, statuses=("received",)
            ),
            lambda r: (
                (r.country, r.category, r.emergency, r.status)
                == ("DE", "account", False, "received")
            ),
        ),
    ]
    for where, keep in cases:
        expected = _newest_first([r for r in rows if keep(r)])
        seen, _ = await _all_pages(c, STAFF, where, 3)
        assert seen == expected, where
        assert await reads.count_requests(c.db, STAFF, where) == len(expected), where
        mine = _newest_first([r for r in rows if keep(r) and r.agency_id == us.agency_id])
        assert (await _all_pages(c, us, where, 4))[0] == mine, where
        assert await reads.count_requests(c.db, us, where) == len(mine), where
    # the cases above really narrow: none of the non-trivial ones returns everything
    assert await reads.count_requests(c.db, STAFF, RequestFilter(emergency=True)) == 2
    assert await reads.count_requests(c.db, STAFF, RequestFilter(categories=("product",))) == 6
    assert (
        await reads.count_requests(c.db, de, EVERYTHING)
        + await reads.count_requests(c.db, us, EVERYTHING)
        == 25
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!not base64!!!",
        "",
        _b64(b"[]"),
        _b64(b'{"a": 1}'),
        _b64(b"[1, 2]"),
        _b64(b"null"),
        _b64(b'["2026-11-30T09:00:00+00:00", "not-a-uuid"]'),
        _b64(b'["yesterday", "12345678-1234-5678-1234-567812345678"]'),
        # a naive timestamp: not one this service gave out
        _b64(b'["2026-11-30T09:00:00", "12345678-1234-5678-1234-567812345678"]'),
        _b64(b'["2026-11-30T09:00:00+00:00", "12345678-1234-5678-1234-567812345678", 3]'),
        _b64(b"\xff\xfe\x00not utf-8"),
    ],
)
async def test_a_garbage_cursor_is_refused(
    container: Container, clock: FixedClock, cursor: str
) -> None:
    c = container
    await _submit(c, _agent(await _agency(c)))
    if cursor == "":
        # an empty cursor is the same as none
        page = await reads.page_requests(c.db, STAFF, EVERYTHING, 5, cursor)
        assert len(page.rows) == 1
        return
    with pytest.raises(BadCursor):
        await reads.page_requests(c.db, STAFF, EVERYTHING, 5, cursor)


# --- timestamps -----------------------------------------------------------------------------


def _is_utc(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is not None and value.utcoffset() == timedelta(0)


async def test_timestamps_come_back_aware_utc(container: Container, clock: FixedClock) -> None:
    c = container
    agency = await _agency(c)
    who = _agent(agency)
    # a clock in another offset, with microseconds: stored as the same instant, read as UTC
    clock.set(
        datetime(2026, 12, 1, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    )
    req = (await _submit(c, who)).request
    found = (await reads.requests_by_ids(c.db, who, [req.id]))[req.id]
    for value in (found.received_at, found.updated_at, found.deadline):
        assert _is_utc(value), value
    assert found.received_at == datetime(2026, 11, 30, 20, 0, 15, 123456, tzinfo=UTC)
    assert found.received_at.tzinfo is not None
    assert found.received_at.isoformat() == "2026-11-30T20:00:15.123456+00:00"
    assert found.deadline == found.received_at + timedelta(days=30)

    basis = (await reads.legal_bases_by_ids(c.db, [found.legal_basis_id]))[found.legal_basis_id]
    assert _is_utc(basis.created_at)
    page = await reads.page_requests(c.db, STAFF, EVERYTHING, 5, None)
    assert all(_is_utc(r.received_at) for r in page.rows)
    async with c.db.reader() as session:
        row = await session.get(Agency, agency)
        assert row is not None
        assert _is_utc(row.created_at) and _is_utc(row.verified_at)
        # the raw column, outside the ORM
        raw = await session.scalar(select(Request.received_at).where(Request.id == req.id))
    assert _is_utc(raw) and raw == found.received_at


async def test_a_naive_timestamp_is_never_written(container: Container, clock: FixedClock) -> None:
    c = container
    req = (await _submit(c, _agent(await _agency(c)))).request
    with pytest.raises(Exception, match="naive datetime"):
        async with c.db.transaction() as session:
            await session.execute(
                update(Request)
                .where(Request.id == req.id)
                .values(updated_at=datetime(2026, 12, 1, 9, 0))
            )
    found = (await reads.requests_by_ids(c.db, STAFF, [req.id]))[req.id]
    assert found.updated_at == clock.now()


# --- idempotency ----------------------------------------------------------------------------


async def test_a_retry_with_the_same_key_returns_the_first_result(
    container: Container, clock: FixedClock
) -> None:
    c = container
    who = _agent(await _agency(c))
    draft = _draft(idempotency_key="3f1c-retry")
    first = await _submit(c, who, draft)
    received = first.request.received_at
    clock.advance(timedelta(minutes=3))  # the retry comes later
    second = await _submit(c, who, draft)

    assert first.replayed is False and second.replayed is True
    assert second.request.id == first.request.id
    assert second.request.received_at == received
    assert await _counts(c) == {
        "requests": 1,
        "legal_bases": 1,
        "request_targets": 3,
        "requested_items": 5,
    }
    stored = (await reads.requests_by_ids(c.db, who, [first.request.id]))[first.request.id]
    assert stored.idempotency_key == "3f1c-retry"
    # the same payload written differently (normalised to the same thing) is the same request
    third = await _submit(c, who, replace(draft, jurisdiction="DE "))
    assert third.replayed is True and third.request.id == first.request.id


@pytest.mark.parametrize(
    "changes",
    [
        {"reason": "Something else entirely."},
        {"jurisdiction": "FR"},
        {"emergency": True, "emergency_description": "now urgent"},
        {"legal_basis": replace(_draft().legal_basis, document=DOCUMENT + b"!")},
        {"targets": _draft().targets[:2]},
    ],
    ids=["reason", "jurisdiction", "emergency", "document", "targets"],
)
async def test_the_same_key_with_another_payload_is_a_conflict(
    container: Container, changes: dict[str, Any]
) -> None:
    c = container
    who = _agent(await _agency(c))
    first = await _submit(c, who, _draft(idempotency_key="key-1"))
    with pytest.raises(DomainError) as caught:
        await _submit(c, who, _draft(idempotency_key="key-1", **changes))
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("idempotencyKey", ErrorCode.CONFLICT)
    ]
    assert await _count(c, Request) == 1
    assert await _count(c, LegalBasis) == 1
    assert set(await reads.requests_by_ids(c.db, who, [first.request.id])) == {first.request.id}


async def test_keys_belong_to_one_agency_and_no_key_means_no_dedup(container: Container) -> None:
    c = container
    a, b = _agent(await _agency(c, "DE")), _agent(await _agency(c, "AT"))
    draft = _draft(idempotency_key="shared-key")
    ra, rb = await _submit(c, a, draft), await _submit(c, b, draft)
    assert not ra.replayed and not rb.replayed and ra.request.id != rb.request.id
    # without a key, two identical submissions are two requests
    x, y = await _submit(c, a), await _submit(c, a)
    assert not x.replayed and not y.replayed and x.request.id != y.request.id
    assert await _count(c, Request) == 4


async def test_concurrent_retries_with_one_key_create_one_request(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    draft = _draft(idempotency_key="burst-1")

    results = await asyncio.gather(
        *(_submit(c, who, draft) for _ in range(20)), return_exceptions=True
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], [repr(e) for e in errors]
    done = [r for r in results if isinstance(r, Submitted)]
    assert len({r.request.id for r in done}) == 1
    assert sum(not r.replayed for r in done) == 1
    assert await _counts(c) == {
        "requests": 1,
        "legal_bases": 1,
        "request_targets": 3,
        "requested_items": 5,
    }


async def test_concurrent_submissions_without_a_key_are_all_stored(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    results = await asyncio.gather(
        *(_submit(c, who, _draft(idempotency_key=f"k{i}")) for i in range(12)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], [repr(e) for e in errors]
    assert len({r.request.id for r in results if isinstance(r, Submitted)}) == 12
    assert await _count(c, Request) == 12
    assert await _count(c, RequestedItem) == 12 * 5


async def test_concurrent_submissions_with_one_key_and_two_payloads(container: Container) -> None:
    """Whoever wins the race, the key ends up naming one request; the other payload is a
    conflict every time, and never a second row or a database error."""
    c = container
    who = _agent(await _agency(c))
    one = _draft(idempotency_key="race-2")
    other = _draft(idempotency_key="race-2", reason="A different reason.")
    drafts = [one, other] * 8

    results = await asyncio.gather(*(_submit(c, who, d) for d in drafts), return_exceptions=True)

    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)
    ]
    assert unexpected == [], [repr(e) for e in unexpected]
    stored = [r for r in results if isinstance(r, Submitted)]
    assert len({r.request.id for r in stored}) == 1
    assert sum(not r.replayed for r in stored) == 1
    winning = one if stored[0].request.reason == one.reason.strip() else other
    for d, r in zip(drafts, results, strict=True):
        if d is winning:
            assert isinstance(r, Submitted) and r.request.id == stored[0].request.id
        else:
            assert isinstance(r, DomainError), r
            assert [p.code for p in r.problems] == [ErrorCode.CONFLICT]
    assert len(stored) == 8
    assert await _counts(c) == {
        "requests": 1,
        "legal_bases": 1,
        "request_targets": 3,
        "requested_items": 5,
    }


async def test_text_and_large_documents_round_trip_exactly(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    document = bytes(range(256)) * (3 * 1024 * 4)  # 3 MiB, every byte value
    draft = _draft(
        officer=Officer(
            name="Kommissarin Ö. Weiß-Łukasiewicz 🚓",
            email="w@polizei.example",
            title="Kriminalhauptkommissarin",
        ),
        reason="Ermittlungen wegen Einbruchs; 证人; ¿testigo? \u2014 \"quoted\" 'single' \\ %",
        legal_basis=replace(
            _draft().legal_basis, issued_by="Amtsgericht München", document=document
        ),
        targets=(TargetDraft(IdentifierType.USERNAME, "jürgen.müller", (InfoType.A,)),),
    )
    req = (await _submit(c, who, draft)).request
    found = (await reads.requests_by_ids(c.db, who, [req.id]))[req.id]
    assert found.officer_name == draft.officer.name
    assert found.reason == draft.reason
    targets = (await reads.targets_of(c.db, [req.id]))[req.id]
    assert [t.identifier for t in targets] == ["jürgen.müller"]
    basis = (await reads.legal_bases_by_ids(c.db, [req.legal_basis_id]))[req.legal_basis_id]
    assert basis.issued_by == "Amtsgericht München"
    assert basis.document_size == len(document)
    assert basis.document_sha256 == hashlib.sha256(document).hexdigest()
    async with c.db.reader() as session:
        stored = await session.scalar(
            select(LegalBasis.document).where(LegalBasis.id == req.legal_basis_id)
        )
    assert stored == document


# --- migrations -----------------------------------------------------------------------------


async def test_migrations_match_the_models(container: Container) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with container.db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_database_is_at_the_head_revision(container: Container) -> None:
    head = migrate.head_revision()
    assert head is not None
    assert await migrate.current_revision(container.db.engine) == head
    # upgrading again is a no-op
    await migrate.upgrade(container.db.engine, container.db.url, container.settings.database_schema)
    assert await migrate.current_revision(container.db.engine) == head


async def test_the_migration_check_would_see_a_difference(container: Container) -> None:
    """The comparison above is not vacuous: a model the database lacks is reported."""
    from sqlalchemy import Column, Integer, MetaData, Table

    extra = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(extra)
    Table("not_migrated", extra, Column("id", Integer, primary_key=True))

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, extra))

    async with container.db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert [d[0] for d in differences] == ["add_table"]
    assert differences[0][1].name == "not_migrated"


def test_the_counting_keys_migration_fills_the_rows_already_there(tmp_path: Any) -> None:
    """Requests stored before the report compared keys get them on upgrade (0010)."""
    import sqlite3

    from alembic import command

    path = tmp_path / "old.db"
    cfg = migrate.alembic_config(f"sqlite:///{path}")
    command.upgrade(cfg, "0009")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO legal_bases (id, kind, reference, issued_by, issued_at, created_at) "
            "VALUES (?, 'warrant', ?, 'AG', '2026-01-01', '2026-01-01 00:00:00')",
            (uuid.uuid4().hex, "  Straße  4/26 "),
        )
        db.execute(
            "INSERT INTO request_targets (id, request_id, position, identifier_type, identifier) "
            "VALUES (?, ?, 0, 'username', 'JÜRGEN')",
            (uuid.uuid4().hex, uuid.uuid4().hex),
        )
    command.upgrade(cfg, "head")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT reference_key FROM legal_bases").fetchall() == [("strasse 4/26",)]
        assert db.execute("SELECT identifier_key FROM request_targets").fetchall() == [("jürgen",)]


# --- text lengths: the database never has the last word -------------------------------------

_LONG_PHONE = "+49 (0) 30 - 4664 - 0000 ext. 12345"  # a valid number, 35 characters as written


@pytest.mark.parametrize(
    ("changes", "field", "read"),
    [
        (
            {"officer": Officer(name="N" * 300, email="a@police.example")},
            "officer.name",
            lambda r, b: r.officer_name,
        ),
        (
            {"officer": Officer(name="N", email="a@police.example", title="T" * 300)},
            "officer.title",
            lambda r, b: r.officer_title,
        ),
        (
            {"officer": Officer(name="N", email="a@police.example", phone=_LONG_PHONE)},
            "officer.phone",
            lambda r, b: r.officer_phone,
        ),
        (
            {"legal_basis": replace(_draft().legal_basis, reference="R" * 250)},
            "legalBasis.reference",
            lambda r, b: b.reference,
        ),
        (
            {"legal_basis": replace(_draft().legal_basis, issued_by="I" * 400)},
            "legalBasis.issuedBy",
            lambda r, b: b.issued_by,
        ),
    ],
    ids=["officer-name", "officer-title", "officer-phone", "reference", "issued-by"],
)
async def test_a_long_text_is_stored_whole_or_refused_by_field(
    container: Container, changes: dict[str, Any], field: str, read: Any
) -> None:
    """Validation accepts these (up to 4000 characters, or any valid phone as written); the
    columns are shorter. The answer must be the same on both backends: the text is kept whole,
    or the submission is refused naming the field. Never a database error, never truncation."""
    c = container
    who = _agent(await _agency(c))
    draft = _draft(**changes)
    try:
        result = await _submit(c, who, draft)
    except DomainError as refused:
        assert field in [p.field for p in refused.problems]
        assert await _count(c, Request) == 0
        return
    req = (await reads.requests_by_ids(c.db, who, [result.request.id]))[result.request.id]
    basis = (await reads.legal_bases_by_ids(c.db, [req.legal_basis_id]))[req.legal_basis_id]
    sent = {
        "officer.name": draft.officer.name,
        "officer.title": draft.officer.title,
        "officer.phone": draft.officer.phone,
        "legalBasis.reference": draft.legal_basis.reference,
        "legalBasis.issuedBy": draft.legal_basis.issued_by,
    }[field]
    assert read(req, basis) == sent.strip()


async def test_a_long_agency_name_is_stored_whole_or_refused(container: Container) -> None:
    c = container
    name = "Staatsanwaltschaft " * 15  # 285 characters
    try:
        row = await create_agency(c.db, c.clock, name=name, kind=AgencyKind.JUDICIAL, country="DE")
    except DomainError as refused:
        assert [p.field for p in refused.problems] == ["name"]
        assert await _count(c, Agency) == 0
        return
    async with c.db.reader() as session:
        stored = await session.get(Agency, row.id)
    assert stored is not None and stored.name == name.strip()


async def test_a_long_officer_name_through_the_api_is_a_user_error_or_kept(world: World) -> None:
    """What the agency sees of the case above: a userError on the field, or its text kept."""
    agency = await world.agency_actor("DE")
    officer = {"name": "N" * 300, "title": "KHK", "email": "k@police.example", "phone": ""}
    response = await agency.gql(SUBMIT, {"input": submission(officer=officer)})
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    payload = body["data"]["submitRequest"]
    if payload["request"] is None:
        assert "officer.name" in [e["field"] for e in payload["userErrors"]], payload
    else:
        assert payload["userErrors"] == []
