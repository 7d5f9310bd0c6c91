"""The request list's statements: the filter, the orderings and where a page starts (the
domain's, ``trustcenter.domain.queries``) turned into SQL, and the columns a page reads."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, not_, or_, select

from trustcenter.db.models import Request
from trustcenter.domain.lifecycle import OPEN
from trustcenter.domain.queries import After, NewestAfter, Order, QueueAfter, RequestFilter
from trustcenter.domain.rules import stored_category

_REQUEST = Request.__table__


def visible(stmt: Select[Any], agency_id: uuid.UUID | None) -> Select[Any]:
    return stmt if agency_id is None else stmt.where(Request.agency_id == agency_id)


def filtered(stmt: Select[Any], f: RequestFilter) -> Select[Any]:
    if f.statuses:
        stmt = stmt.where(Request.status.in_(f.statuses))
    if f.categories:
        stmt = stmt.where(Request.category.in_([stored_category(c) for c in f.categories]))
    if f.countries:
        stmt = stmt.where(Request.country.in_(f.countries))
    if f.emergency is not None:
        stmt = stmt.where(Request.emergency.is_(f.emergency))
    if f.received_from is not None:
        stmt = stmt.where(Request.received_at >= f.received_from)
    if f.received_to is not None:
        stmt = stmt.where(Request.received_at < f.received_to)
    if f.overdue is not None or f.due_soon is not None:
        assert f.now is not None, "deadline filters need the current time"
        is_open = Request.status.in_([s.value for s in OPEN])
        if f.overdue is not None:
            late = and_(is_open, Request.deadline < f.now)
            stmt = stmt.where(late if f.overdue else not_(late))
        if f.due_soon is not None:
            assert f.due_horizon is not None
            soon = and_(is_open, Request.deadline >= f.now, Request.deadline < f.due_horizon)
            stmt = stmt.where(soon if f.due_soon else not_(soon))
    if f.assigned_to is not None:
        stmt = stmt.where(Request.assigned_to == f.assigned_to)
    return stmt


def _after_in_queue(after: QueueAfter) -> ColumnElement[bool]:
    same_kind = Request.emergency.is_(after.emergency)
    later = or_(
        Request.deadline > after.deadline,
        and_(Request.deadline == after.deadline, Request.id > after.id),
    )
    # emergencies come first: after an emergency come the later emergencies and then every
    # ordinary request; after an ordinary request, only the later ordinary ones
    after_cursor = and_(same_kind, later)
    return or_(after_cursor, Request.emergency.is_(False)) if after.emergency else after_cursor


def _after_newest(after: NewestAfter) -> ColumnElement[bool]:
    return or_(
        Request.received_at < after.received_at,
        and_(Request.received_at == after.received_at, Request.id < after.id),
    )


#: what a page of requests reads: every column but the ones only writers, the report and the
#: idempotency check use (fewer values converted per row: two UUIDs and times among them)
_NOT_LISTED = frozenset(
    {"client_id", "country", "updated_at", "idempotency_key", "payload_sha256", "report_outcome",
     "responded_at", "external_id"}
)  # fmt: skip
_LISTED = [c for c in _REQUEST.c if c.key not in _NOT_LISTED]
_NO_FILTER = RequestFilter()
_ORDERS = {
    Order.NEWEST: (Request.received_at.desc(), Request.id.desc()),
    Order.QUEUE: (Request.emergency.desc(), Request.deadline.asc(), Request.id.asc()),
}
#: (order, every agency's) -> the first page without a filter, the agency and size bound
_FIRST_PAGES = {
    (order, every): (
        select(*_LISTED)
        if every
        else select(*_LISTED).where(Request.agency_id == bindparam("agency"))
    )
    .order_by(*keys)
    .limit(bindparam("first"))
    for order, keys in _ORDERS.items()
    for every in (True, False)
}


def page_statement(
    agency_id: uuid.UUID | None,
    where: RequestFilter,
    first: int,
    after: After | None,
    order: Order,
) -> tuple[Select[Any], dict[str, Any]]:
    """The statement of a page (one row more than ``first``: whether more follow) and its
    values: the first page without a filter is one statement made once, its values bound."""
    if after is None and where == _NO_FILTER:
        values: dict[str, Any] = {"first": first + 1}
        if agency_id is not None:
            values["agency"] = agency_id
        return _FIRST_PAGES[order, agency_id is None], values
    stmt = filtered(visible(select(*_LISTED), agency_id), where)
    if order is Order.QUEUE and isinstance(after, QueueAfter):
        stmt = stmt.where(_after_in_queue(after))
    elif order is Order.NEWEST and isinstance(after, NewestAfter):
        stmt = stmt.where(_after_newest(after))
    return stmt.order_by(*_ORDERS[order]).limit(first + 1), {}
