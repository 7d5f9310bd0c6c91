"""What a principal may read: requests and everything hanging off them, scoped by agency.

Another agency's request is indistinguishable from one that does not exist: every read goes
through the principal's visibility, and unseen ids simply come back empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from sqlalchemy import select

from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import READ_ALL_REQUESTS, REQUESTS_READ
from trustcenter.db.models import (
    Account,
    Agency,
    Disclosure,
    LegalBasis,
    Message,
    Product,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.db.repositories import requests as repo
from trustcenter.db.repositories import userdata
from trustcenter.db.repositories.requests import Order, RequestFilter
from trustcenter.db.session import Database
from trustcenter.services.access import AccessDenied, require_authenticated


def request_scope(principal: Principal) -> uuid.UUID | None:
    """The agency whose requests the principal may read (None: all), or AccessDenied."""
    require_authenticated(principal)
    if principal.is_staff:
        if principal.has_any(READ_ALL_REQUESTS):
            return None
        raise AccessDenied(" or ".join(sorted(READ_ALL_REQUESTS)))
    if principal.agency_id is None or not principal.has(REQUESTS_READ):
        raise AccessDenied(REQUESTS_READ)
    return principal.agency_id


@dataclass(frozen=True, slots=True)
class RequestPage:
    rows: list[Request]
    has_next: bool


async def page_requests(
    db: Database,
    principal: Principal,
    where: RequestFilter,
    first: int,
    after: str | None,
    order: Order = Order.NEWEST,
) -> RequestPage:
    scope = request_scope(principal)
    async with db.reader() as session:
        rows, more = await repo.page(
            session, agency_id=scope, where=where, first=first, after=after, order=order
        )
    return RequestPage(rows, more)


async def count_requests(db: Database, principal: Principal, where: RequestFilter) -> int:
    scope = request_scope(principal)
    async with db.reader() as session:
        return await repo.count(session, agency_id=scope, where=where)


async def requests_by_ids(
    db: Database, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Request]:
    scope = request_scope(principal)
    async with db.reader() as session:
        return await repo.by_ids(session, ids, scope)


# The loaders below are only reached from a request the principal could already see.


async def targets_of(db: Database, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Target]]:
    async with db.reader() as session:
        return await repo.targets_for(session, ids)


async def items_of(db: Database, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[RequestedItem]]:
    async with db.reader() as session:
        return await repo.items_for(session, ids)


async def legal_bases_by_ids(db: Database, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, LegalBasis]:
    async with db.reader() as session:
        return await repo.legal_bases(session, ids)


async def agencies_by_ids(
    db: Database, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Agency]:
    """Staff see every agency; an agency sees itself only."""
    require_authenticated(principal)
    wanted = [i for i in ids if principal.is_staff or i == principal.agency_id]
    if not wanted:
        return {}
    async with db.reader() as session:
        rows = await session.scalars(select(Agency).where(Agency.id.in_(wanted)))
        return {a.id: a for a in rows.all()}


async def children_by_ids(
    db: Database,
    principal: Principal,
    model: type[Target] | type[RequestedItem],
    ids: Sequence[uuid.UUID],
) -> dict[uuid.UUID, Target | RequestedItem]:
    """Targets or items by id, only where the principal may see their request."""
    scope = request_scope(principal)
    if not ids:
        return {}
    stmt = select(model).join(Request, Request.id == model.request_id).where(model.id.in_(ids))
    if scope is not None:
        stmt = stmt.where(Request.agency_id == scope)
    async with db.reader() as session:
        rows = cast(Sequence[Target | RequestedItem], (await session.scalars(stmt)).all())
        return {row.id: row for row in rows}


async def subjects_of_targets(
    db: Database, principal: Principal, targets: Sequence[Target]
) -> dict[uuid.UUID, Account | Product | None]:
    """The account or product a target names, as the company holds it (staff only)."""
    require_authenticated(principal)
    if not (principal.is_staff and principal.has_any(READ_ALL_REQUESTS)):
        raise AccessDenied(" or ".join(sorted(READ_ALL_REQUESTS)))
    async with db.reader() as session:
        return await userdata.subjects_for(session, targets)


async def messages_of(db: Database, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Message]]:
    out: dict[uuid.UUID, list[Message]] = {i: [] for i in ids}
    async with db.reader() as session:
        stmt = select(Message).where(Message.request_id.in_(ids)).order_by(Message.created_at)
        for m in (await session.scalars(stmt)).all():
            out[m.request_id].append(m)
    return out


async def disclosures_of(db: Database, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Disclosure]:
    """Released packages by request id (only reached from a request the principal can see)."""
    async with db.reader() as session:
        rows = await session.scalars(select(Disclosure).where(Disclosure.request_id.in_(ids)))
        return {d.request_id: d for d in rows.all()}
