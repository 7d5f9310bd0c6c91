"""Reading and writing requests with their legal basis, targets and items."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Select, and_, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.db.models import LegalBasis, Request, RequestedItem, Target
from trustcenter.domain.lifecycle import OPEN


@dataclass(frozen=True, slots=True)
class RequestFilter:
    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    emergency: bool | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    #: True: open requests past their deadline as of ``now``; False: every other request
    overdue: bool | None = None
    #: True: open requests due before ``due_horizon`` and not yet overdue; False: all others
    due_soon: bool | None = None
    due_horizon: datetime | None = None
    now: datetime | None = None


class Order(StrEnum):
    NEWEST = "newest"  # received_at desc: the agency's and the archive's view
    QUEUE = "queue"  # emergencies first, then the nearest deadline: the reviewers' view


class BadCursor(ValueError):
    pass


def encode_cursor(row: Request, order: Order = Order.NEWEST) -> str:
    if order is Order.QUEUE:
        keys: list[Any] = ["q", row.emergency, row.deadline.isoformat(), str(row.id)]
    else:
        keys = ["n", row.received_at.isoformat(), str(row.id)]
    return base64.urlsafe_b64encode(json.dumps(keys).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: Order = Order.NEWEST) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        keys = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if order is Order.QUEUE and keys[0] == "q" and len(keys) == 4:
            out: list[Any] = [bool(keys[1]), datetime.fromisoformat(keys[2]), uuid.UUID(keys[3])]
        elif order is Order.NEWEST and keys[0] == "n" and len(keys) == 3:
            out = [datetime.fromisoformat(keys[1]), uuid.UUID(keys[2])]
        else:
            raise ValueError("cursor of another ordering")
        if any(isinstance(k, datetime) and k.tzinfo is None for k in out):
            raise ValueError("naive")
        return out
    except (ValueError, TypeError, IndexError, KeyError, json.JSONDecodeError) as exc:
        raise BadCursor("the cursor is not one this service gave out for this ordering") from exc


def _visible(stmt: Select[Any], agency_id: uuid.UUID | None) -> Select[Any]:
    return stmt if agency_id is None else stmt.where(Request.agency_id == agency_id)


def _filtered(stmt: Select[Any], f: RequestFilter) -> Select[Any]:
    if f.statuses:
        stmt = stmt.where(Request.status.in_(f.statuses))
    if f.categories:
        stmt = stmt.where(Request.category.in_(f.categories))
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
    return stmt


async def page(
    session: AsyncSession,
    *,
    agency_id: uuid.UUID | None,
    where: RequestFilter,
    first: int,
    after: str | None,
    order: Order = Order.NEWEST,
) -> tuple[list[Request], bool]:
    """Keyset-paged in SQL; returns the rows and whether more follow."""
    stmt = _filtered(_visible(select(Request), agency_id), where)
    if order is Order.QUEUE:
        if after:
            emergency, deadline, ident = decode_cursor(after, order)
            same_kind = Request.emergency.is_(emergency)
            later = or_(
                Request.deadline > deadline,
                and_(Request.deadline == deadline, Request.id > ident),
            )
            # emergencies come first: after an emergency come the later emergencies and then
            # every ordinary request; after an ordinary request, only the later ordinary ones
            after_cursor = and_(same_kind, later)
            stmt = stmt.where(
                or_(after_cursor, Request.emergency.is_(False)) if emergency else after_cursor
            )
        stmt = stmt.order_by(Request.emergency.desc(), Request.deadline.asc(), Request.id.asc())
    else:
        if after:
            at, ident = decode_cursor(after, order)
            stmt = stmt.where(
                or_(Request.received_at < at, and_(Request.received_at == at, Request.id < ident))
            )
        stmt = stmt.order_by(Request.received_at.desc(), Request.id.desc())
    rows = list((await session.scalars(stmt.limit(first + 1))).all())
    return rows[:first], len(rows) > first


async def count(session: AsyncSession, *, agency_id: uuid.UUID | None, where: RequestFilter) -> int:
    stmt = _filtered(_visible(select(Request), agency_id), where)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    return int(total or 0)


async def by_ids(
    session: AsyncSession, ids: Sequence[uuid.UUID], agency_id: uuid.UUID | None
) -> dict[uuid.UUID, Request]:
    if not ids:
        return {}
    stmt = _visible(select(Request).where(Request.id.in_(ids)), agency_id)
    return {r.id: r for r in (await session.scalars(stmt)).all()}


async def by_idempotency_key(
    session: AsyncSession, agency_id: uuid.UUID, key: str
) -> Request | None:
    stmt = select(Request).where(Request.agency_id == agency_id, Request.idempotency_key == key)
    return (await session.scalars(stmt)).first()


async def targets_for(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Target]]:
    out: dict[uuid.UUID, list[Target]] = {i: [] for i in request_ids}
    if request_ids:
        stmt = (
            select(Target)
            .where(Target.request_id.in_(request_ids))
            .order_by(Target.request_id, Target.position)
        )
        for t in (await session.scalars(stmt)).all():
            out[t.request_id].append(t)
    return out


async def items_for(
    session: AsyncSession, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[RequestedItem]]:
    out: dict[uuid.UUID, list[RequestedItem]] = {i: [] for i in request_ids}
    if request_ids:
        stmt = (
            select(RequestedItem, Target.position)
            .join(Target, Target.id == RequestedItem.target_id)
            .where(RequestedItem.request_id.in_(request_ids))
            .order_by(RequestedItem.request_id, Target.position, RequestedItem.info_type)
        )
        for item, _pos in (await session.execute(stmt)).all():
            out[item.request_id].append(item)
    return out


async def legal_bases(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LegalBasis]:
    if not ids:
        return {}
    stmt = select(LegalBasis).where(LegalBasis.id.in_(ids))
    return {b.id: b for b in (await session.scalars(stmt)).all()}
