"""Shared by the storage tests: principals, drafts, agencies and submissions made through the
services, and counts read straight from the database.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import OPERATOR
from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    Agency,
    Base,
    LegalBasis,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.domain.enums import (
    AgencyKind,
    IdentifierType,
    InfoType,
    LegalBasisKind,
    VerificationState,
)
from trustcenter.domain.submission import LegalBasisDraft, Officer, SubmissionDraft, TargetDraft
from trustcenter.services import reads
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.reads import RequestFilter, encode_cursor
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
        c,
        OPERATOR,
        name=f"Agency {country} {uuid.uuid4().hex[:6]}",
        kind=AgencyKind.LAW_ENFORCEMENT,
        country=country,
    )
    if state is not VerificationState.PENDING:
        await set_verification(c, OPERATOR, row.id, state)
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
    return await submit_request(c, who, draft)


async def _count(c: Container, model: type[Base]) -> int:
    async with c.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _stored(c: Container, model: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, Any]:
    """The rows as stored, by id (``services.reads`` gives views: what a reader is shown)."""
    async with c.db.reader() as session:
        rows = (await session.scalars(select(model).where(model.id.in_(ids)))).all()
    return {row.id: row for row in rows}


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
        page = await reads.page_requests(c, who, where, first, after)
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
