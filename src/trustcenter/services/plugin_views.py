"""Requests as plugins see them (``trustcenter.plugins.api.RequestView``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from trustcenter.db.models import Request, RequestedItem, Target
from trustcenter.db.repositories.webhook_endpoints import AgencyFacts
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.rules import category_code
from trustcenter.domain.submission import SubmissionDraft
from trustcenter.plugins.api import ItemView, LegalBasisView, RequestView


def view_of_draft(
    draft: SubmissionDraft,
    agency: AgencyFacts,
    received_at: datetime,
    category: str | None,
    request_id: uuid.UUID | None = None,
) -> RequestView:
    basis = draft.legal_basis
    return RequestView(
        id=request_id,
        jurisdiction=draft.jurisdiction,
        category=category,
        emergency=draft.emergency,
        received_at=received_at,
        agency_kind=agency.kind,
        agency_country=agency.country,
        legal_basis=LegalBasisView(
            kind=str(basis.kind),
            reference=basis.reference,
            issued_by=basis.issued_by,
            issuer_role=basis.issuer_role.value if basis.issuer_role else None,
            issued_at=basis.issued_at,
            expires_at=basis.expires_at,
            non_disclosure_until=basis.non_disclosure_until,
        ),
        items=tuple(
            ItemView(t.identifier_type.value, t.identifier, i.value, t.range_from, t.range_to)
            for t in draft.targets
            for i in t.info_types
        ),
    )


async def target_items(
    uow: UnitOfWork, request_id: uuid.UUID
) -> list[tuple[Target, RequestedItem]]:
    """A request's targets, each with its requested items, in the order plugins see them."""
    return await uow.requests.target_items(request_id)


async def view_of_request(
    uow: UnitOfWork,
    row: Request,
    pairs: Sequence[tuple[Target, RequestedItem]] | None = None,
) -> RequestView:
    """The stored request as plugins see it; with ``pairs`` (from :func:`target_items`) only
    those items are shown, else every item of the request."""
    agency = await uow.agencies.get(row.agency_id)
    basis = await uow.requests.legal_basis(row.legal_basis_id)
    assert agency is not None and basis is not None
    if pairs is None:
        pairs = await target_items(uow, row.id)
    items = tuple(
        ItemView(t.identifier_type, t.identifier, i.info_type, i.range_from, i.range_to)
        for t, i in pairs
    )
    return stored_request_view(row, agency, basis, items)


def stored_request_view(
    row: Any, agency: Any, basis: Any, items: tuple[ItemView, ...]
) -> RequestView:
    """A stored request (an ORM row or a Core row of ``requests``) as plugins see it, with its
    agency, legal basis and the items shown."""
    return RequestView(
        id=row.id,
        jurisdiction=row.jurisdiction,
        category=category_code(row.category),
        emergency=row.emergency,
        received_at=row.received_at,
        agency_kind=agency.kind,
        agency_country=agency.country,
        legal_basis=LegalBasisView(
            kind=basis.kind,
            reference=basis.reference,
            issued_by=basis.issued_by,
            issuer_role=basis.issuer_role,
            issued_at=basis.issued_at,
            expires_at=basis.expires_at,
            non_disclosure_until=basis.non_disclosure_until,
        ),
        items=items,
    )
