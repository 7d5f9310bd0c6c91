"""The report's figures as the database computed them at every build before the report's
facts (``report_facts``) existed: big GROUP BY and window functions over requests, legal bases
and targets, the same SQL on SQLite and PostgreSQL. Kept here as a reference: the property test
(``tests/integration/test_report_facts_property.py``) checks that the facts-based figures equal
these on random histories driven through the services.

Steps (each a CTE):

1. ``base`` — the year's requests (received in it, UTC) outside the excluded countries, each
   with its counting key: released requests (with or without data) that are not revisions share
   the key of their legal basis (kind, reference key, country), so they count as one; every other
   request (challenged, denied, pending, withdrawn, any revision) is its own unit.
2. ``units`` — one row per counted unit: its country, its category (the first received
   member's), whether data was disclosed or it was challenged or denied, and the days from the
   first receipt to the first answer.
3. ``targets`` — per unit, the distinct accounts and products specified.
4. ``grouped`` — every unit once per grouping (country and category, category, worldwide),
   UNION ALL, so a single GROUP BY yields all figures; the median with ROW_NUMBER over the
   units that were answered.
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
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from trustcenter.db.models import LegalBasis, Request, Target
from trustcenter.domain.report import RELEASED, Outcome

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
        Request.report_outcome.in_(sorted(o.value for o in RELEASED)),
        Request.revision_of_id.is_(None),
    )
    key = case(
        (
            merged,
            literal("basis|")
            + LegalBasis.kind
            + "|"
            + LegalBasis.reference_key
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
        base = base.where(Request.country.not_in(sorted({c.upper() for c in excluded})))
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
    # what a target names: the subject it resolved to at review, else the identifier itself
    named = func.coalesce(Target.subject_key, Target.identifier_type + ":" + Target.identifier_key)
    unresolved = Target.subject_key.is_(None)
    account = case(
        (Target.subject_key.like("account:%"), named),
        (and_(unresolved, Target.identifier_type.in_(ACCOUNT_TYPES)), named),
    )
    product = case(
        (Target.subject_key.like("product:%"), named),
        (and_(unresolved, Target.identifier_type.in_(PRODUCT_TYPES)), named),
    )
    targets = (
        select(
            b.unit,
            func.count(distinct(account)).label("accounts"),
            func.count(distinct(product)).label("products"),
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


GROUPINGS = {"rows": ("country", "category"), "categories": ("category",), "worldwide": ()}


def _grouped(counted: Any) -> Any:
    """Each unit once per grouping — by country and category, by category, worldwide — with the
    grouping's name, so one pass of window functions and GROUP BY yields every figure (the
    units are computed once)."""
    c = counted.c
    measures = (c.with_data, c.challenged, c.accounts, c.products, c.days)
    parts = []
    for name, by in GROUPINGS.items():
        keys = [c[k] if k in by else cast(null(), String).label(k) for k in ("country", "category")]
        parts.append(select(literal(name).label("grouping"), *keys, *measures))
    return union_all(*parts).subquery("grouped")


def _figures(grouped: Any) -> Select[Any]:
    g = grouped.c
    groups = [g.grouping, g.country, g.category]
    answered = g.days.is_not(None)
    ranked = select(
        *groups,
        g.with_data,
        g.challenged,
        g.accounts,
        g.products,
        g.days,
        func.row_number().over(partition_by=[*groups, answered], order_by=g.days).label("rn"),
        func.count(g.days).over(partition_by=groups).label("answered"),
    ).subquery("ranked")
    r = ranked.c
    middle = and_(
        r.days.is_not(None),
        r.rn.in_([(r.answered + 1) // 2, (r.answered + 2) // 2]),
    )
    keys = [r.grouping, r.country, r.category]
    return (
        select(
            *keys,
            func.count().label("requests"),
            func.sum(r.challenged).label("challenged_or_rejected"),
            func.sum(r.with_data).label("with_data"),
            func.sum(r.accounts).label("accounts_specified"),
            func.sum(r.products).label("products_specified"),
            func.avg(case((middle, r.days))).label("median_days_to_respond"),
        )
        .group_by(*keys)
        .order_by(*keys)
    )


async def compute_sql(
    session: AsyncSession, year: int, excluded: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """Raw figures for ``year`` as the report computed them before its facts: ``rows``,
    ``categories`` and ``worldwide`` — one statement over the request tables."""
    dialect = session.get_bind().dialect.name
    statement = _figures(_grouped(_units(dialect, year, excluded)))
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in GROUPINGS}
    for row in await session.execute(statement):
        values = dict(row._mapping)
        name = values.pop("grouping")
        for key in ("country", "category"):
            if key not in GROUPINGS[name]:
                del values[key]
        out[name].append(values)
    return out
