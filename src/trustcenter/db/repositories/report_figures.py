"""A year's figures from the report's facts (``report_facts``, one narrow row per request,
kept by ``db.report_facts``): one GROUP BY over the year's counting rows, then the exact days
of the few units in the middle of each group — never a ranking of every unit.

1. ``GROUP BY country, category, day`` over the year's counting rows outside the exclusions
   (``day``: the days to respond as a whole number; NULL when not answered): per bucket
   the units, challenged or denied, with data, accounts and products — a few thousand rows
   even at a million requests. Adding the buckets up gives every count by country and
   category, by category and worldwide (totals are the units again, never sums of rows).
2. The median of a group is the mean of its middle one or two answered units in order of days
   (ranks ⌊(n+1)/2⌋ and ⌊(n+2)/2⌋). Walking the group's buckets in order finds the bucket and
   the rank within it of each.
3. A second statement reads the days of exactly those (group, day) buckets (an index on year
   and day); each middle value is picked from its bucket's sorted days, and the median is
   their mean, as SQL's ``avg`` makes it. The bucket only orders, the value is the stored
   ``days``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import String, cast, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.db.models import ReportFact

F = ReportFact
#: a group: (grouping, country or None, category or None)
Group = tuple[str, str | None, str | None]
SUMS = ("challenged_or_rejected", "with_data", "accounts_specified", "products_specified")
#: the days to respond as a whole number, as the database casts it (rounded or truncated: only
#: monotonic in the days, which is all a bucket needs; a stored column, so the planner knows
#: how many buckets there are and groups them in a hash)
DAY = F.day


def _where(year: int, excluded: Collection[str]) -> list[Any]:
    where = [F.year == year, F.counted.is_(True)]
    if excluded:
        where.append(F.country.not_in(sorted({c.upper() for c in excluded})))
    return where


def _groups(country: str, category: str) -> tuple[Group, Group, Group]:
    return (("rows", country, category), ("categories", None, category), ("worldwide", None, None))


class _Totals:
    __slots__ = ("buckets", "sums")

    def __init__(self) -> None:
        #: units, challenged or denied, with data, accounts, products
        self.sums = [0, 0, 0, 0, 0]
        #: answered units per day
        self.buckets: dict[int, int] = defaultdict(int)


async def figures(
    session: AsyncSession, year: int, excluded: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """Raw figures for ``year``: ``rows`` (country and category), ``categories`` (worldwide per
    category) and ``worldwide`` (one row when the year has requests) — two statements."""
    where = _where(year, excluded)
    day = DAY.label("day")
    statement = (
        select(
            F.country,
            F.category,
            day,
            func.count(),
            func.sum(F.challenged),
            func.sum(F.with_data),
            func.sum(F.accounts),
            func.sum(F.products),
        )
        .where(*where)
        .group_by(F.country, F.category, day)
    )
    by_row: dict[tuple[str, str], _Totals] = defaultdict(_Totals)
    for (
        country,
        category,
        bucket,
        units,
        challenged,
        with_data,
        accounts,
        products,
    ) in await _core(session, statement):
        t = by_row[(country, category)]
        sums = t.sums
        sums[0] += units
        sums[1] += int(challenged)
        sums[2] += int(with_data)
        sums[3] += int(accounts)
        sums[4] += int(products)
        if bucket is not None:
            t.buckets[bucket] += units
    # categories and worldwide: their countries' rows added up (the units again)
    totals: dict[Group, _Totals] = defaultdict(_Totals)
    for (country, category), t in by_row.items():
        totals[("rows", country, category)] = t
        for total in _groups(country, category)[1:]:
            into = totals[total]
            into.sums = [a + b for a, b in zip(into.sums, t.sums, strict=True)]
            for bucket, units in t.buckets.items():
                into.buckets[bucket] += units
    middles = {group: _middles(t.buckets) for group, t in totals.items()}
    days = await _days_of(session, where, {(g, b) for g, m in middles.items() for b, _ in m})
    out: dict[str, list[dict[str, Any]]] = {"rows": [], "categories": [], "worldwide": []}
    for group in sorted(totals, key=lambda g: (g[0], g[1] or "", g[2] or "")):
        name, in_country, in_category = group
        t = totals[group]
        row: dict[str, Any] = {}
        if name == "rows":
            row["country"] = in_country
        if name != "worldwide":
            row["category"] = in_category
        row["requests"] = t.sums[0]
        row.update(zip(SUMS, t.sums[1:], strict=True))
        picked = [days[(group, bucket)][index] for bucket, index in middles[group]]
        row["median_days_to_respond"] = (
            None if not picked else picked[0] if len(picked) == 1 else (picked[0] + picked[1]) / 2
        )
        out[name].append(row)
    return out


def _middles(buckets: dict[int, int]) -> list[tuple[int, int]]:
    """The (bucket, index in the bucket's sorted days) of the middle one or two answered units."""
    answered = sum(buckets.values())
    if not answered:
        return []
    ranks = sorted({(answered + 1) // 2, (answered + 2) // 2})
    out: list[tuple[int, int]] = []
    seen = 0
    for bucket in sorted(buckets):
        count = buckets[bucket]
        out.extend((bucket, rank - seen - 1) for rank in ranks if seen < rank <= seen + count)
        seen += count
    return out


async def _days_of(
    session: AsyncSession, where: list[Any], wanted: Iterable[tuple[Group, int]]
) -> dict[tuple[Group, int], list[float]]:
    """The sorted days of each group's middle buckets (only those rows are read)."""
    wanted = set(wanted)
    out: dict[tuple[Group, int], list[float]] = defaultdict(list)
    if not wanted:
        return out
    # scalar keys (a list of them is hashed by PostgreSQL, tuples would be compared one by one)
    day = cast(DAY, String)
    among = []
    rows = {f"{g[1]}|{g[2]}|{b}" for g, b in wanted if g[0] == "rows"}
    if rows:
        among.append((F.country + "|" + F.category + "|" + day).in_(sorted(rows)))
    categories = {f"{g[2]}|{b}" for g, b in wanted if g[0] == "categories"}
    if categories:
        among.append((F.category + "|" + day).in_(sorted(categories)))
    worldwide = {b for g, b in wanted if g[0] == "worldwide"}
    if worldwide:
        among.append(DAY.in_(sorted(worldwide)))
    statement = select(F.country, F.category, DAY, F.days).where(
        *where, DAY.in_(sorted({b for _, b in wanted})), or_(*among)
    )
    for country, category, bucket, value in await _core(session, statement):
        assert bucket is not None and value is not None  # in a bucket: answered
        for group in _groups(country, category):
            if (group, bucket) in wanted:
                out[(group, bucket)].append(value)
    for values in out.values():
        values.sort()
    return out


async def _core(session: AsyncSession, statement: Any) -> Any:
    """Rows of ``statement`` on the session's connection, without the ORM's result processing
    (plain tuples of a few thousand rows)."""
    return await (await session.connection()).execute(statement)
