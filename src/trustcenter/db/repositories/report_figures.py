"""A year's figures from the report's facts (``report_facts``, one narrow row per request,
kept by ``db.report_facts``): one GROUP BY over the year's counting rows, then the exact days
of the few units in the middle of each group — never a ranking of every unit.

1. ``h``: ``GROUP BY country, category, tenths`` over the year's counting rows outside the
   exclusions (``tenths``: the days to respond in whole tenths, NULL when not answered): per
   bucket the units, challenged or denied, with data, accounts and products.
2. The buckets once per grouping (by country and category; by category; worldwide: the
   buckets of the countries added up — totals are the units again, never sums of medians),
   with window functions over these few thousand rows: each group's totals, how many of its
   units were answered, and how many answered units its buckets hold up to each one.
3. Only a row per group (its totals) and the one or two buckets holding the middle of its
   answered units (ranks ⌊(n+1)/2⌋ and ⌊(n+2)/2⌋) leave the database.
4. A second statement reads the days of exactly those buckets (an index on year and tenths);
   each middle value is picked from its bucket's sorted days, and the median is their mean, as
   SQL's ``avg`` makes it. ``tenths`` only orders the buckets, the value is the stored ``days``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, func, literal, null, or_, select, tuple_
from sqlalchemy import union_all as union_all_
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.db.models import ReportFact

F = ReportFact
#: a group: (grouping, country or None, category or None)
Group = tuple[str, str | None, str | None]
SUMS = ("challenged_or_rejected", "with_data", "accounts_specified", "products_specified")
_MEASURES = ("n", "c", "w", "a", "p")


def _where(year: int, excluded: Collection[str]) -> list[Any]:
    where = [F.year == year, F.counted.is_(True)]
    if excluded:
        where.append(F.country.not_in(sorted({c.upper() for c in excluded})))
    return where


def _buckets(where: list[Any]) -> Any:
    """Step 1 and 2: each grouping's buckets (``grouping``, ``country``, ``category``,
    ``tenths`` and the measures)."""
    h = (
        select(
            F.country,
            F.category,
            F.tenths,
            # plain integers throughout (PostgreSQL's sums of sums would be numeric: slow)
            cast(func.count(), Integer).label("n"),
            cast(func.sum(F.challenged), Integer).label("c"),
            cast(func.sum(F.with_data), Integer).label("w"),
            cast(func.sum(F.accounts), Integer).label("a"),
            cast(func.sum(F.products), Integer).label("p"),
        )
        .where(*where)
        .group_by(F.country, F.category, F.tenths)
        .cte("h")
    )
    none = cast(null(), String)
    sums = [cast(func.sum(h.c[m]), Integer).label(m) for m in _MEASURES]
    return union_all_(
        select(literal("rows").label("grouping"), h.c.country, h.c.category, h.c.tenths,
               *(h.c[m] for m in _MEASURES)),
        select(literal("categories"), none.label("country"), h.c.category, h.c.tenths, *sums)
        .group_by(h.c.category, h.c.tenths),
        select(literal("worldwide"), none.label("country"), none.label("category"), h.c.tenths,
               *sums).group_by(h.c.tenths),
    ).subquery("g")  # fmt: skip


def _statement(where: list[Any]) -> Any:
    """Step 3: per group one row with its totals, and the buckets holding its middle."""
    g = _buckets(where)
    keys = [g.c.grouping, g.c.country, g.c.category]
    answered_bucket = g.c.tenths.is_not(None)
    w = select(
        *keys,
        g.c.tenths,
        g.c.n,
        *(func.sum(g.c[m]).over(partition_by=keys).label(f"total_{m}") for m in _MEASURES),
        func.sum(case((answered_bucket, g.c.n), else_=0)).over(partition_by=keys).label("answered"),
        func.sum(g.c.n)
        .over(partition_by=[*keys, answered_bucket], order_by=g.c.tenths, rows=(None, 0))
        .label("upto"),
        func.row_number().over(partition_by=keys, order_by=g.c.tenths).label("rn"),
    ).subquery("w")
    answered = cast(w.c.answered, Integer)
    upto, n = cast(w.c.upto, Integer), cast(w.c.n, Integer)
    middle = and_(
        w.c.tenths.is_not(None),
        upto >= (answered + 1) // 2,
        upto - n < (answered + 2) // 2,
    )
    return select(w).where(or_(w.c.rn == 1, middle))


async def figures(
    session: AsyncSession, year: int, excluded: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """Raw figures for ``year``: ``rows`` (country and category), ``categories`` (worldwide per
    category) and ``worldwide`` (one row when the year has requests) — two statements."""
    where = _where(year, excluded)
    totals: dict[Group, dict[str, Any]] = {}
    #: per group, the buckets that may hold a middle unit: tenths -> (units before, units in)
    buckets: dict[Group, dict[int, tuple[int, int]]] = defaultdict(dict)
    for r in await session.execute(_statement(where)):
        group: Group = (r.grouping, r.country, r.category)
        if r.rn == 1:
            totals[group] = {m: int(getattr(r, f"total_{m}")) for m in _MEASURES}
            totals[group]["answered"] = int(r.answered)
        if r.tenths is not None:
            buckets[group][r.tenths] = (int(r.upto) - int(r.n), int(r.n))
    middles = {group: _middles(t["answered"], buckets[group]) for group, t in totals.items()}
    days = await _days_of(session, where, middles)
    out: dict[str, list[dict[str, Any]]] = {"rows": [], "categories": [], "worldwide": []}
    for group in sorted(totals, key=lambda g: (g[0], g[1] or "", g[2] or "")):
        name, in_country, in_category = group
        t = totals[group]
        row: dict[str, Any] = {}
        if name == "rows":
            row["country"] = in_country
        if name != "worldwide":
            row["category"] = in_category
        row["requests"] = t["n"]
        row.update(zip(SUMS, (t["c"], t["w"], t["a"], t["p"]), strict=True))
        picked = [days[(group, tenths)][index] for tenths, index in middles[group]]
        row["median_days_to_respond"] = (
            None if not picked else picked[0] if len(picked) == 1 else (picked[0] + picked[1]) / 2
        )
        out[name].append(row)
    return out


def _middles(answered: int, buckets: dict[int, tuple[int, int]]) -> list[tuple[int, int]]:
    """The (bucket, index in the bucket's sorted days) of the middle one or two answered units."""
    if not answered:
        return []
    out: list[tuple[int, int]] = []
    for rank in sorted({(answered + 1) // 2, (answered + 2) // 2}):
        out.extend(
            (tenths, rank - before - 1)
            for tenths, (before, count) in buckets.items()
            if before < rank <= before + count
        )
    return out


async def _days_of(
    session: AsyncSession, where: list[Any], middles: dict[Group, list[tuple[int, int]]]
) -> dict[tuple[Group, int], list[float]]:
    """The sorted days of each group's middle buckets (only those rows are read)."""
    wanted = {(group, tenths) for group, m in middles.items() for tenths, _ in m}
    out: dict[tuple[Group, int], list[float]] = defaultdict(list)
    if not wanted:
        return out
    rows = [(g[1], g[2], t) for g, t in wanted if g[0] == "rows"]
    categories = [(g[2], t) for g, t in wanted if g[0] == "categories"]
    worldwide = [t for g, t in wanted if g[0] == "worldwide"]
    among = []
    if rows:
        among.append(tuple_(F.country, F.category, F.tenths).in_(rows))
    if categories:
        among.append(tuple_(F.category, F.tenths).in_(categories))
    if worldwide:
        among.append(F.tenths.in_(worldwide))
    statement = select(F.country, F.category, F.tenths, F.days).where(
        *where, F.tenths.in_(sorted({t for _, t in wanted})), or_(*among)
    )
    for country, category, tenths, value in await session.execute(statement):
        assert tenths is not None and value is not None  # in a bucket: answered
        for group in (("rows", country, category), ("categories", None, category),
                      ("worldwide", None, None)):  # fmt: skip
            if (group, tenths) in wanted:
                out[(group, tenths)].append(value)
    for values in out.values():
        values.sort()
    return out
