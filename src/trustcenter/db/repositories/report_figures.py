"""A year's figures from the report's facts (``report_facts``, one narrow row per request,
kept by ``db.report_facts``): one GROUP BY over the year's counting rows by country, category
and tenth of a day to respond, then, for the medians, the exact days of the few buckets that
hold the middle of each group — never a ranking of every unit.

1. ``GROUP BY country, category, tenths``: per bucket the units, challenged or denied, with
   data, accounts and products. Adding the buckets up gives every count, by country and
   category, by category and worldwide (totals are the units again, not sums of rows' medians:
   a worldwide bucket is the sum of its countries' buckets).
2. The median of a group is the mean of its middle one or two answered units in order of days
   (the units with ranks ⌊(n+1)/2⌋ and ⌊(n+2)/2⌋). Walking the group's buckets in order finds
   the bucket and the rank within it of each; one statement reads the days of those buckets
   (an index on year and tenths), and each middle value is picked from its bucket's sorted
   days. ``tenths`` only orders the buckets (it is monotonic in the days), the value is the
   stored ``days``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.db.models import ReportFact

F = ReportFact
#: a group: (grouping, country or None, category or None)
Group = tuple[str, str | None, str | None]
SUMS = ("challenged_or_rejected", "with_data", "accounts_specified", "products_specified")


@dataclass
class _Totals:
    requests: int = 0
    sums: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    #: answered units per bucket of tenths of a day
    buckets: dict[int, int] = field(default_factory=lambda: defaultdict(int))


def _groups(country: str, category: str) -> tuple[Group, Group, Group]:
    return (("rows", country, category), ("categories", None, category), ("worldwide", None, None))


def _middles(buckets: dict[int, int]) -> list[tuple[int, int]]:
    """The (bucket, index within the bucket's sorted days) of the middle one or two units."""
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


def _where(year: int, excluded: Collection[str]) -> list[Any]:
    where = [F.year == year, F.counted.is_(True)]
    if excluded:
        where.append(F.country.not_in(sorted({c.upper() for c in excluded})))
    return where


async def figures(
    session: AsyncSession, year: int, excluded: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """Raw figures for ``year``: ``rows`` (country and category), ``categories`` (worldwide per
    category) and ``worldwide`` (one row when the year has requests) — two statements."""
    where = _where(year, excluded)
    totals: dict[Group, _Totals] = defaultdict(_Totals)
    statement = (
        select(
            F.country,
            F.category,
            F.tenths,
            func.count(),
            func.sum(F.challenged),
            func.sum(F.with_data),
            func.sum(F.accounts),
            func.sum(F.products),
        )
        .where(*where)
        .group_by(F.country, F.category, F.tenths)
    )
    for country, category, tenths, units, *sums in await session.execute(statement):
        for group in _groups(country, category):
            t = totals[group]
            t.requests += units
            t.sums = [a + int(b) for a, b in zip(t.sums, sums, strict=True)]
            if tenths is not None:
                t.buckets[tenths] += units
    middles = {group: _middles(t.buckets) for group, t in totals.items()}
    days = await _days_of(session, where, {b for m in middles.values() for b, _ in m})
    out: dict[str, list[dict[str, Any]]] = {"rows": [], "categories": [], "worldwide": []}
    for group in sorted(totals, key=lambda g: (g[0], g[1] or "", g[2] or "")):
        name, in_country, in_category = group
        t = totals[group]
        row: dict[str, Any] = {}
        if name == "rows":
            row["country"] = in_country
        if name != "worldwide":
            row["category"] = in_category
        row["requests"] = t.requests
        row.update(zip(SUMS, t.sums, strict=True))
        picked = [days[group][bucket][index] for bucket, index in middles[group]]
        row["median_days_to_respond"] = (
            None if not picked else picked[0] if len(picked) == 1 else (picked[0] + picked[1]) / 2
        )
        out[name].append(row)
    return out


async def _days_of(
    session: AsyncSession, where: list[Any], buckets: Iterable[int]
) -> dict[Group, dict[int, list[float]]]:
    """The days of the counting units in ``buckets``, sorted, per group and bucket."""
    wanted = sorted(buckets)
    out: dict[Group, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    if not wanted:
        return out
    statement = select(F.country, F.category, F.tenths, F.days).where(*where, F.tenths.in_(wanted))
    for country, category, tenths, days in await session.execute(statement):
        for group in _groups(country, category):
            assert tenths is not None and days is not None  # in a bucket: answered
            out[group][tenths].append(days)
    for per_bucket in out.values():
        for values in per_bucket.values():
            values.sort()
    return out
