"""The transparency report's figures, computed by the database (GROUP BY and window
functions), the same SQL on SQLite and on PostgreSQL. The rules are in
``docs/transparency-method.md``; the tests hold a plain-Python reference of the same rules.

Steps (each a CTE):

1. ``base`` — the year's requests (received in it, UTC) outside the excluded countries, each
   with its counting key: processed requests with data disclosed that are not revisions share
   the key of their legal basis (kind, reference, country), so they count as one; every other
   request (challenged, denied, pending, withdrawn, any revision) is its own unit.
2. ``units`` — one row per counted unit: its country, its category (the first received
   member's), whether data was disclosed or it was challenged or denied, and the days from the
   first receipt to the first answer.
3. ``targets`` — per unit, the distinct accounts (e-mail, phone, user name, order) and products
   (serial number) specified, however many pieces of information were asked about each.
4. the figures, grouped by country and category, by category, and worldwide; the median with
   ROW_NUMBER over the units that were answered.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Float,
    Select,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from trustcenter.db.models import LegalBasis, Request, Target
from trustcenter.domain.report import Outcome

ACCOUNT_TYPES = ("email", "phone", "username", "order_id")
PRODUCT_TYPES = ("serial_number",)


def _seconds_between(dialect: str, start: Any, end: Any) -> ColumnElement[Any]:
    if dialect == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def _units(dialect: str, year: int, excluded: Collection[str]) -> Any:
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    merged = and_(
        Request.report_outcome == Outcome.WITH_DATA.value, Request.revision_of_id.is_(None)
    )
    key = case(
        (
            merged,
            literal("basis|")
            + LegalBasis.kind
            + "|"
            + func.upper(func.trim(LegalBasis.reference))
            + "|"
            + Request.country,
        ),
        else_=literal("request|") + cast(Request.id, String),
    )
    first_category = func.first_value(Request.category).over(
        partition_by=key, order_by=(Request.received_at, Request.id)
    )
    base = (
        select(
            Request.id.label("request_id"),
            Request.country.label("country"),
            Request.report_outcome.label("outcome"),
            Request.received_at.label("received_at"),
            Request.responded_at.label("responded_at"),
            key.label("unit"),
            first_category.label("category"),
        )
        .join(LegalBasis, LegalBasis.id == Request.legal_basis_id)
        .where(Request.received_at >= start, Request.received_at < end)
    )
    if excluded:
        base = base.where(Request.country.not_in(sorted(excluded)))
    base_cte = base.cte("base")
    b = base_cte.c
    seconds = _seconds_between(dialect, func.min(b.received_at), func.min(b.responded_at))
    units = (
        select(
            b.unit,
            func.min(b.country).label("country"),
            func.min(b.category).label("category"),
            func.max(case((b.outcome == Outcome.WITH_DATA.value, 1), else_=0)).label("with_data"),
            func.max(
                case(
                    (b.outcome.in_([Outcome.CHALLENGED.value, Outcome.REJECTED.value]), 1),
                    else_=0,
                )
            ).label("challenged"),
            (cast(seconds, Float) / 86400.0).label("days"),
        )
        .group_by(b.unit)
        .cte("units")
    )
    ident = func.lower(Target.identifier_type + ":" + func.trim(Target.identifier))
    targets = (
        select(
            b.unit,
            func.count(distinct(case((Target.identifier_type.in_(ACCOUNT_TYPES), ident)))).label(
                "accounts"
            ),
            func.count(distinct(case((Target.identifier_type.in_(PRODUCT_TYPES), ident)))).label(
                "products"
            ),
        )
        .join(Target, Target.request_id == b.request_id)
        .group_by(b.unit)
        .cte("unit_targets")
    )
    u, t = units.c, targets.c
    return (
        select(
            u.unit,
            u.country,
            u.category,
            u.with_data,
            u.challenged,
            u.days,
            func.coalesce(t.accounts, 0).label("accounts"),
            func.coalesce(t.products, 0).label("products"),
        )
        .outerjoin(targets, t.unit == u.unit)
        .cte("counted")
    )


def _figures(counted: Any, by: list[str]) -> Select[Any]:
    c = counted.c
    groups = [c[name] for name in by]
    answered = c.days.is_not(None)
    ranked = select(
        *groups,
        c.with_data,
        c.challenged,
        c.accounts,
        c.products,
        c.days,
        func.row_number().over(partition_by=[*groups, answered], order_by=c.days).label("rn"),
        func.count(c.days).over(partition_by=groups).label("answered"),
    ).subquery("ranked")
    r = ranked.c
    middle = and_(
        r.days.is_not(None),
        r.rn.in_([(r.answered + 1) // 2, (r.answered + 2) // 2]),
    )
    return (
        select(
            *[r[name] for name in by],
            func.count().label("requests"),
            func.sum(r.challenged).label("challenged_or_rejected"),
            func.sum(r.with_data).label("with_data"),
            func.sum(r.accounts).label("accounts_specified"),
            func.sum(r.products).label("products_specified"),
            func.avg(case((middle, r.days))).label("median_days_to_respond"),
        )
        .group_by(*[r[name] for name in by])
        .order_by(*[r[name] for name in by])
    )


async def compute(
    session: AsyncSession, year: int, excluded: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """Raw figures for ``year``: ``rows`` (country and category), ``categories`` (worldwide per
    category) and ``worldwide`` (one row)."""
    dialect = session.get_bind().dialect.name
    out: dict[str, list[dict[str, Any]]] = {}
    for name, by in (("rows", ["country", "category"]), ("categories", ["category"]),
                     ("worldwide", [])):  # fmt: skip
        counted = _units(dialect, year, excluded)
        result = await session.execute(_figures(counted, by))
        out[name] = [dict(row._mapping) for row in result]
    return out
