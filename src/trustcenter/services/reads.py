"""What a principal may read: requests and everything hanging off them, scoped by agency, as
views (``services.views``, ``services.view_records``), never rows.

Another agency's request is indistinguishable from one that does not exist: every read goes
through the principal's visibility, and unseen ids simply come back empty. The request list's
filter and orderings are the domain's (``domain.queries``, re-exported here); the cursor a page
ends with is this module's.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.db.models import RequestedItem, Target
from trustcenter.domain.queries import After, NewestAfter, Order, QueueAfter, RequestFilter
from trustcenter.services import audit, document_rules, findings, notices
from trustcenter.services.access import authorize, request_scope, require_authenticated
from trustcenter.services.deps import AppParts
from trustcenter.services.row_views import request_views
from trustcenter.services.view_records import (
    FindingView,
    NoticeExceptionView,
    NoticeView,
    finding_view,
    notice_exception_view,
    notice_view,
)
from trustcenter.services.views import (
    AccountView,
    AgencyView,
    AuditEventView,
    DisclosureView,
    DocumentView,
    ItemView,
    LegalBasisView,
    MessageView,
    ProductView,
    RequestView,
    TargetView,
    agency_view,
    audit_event_view,
    disclosure_view,
    document_view,
    item_view,
    legal_basis_view,
    message_view,
    subject_view,
    target_view,
)

__all__ = [
    "BadCursor",
    "Order",
    "RequestFilter",
    "RequestPage",
    "agencies_by_ids",
    "audit_trails",
    "count_requests",
    "decode_cursor",
    "disclosures_of",
    "documents_of_bases",
    "documents_of_messages",
    "encode_cursor",
    "findings_of",
    "items_by_ids",
    "items_of",
    "legal_bases_by_ids",
    "look_up",
    "messages_of",
    "notice_holds",
    "notices_of",
    "page_requests",
    "requests_by_ids",
    "subjects_of_targets",
    "targets_by_ids",
    "targets_of",
]


T = TypeVar("T")


def _parts_scope(principal: Principal) -> uuid.UUID | None:
    """Whose requests' parts (targets, items, legal basis, messages, documents, disclosure) the
    principal reads, None: every agency's. An agency reads its own requests' parts, also where
    a change it made answers with the request (without ``requests:read``); everyone else what
    ``request_scope`` lets them read."""
    if principal.kind is PrincipalKind.AGENCY and principal.agency_id is not None:
        return principal.agency_id
    return request_scope(principal)


# --- the request list and its cursors ---------------------------------------------------------


class BadCursor(ValueError):
    pass


def encode_cursor(request: RequestView, order: Order = Order.NEWEST) -> str:
    """The opaque cursor of a page that ends with ``request``: the JSON array of its position,
    written out directly (every page encodes one per row; ISO times and UUIDs need no escaping,
    so the text is the one ``json.dumps`` gives)."""
    if order is Order.QUEUE:
        flag = "true" if request.emergency else "false"
        text = f'["q", {flag}, "{request.deadline.isoformat()}", "{request.id}"]'
    else:
        text = f'["n", "{request.received_at.isoformat()}", "{request.id}"]'
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: Order = Order.NEWEST) -> After:
    """Where the page after ``cursor`` starts; BadCursor unless this service gave it out for
    ``order``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        keys = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after: After
        if order is Order.QUEUE and keys[0] == "q" and len(keys) == 4:
            after = QueueAfter(bool(keys[1]), datetime.fromisoformat(keys[2]), uuid.UUID(keys[3]))
            at = after.deadline
        elif order is Order.NEWEST and keys[0] == "n" and len(keys) == 3:
            after = NewestAfter(datetime.fromisoformat(keys[1]), uuid.UUID(keys[2]))
            at = after.received_at
        else:
            raise ValueError("cursor of another ordering")
        if at.tzinfo is None:
            raise ValueError("naive")
        return after
    except (ValueError, TypeError, IndexError, KeyError, json.JSONDecodeError) as exc:
        raise BadCursor("the cursor is not one this service gave out for this ordering") from exc


@dataclass(frozen=True, slots=True)
class RequestPage:
    rows: list[RequestView]
    has_next: bool


async def look_up(principal: Principal, find: Callable[[], Awaitable[T]]) -> T:
    """An object by its id (``node``, ``request``) for a reader of requests: the caller who may
    read none is refused (``request_scope``: rule "read_requests") before the id is looked at,
    so what an id names tells nobody anything; ``find`` then reads through the loaders, which
    answer an unseen id like a missing one."""
    request_scope(principal)
    return await find()


async def page_requests(
    app: AppParts,
    principal: Principal,
    where: RequestFilter,
    first: int,
    after: str | None,
    order: Order = Order.NEWEST,
) -> RequestPage:
    scope = request_scope(principal)
    start = decode_cursor(after, order) if after else None
    async with app.uow.core_read() as uow:
        rows, more = await uow.requests.page(
            agency_id=scope, where=where, first=first, after=start, order=order
        )
    return RequestPage(request_views(rows), more)


async def count_requests(app: AppParts, principal: Principal, where: RequestFilter) -> int:
    scope = request_scope(principal)
    async with app.uow.read() as uow:
        return await uow.requests.count(agency_id=scope, where=where)


async def requests_by_ids(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RequestView]:
    scope = request_scope(principal)
    async with app.uow.read() as uow:
        rows = await uow.requests.by_ids(ids, scope)
    return dict(zip(rows, request_views(list(rows.values())), strict=True))


async def agencies_by_ids(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AgencyView]:
    """Staff see every agency; an agency sees itself only."""
    require_authenticated(principal)
    wanted = [i for i in ids if principal.is_staff or i == principal.agency_id]
    if not wanted:
        return {}
    async with app.uow.core_read() as uow:
        rows = await uow.reads.agency_rows(wanted)
        return {a.id: agency_view(a, principal) for a in rows}


async def targets_by_ids(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, TargetView]:
    """Targets by id, only where the principal may see their request."""
    scope = request_scope(principal)
    async with app.uow.read() as uow:
        rows = await uow.requests.children_by_ids(Target, ids, scope)
    return {i: target_view(r) for i, r in rows.items()}


async def items_by_ids(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ItemView]:
    """Requested items by id, only where the principal may see their request."""
    scope = request_scope(principal)
    async with app.uow.read() as uow:
        rows = await uow.requests.children_by_ids(RequestedItem, ids, scope)
    return {i: item_view(r) for i, r in rows.items()}


async def subjects_of_targets(
    app: AppParts, principal: Principal, targets: Sequence[TargetView]
) -> dict[uuid.UUID, AccountView | ProductView | None]:
    """The account or product a target names, as the company holds it (staff only)."""
    authorize(principal, "read_subjects")
    # the lookup reads what a target names; these rows are never added to a uow
    named = [
        Target(id=t.id, identifier_type=t.identifier_type.value, identifier=t.identifier)
        for t in targets
    ]
    async with app.uow.read() as uow:
        found = await uow.userdata.subjects_for(named)
    return {i: subject_view(s) for i, s in found.items()}


# --- what hangs off a request, by the request's (or its parts') ids ---------------------------
# Each read keeps to the requests whose parts the principal reads (``_parts_scope``), in the
# same one statement: an agency's filtered by the request's agency, staff's unfiltered.


async def targets_of(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[TargetView]]:
    scope = _parts_scope(principal)
    async with app.uow.read() as uow:
        rows = await uow.requests.targets_for(ids, scope)
    return {i: [target_view(t) for t in ts] for i, ts in rows.items()}


async def items_of(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ItemView]]:
    scope = _parts_scope(principal)
    async with app.uow.read() as uow:
        rows = await uow.requests.items_for(ids, scope)
    return {i: [item_view(t) for t in ts] for i, ts in rows.items()}


async def legal_bases_by_ids(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LegalBasisView]:
    scope = _parts_scope(principal)
    async with app.uow.read() as uow:
        rows = await uow.requests.legal_bases(ids, scope)
    return {i: legal_basis_view(b) for i, b in rows.items()}


async def messages_of(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[MessageView]]:
    scope = _parts_scope(principal)
    out: dict[uuid.UUID, list[MessageView]] = {i: [] for i in ids}
    async with app.uow.read() as uow:
        rows = await uow.reads.messages_of(ids, scope)
    for m in rows:
        out[m.request_id].append(message_view(m))
    return out


async def disclosures_of(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, DisclosureView]:
    """Released packages by request id."""
    scope = _parts_scope(principal)
    async with app.uow.read() as uow:
        rows = await uow.reads.disclosures_of(ids, scope)
    return {d.request_id: disclosure_view(d) for d in rows}


async def documents_of_bases(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentView]]:
    """The documents attached to each legal basis, oldest first."""
    return await _documents(app, principal, "legal_basis_id", ids)


async def documents_of_messages(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentView]]:
    """The documents attached to each message, oldest first."""
    return await _documents(app, principal, "message_id", ids)


async def _documents(
    app: AppParts, principal: Principal, column: str, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[DocumentView]]:
    scope = _parts_scope(principal)
    found = await document_rules.documents_by(app.uow, column, ids)
    return {
        i: [document_view(d) for d in docs if scope is None or d.agency_id == scope]
        for i, docs in found.items()
    }


# --- staff reads, each checked by the service that keeps the records --------------------------


async def audit_trails(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AuditEventView]]:
    found = await audit.trails(app.uow, principal, ids)
    return {i: [audit_event_view(e) for e in events] for i, events in found.items()}


async def findings_of(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[FindingView]]:
    found = await findings.findings_of(app, principal, ids)
    return {i: [finding_view(f) for f in rows] for i, rows in found.items()}


async def notices_of(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[NoticeView]]:
    found = await notices.notices_of(app.uow, principal, ids)
    return {i: [notice_view(n) for n in rows] for i, rows in found.items()}


async def notice_exceptions_of(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[NoticeExceptionView]]:
    """Every exception recorded on each request, lifted ones too, oldest first."""
    found = await notices.exceptions_of(app.uow, principal, ids)
    return {i: [notice_exception_view(e) for e in rows] for i, rows in found.items()}


async def notice_holds(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, NoticeExceptionView]:
    """The exception holding each request's notices back today."""
    found = await notices.holds_of(app.uow, app.clock, principal, ids)
    return {i: notice_exception_view(e) for i, e in found.items()}
