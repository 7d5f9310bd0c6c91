"""Reading and writing requests with their legal basis, targets and items.

The reads return Core rows (attribute access by column name, no ORM identity map): readers turn
them into views. The list's statements are made in ``request_pages``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Row, Select, Table, func, insert, select, update

from trustcenter.db.models import Finding, LegalBasis, ReportFact, Request, RequestedItem, Target
from trustcenter.db.report_facts import new_facts, pending, unmerged
from trustcenter.db.repositories import Repository
from trustcenter.db.repositories.request_pages import filtered, page_statement, visible
from trustcenter.db.write_batch import queue_rows
from trustcenter.domain.queries import After, Order, RequestFilter
from trustcenter.domain.report import counting_key
from trustcenter.domain.rules import stored_category

if TYPE_CHECKING:  # a type only: the submission's checks (phone, e-mail) load with the services
    from trustcenter.domain.new_request import NewRequest

#: every column of a request, target and item; a legal basis without its inline document
_REQUEST = Request.__table__
_TARGET = Target.__table__
_ITEM = RequestedItem.__table__
_BASIS_COLUMNS = [c for c in LegalBasis.__table__.c if c.key != "document"]


def _of_agency(
    stmt: Select[Any], child: type[Target] | type[RequestedItem], agency_id: uuid.UUID | None
) -> Select[Any]:
    """Only the rows of that agency's requests (``None``: every agency's)."""
    if agency_id is None:
        return stmt
    return stmt.join(Request, Request.id == child.request_id).where(Request.agency_id == agency_id)


# --- new requests ---------------------------------------------------------------------------

_Rows = tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]], list[dict[str, Any]]]


def _rows(new: NewRequest) -> _Rows:
    """The rows of a new request (``domain.new_request``): its legal basis, itself, its targets
    and their items; the one place the value becomes rows."""
    basis = new.legal_basis
    request = {
        "id": new.id,
        "agency_id": new.agency_id,
        "client_id": new.client_id,
        "legal_basis_id": basis.id,
        "revision_of_id": new.revision_of_id,
        "jurisdiction": new.jurisdiction,
        "country": new.country,
        "category": stored_category(new.category),
        "status": new.status.value,
        "emergency": new.emergency,
        "emergency_description": new.emergency_description,
        "reason": new.reason,
        "officer_name": new.officer.name,
        "officer_title": new.officer.title,
        "officer_email": new.officer.email,
        "officer_phone": new.officer.phone,
        "received_at": new.received_at,
        "deadline": new.deadline,
        "updated_at": new.recorded_at,
        "version": 1,
        "idempotency_key": new.idempotency_key,
        "hold_until": new.hold_until,
        "hold_extensions": 0,
        "payload_sha256": new.payload_sha256,
        "report_outcome": new.report_outcome.value,
        "responded_at": new.responded_at,
        "external_id": new.external_id,
    }
    basis_row = {
        "id": basis.id,
        "kind": basis.kind,
        "reference": basis.reference,
        "reference_key": counting_key(basis.reference),
        "issued_by": basis.issued_by,
        "issuer_role": basis.issuer_role,
        "issued_at": basis.issued_at,
        "expires_at": basis.expires_at,
        "non_disclosure_until": basis.non_disclosure_until,
        "document": basis.document,
        "document_sha256": basis.document_sha256,
        "document_size": basis.document_size,
        "created_at": new.recorded_at,
    }
    targets = [
        {
            "id": t.id,
            "request_id": new.id,
            "position": t.position,
            "identifier_type": t.identifier_type.value,
            "identifier": t.identifier,
            "identifier_key": counting_key(t.identifier),
        }
        for t in new.targets
    ]
    items = [
        {
            "id": i.id,
            "request_id": new.id,
            "target_id": t.id,
            "info_type": i.info_type.value,
            "range_from": i.range_from,
            "range_to": i.range_to,
            "outcome": i.decided.outcome.value if i.decided else None,
            "reason_code": i.decided.reason_code if i.decided else None,
            "explanation": i.decided.explanation if i.decided else None,
            "approved_from": None,
            "approved_to": None,
            "approved_fields": None,
            "decided_at": i.decided.decided_at if i.decided else None,
            "decided_by": i.decided.decided_by if i.decided else None,
        }
        for t in new.targets
        for i in t.items
    ]
    return basis_row, request, targets, items


_BASES, _REQUESTS, _TARGETS, _ITEMS, _FINDINGS, _FACTS = (
    cast(Table, t.__table__)
    for t in (LegalBasis, Request, Target, RequestedItem, Finding, ReportFact)
)


class RequestRepository(Repository):
    """Requests with their legal basis, targets and items."""

    async def page(
        self,
        *,
        agency_id: uuid.UUID | None,
        where: RequestFilter,
        first: int,
        after: After | None,
        order: Order = Order.NEWEST,
    ) -> tuple[list[Row[Any]], bool]:
        """Keyset-paged in SQL; returns the rows and whether more follow. ``after`` must be a
        position of ``order`` (the reader checks that when it reads the cursor). Core rows
        from the unit's connection: a read needs none of the ORM's result handling."""
        stmt, values = page_statement(agency_id, where, first, after, order)
        connection = await self._session.connection()
        rows = list((await connection.execute(stmt, values)).all())
        return rows[:first], len(rows) > first

    async def count(self, *, agency_id: uuid.UUID | None, where: RequestFilter) -> int:
        stmt = filtered(visible(select(Request.id), agency_id), where)
        total = await self._session.scalar(select(func.count()).select_from(stmt.subquery()))
        return int(total or 0)

    async def by_ids(
        self, ids: Sequence[uuid.UUID], agency_id: uuid.UUID | None
    ) -> dict[uuid.UUID, Row[Any]]:
        if not ids:
            return {}
        stmt = visible(select(_REQUEST).where(Request.id.in_(ids)), agency_id)
        return {r.id: r for r in (await self._session.execute(stmt)).all()}

    async def by_idempotency_key(self, agency_id: uuid.UUID, key: str) -> Request | None:
        stmt = select(Request).where(Request.agency_id == agency_id, Request.idempotency_key == key)
        return (await self._session.scalars(stmt)).first()

    async def targets_for(
        self, request_ids: Sequence[uuid.UUID], agency_id: uuid.UUID | None = None
    ) -> dict[uuid.UUID, list[Row[Any]]]:
        """Each request's targets; with ``agency_id``, only where the request is that agency's."""
        out: dict[uuid.UUID, list[Row[Any]]] = {i: [] for i in request_ids}
        if request_ids:
            stmt = (
                select(_TARGET)
                .where(Target.request_id.in_(request_ids))
                .order_by(Target.request_id, Target.position)
            )
            for t in (await self._session.execute(_of_agency(stmt, Target, agency_id))).all():
                out[t.request_id].append(t)
        return out

    async def items_for(
        self, request_ids: Sequence[uuid.UUID], agency_id: uuid.UUID | None = None
    ) -> dict[uuid.UUID, list[Row[Any]]]:
        """Each request's items; with ``agency_id``, only where the request is that agency's."""
        out: dict[uuid.UUID, list[Row[Any]]] = {i: [] for i in request_ids}
        if request_ids:
            stmt = (
                select(_ITEM)
                .join(Target, Target.id == RequestedItem.target_id)
                .where(RequestedItem.request_id.in_(request_ids))
                .order_by(RequestedItem.request_id, Target.position, RequestedItem.info_type)
            )
            for item in (
                await self._session.execute(_of_agency(stmt, RequestedItem, agency_id))
            ).all():
                out[item.request_id].append(item)
        return out

    async def legal_bases(
        self, ids: Sequence[uuid.UUID], agency_id: uuid.UUID | None = None
    ) -> dict[uuid.UUID, Row[Any]]:
        """Legal bases by id; with ``agency_id``, only those of that agency's requests."""
        if not ids:
            return {}
        stmt = select(*_BASIS_COLUMNS).where(LegalBasis.id.in_(ids))
        if agency_id is not None:
            owned = select(Request.legal_basis_id).where(Request.agency_id == agency_id)
            stmt = stmt.where(LegalBasis.id.in_(owned))
        return {b.id: b for b in (await self._session.execute(stmt)).all()}

    async def children_by_ids(
        self,
        child: type[Target] | type[RequestedItem],
        ids: Sequence[uuid.UUID],
        agency_id: uuid.UUID | None,
    ) -> dict[uuid.UUID, Row[Any]]:
        """Targets or items by id, only where their request is visible."""
        if not ids:
            return {}
        stmt = (
            select(child.__table__)
            .join(Request, Request.id == child.request_id)
            .where(child.id.in_(ids))
        )
        return {
            row.id: row for row in (await self._session.execute(visible(stmt, agency_id))).all()
        }

    async def add_new(self, new: NewRequest) -> Request:
        """Store one new request: one INSERT per table however many targets and items, parents
        first, with its report facts (``db.write_batch``: the transaction's rows go in one
        statement). The row returned is not attached to the unit's session: nothing changes a
        request in the unit that stored it."""
        basis, request, targets, items = _rows(new)
        connection = await self._core()
        for table, rows in ((_BASES, [basis]), (_REQUESTS, [request]),
                            (_TARGETS, targets), (_ITEMS, items)):  # fmt: skip
            queue_rows(connection, table, rows)
        facts = new_facts(request, targets)
        if facts is not None:  # a request of its own, not answered: its facts computed here
            queue_rows(connection, _FACTS, [facts])
        else:  # due at commit, from the tables
            alone = unmerged(new.report_outcome.value, new.revision_of_id)
            pending(self._session, [new.id], alone=alone)
        return Request(**request)

    async def add_findings(
        self,
        request_id: uuid.UUID,
        found: Sequence[tuple[str, str, str, str, str]],
        now: datetime,
    ) -> None:
        """Store plugins' findings on a request just stored, each (plugin, severity, code,
        message, citation): one INSERT for all of them, none when there are none."""
        rows = [
            {"id": uuid.uuid4(), "request_id": request_id, "plugin": plugin,
             "severity": severity, "code": code, "message": message, "citation": citation,
             "created_at": now}
            for plugin, severity, code, message, citation in found
        ]  # fmt: skip
        queue_rows(await self._core(), _FINDINGS, rows)

    async def insert_new(self, news: Sequence[NewRequest]) -> None:
        """Store many new requests at once: one multi-row INSERT per table, without the ORM's
        per-row bookkeeping (the history import)."""
        rows = [_rows(new) for new in news]
        batches: tuple[tuple[Any, list[dict[str, Any]]], ...] = (
            (LegalBasis.__table__, [r[0] for r in rows]),
            (Request.__table__, [r[1] for r in rows]),
            (Target.__table__, [t for r in rows for t in r[2]]),
            (RequestedItem.__table__, [i for r in rows for i in r[3]]),
        )
        for table, batch in batches:
            if batch:  # a plain Core INSERT: executemany without the ORM's per-row bookkeeping
                await self._session.execute(insert(table), batch)
        pending(self._session, [new.id for new in news])  # their report facts, at commit

    async def get(self, request_id: uuid.UUID) -> Request | None:
        """The request by id, not locked (the unit's copy when it has read it already)."""
        return await self._session.get(Request, request_id)

    async def lock(self, request_id: uuid.UUID) -> Request | None:
        """The request, locked (``FOR UPDATE``) until the transaction ends."""
        stmt = select(Request).where(Request.id == request_id).with_for_update()
        return (await self._session.scalars(stmt)).first()

    async def lock_of_agency(
        self, request_id: uuid.UUID, agency_id: uuid.UUID | None
    ) -> Request | None:
        """The request, locked, only where it is that agency's (none for ``None``)."""
        stmt = (
            select(Request)
            .where(Request.id == request_id)
            .with_for_update()
            .where(Request.agency_id == agency_id)
        )
        return (await self._session.scalars(stmt)).first()

    async def legal_basis(self, legal_basis_id: uuid.UUID) -> LegalBasis | None:
        """A legal basis by id; from the unit's identity map when loaded."""
        return await self._session.get(LegalBasis, legal_basis_id)

    async def target_items(self, request_id: uuid.UUID) -> list[tuple[Target, RequestedItem]]:
        """A request's targets, each with each of its items, by position and info type."""
        rows = await self._session.execute(
            select(Target, RequestedItem)
            .join(RequestedItem, RequestedItem.target_id == Target.id)
            .where(Target.request_id == request_id)
            .order_by(Target.position, RequestedItem.info_type)
        )
        return [(t, i) for t, i in rows.all()]

    async def item_positions(self, request_id: uuid.UUID) -> list[tuple[uuid.UUID, str, int]]:
        """A request's items as (id, info_type, position of the target), in that order."""
        rows = await self._session.execute(
            select(RequestedItem.id, RequestedItem.info_type, Target.position)
            .join(Target, Target.id == RequestedItem.target_id)
            .where(RequestedItem.request_id == request_id)
            .order_by(Target.position, RequestedItem.info_type)
        )
        return [(r.id, r.info_type, r.position) for r in rows.all()]

    async def set_status(self, ids: Sequence[uuid.UUID], status: str, now: datetime) -> None:
        """Move these requests to ``status`` and bump their versions, in one UPDATE."""
        await self._session.execute(
            update(Request)
            .where(Request.id.in_(ids))
            .values(status=status, version=Request.version + 1, updated_at=now)
        )
