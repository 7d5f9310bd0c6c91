"""A plain-Python reference of the transparency report's counting rules.

The database computes the figures with GROUP BY (``trustcenter.db.repositories.report``);
this module counts the same history again over plain dataclasses, rule by rule, so that the
two can be compared. Only the counting is re-implemented: the result has the raw shape that
``compute`` returns (``rows``, ``categories``, ``worldwide``) and goes through the product's own
``domain.report.shape`` (rounding, percentages) to become the published document.

The rules, as the method states them:

* a request counts in the year it was received, in UTC, by the country of the requesting
  agency; requests from excluded countries are left out of every figure;
* released requests (answered with a package, whether or not it holds a record) that are not
  revisions and share the same legal basis count as one: same kind, same reference once runs
  of whitespace are collapsed and case is folded (Unicode: "ä" and "Ä" alike, "ß" and "ss"
  alike), same country;
* every other request (challenged, denied, approved without data yet, pending, withdrawn, and
  every revision whatever its outcome) counts as one on its own;
* a unit's category is that of its first received member (ties: the smaller id);
* ``with_data``: a package with at least one record was released (``no_data``: released
  empty, answered but not with data); ``challenged_or_rejected``: challenged or denied;
* days to respond: from the unit's first receipt to its first answer; the median is over the
  units that were answered (mean of the two middle ones for an even count), and the worldwide
  and per-category medians are over all their units, not medians of medians;
* accounts and products: the distinct ones a unit names, however many pieces of information
  are asked about each: a target resolved at review names its subject ("account:<id>",
  "product:<id>"), so several identifiers of one account are one account; a target not
  resolved (or resolved to nothing) names its identifier: e-mail, phone, user name and order
  id name accounts, serial numbers name products; an identifier's case and surrounding spaces
  do not make it another one.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trustcenter.domain.report import shape
from trustcenter.domain.report_policy import Exclusion

ACCOUNT_TYPES = frozenset({"email", "phone", "username", "order_id"})
PRODUCT_TYPES = frozenset({"serial_number"})
WITH_DATA = "with_data"
RELEASED = frozenset({"with_data", "no_data"})
CHALLENGED_OR_REJECTED = frozenset({"challenged", "rejected"})


def same(text: str) -> str:
    """The form in which two references or identifiers are the same one."""
    return " ".join(text.split()).casefold()


@dataclass(frozen=True, slots=True)
class Basis:
    kind: str
    reference: str


@dataclass(frozen=True, slots=True)
class Record:
    """One request as the report sees it."""

    country: str
    category: str
    outcome: str
    received_at: datetime
    responded_at: datetime | None = None
    basis: Basis = Basis("warrant", "W-1")
    #: (identifier type, identifier) or (identifier type, identifier, subject or None)
    targets: tuple[tuple[str, ...], ...] = ()
    revision_of: uuid.UUID | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)


@dataclass(frozen=True, slots=True)
class Unit:
    """What counts as one request."""

    country: str
    category: str
    with_data: bool
    challenged: bool
    days: float | None
    accounts: int
    products: int
    members: tuple[uuid.UUID, ...]


def unit_key(r: Record) -> tuple[Any, ...]:
    if r.outcome in RELEASED and r.revision_of is None:
        return ("basis", r.basis.kind, same(r.basis.reference), r.country)
    return ("request", r.id)


def subject_of(target: tuple[str, ...]) -> str | None:
    return target[2] if len(target) > 2 else None


def _named(target: tuple[str, ...]) -> tuple[str, Any]:
    """(account or product or other, what it names) for one target."""
    subject = subject_of(target)
    if subject is not None:
        return subject.split(":", 1)[0], subject
    kind = target[0]
    sort = "account" if kind in ACCOUNT_TYPES else "product" if kind in PRODUCT_TYPES else ""
    return sort, (kind, same(target[1]))


def _identifiers(members: Iterable[Record], sort: str) -> int:
    return len(
        {what for r in members for t in r.targets
         for named_sort, what in [_named(t)] if named_sort == sort}
    )  # fmt: skip


def units(history: Iterable[Record], year: int, excluded: Collection[str]) -> list[Unit]:
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    groups: dict[tuple[Any, ...], list[Record]] = defaultdict(list)
    for r in history:
        if start <= r.received_at.astimezone(UTC) < end and r.country not in {
            c.upper() for c in excluded
        }:
            groups[unit_key(r)].append(r)
    found = []
    for members in groups.values():
        members.sort(key=lambda r: (r.received_at, r.id))
        answers = [r.responded_at for r in members if r.responded_at is not None]
        first_receipt = members[0].received_at
        days = (min(answers) - first_receipt).total_seconds() / 86400 if answers else None
        found.append(
            Unit(
                country=members[0].country,
                category=members[0].category,
                with_data=any(r.outcome == WITH_DATA for r in members),
                challenged=any(r.outcome in CHALLENGED_OR_REJECTED for r in members),
                days=days,
                accounts=_identifiers(members, "account"),
                products=_identifiers(members, "product"),
                members=tuple(r.id for r in members),
            )
        )
    return found


def median(values: Iterable[float]) -> float | None:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    if n % 2:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def figures(group: Sequence[Unit]) -> dict[str, Any]:
    return {
        "requests": len(group),
        "challenged_or_rejected": sum(u.challenged for u in group),
        "with_data": sum(u.with_data for u in group),
        "accounts_specified": sum(u.accounts for u in group),
        "products_specified": sum(u.products for u in group),
        "median_days_to_respond": median(u.days for u in group if u.days is not None),
    }


def compute(
    history: Iterable[Record], year: int, excluded: Collection[str]
) -> dict[str, list[dict[str, Any]]]:
    """The raw figures, in the shape ``db.repositories.report.compute`` returns them."""
    counted = units(history, year, excluded)
    by_row: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    by_category: dict[str, list[Unit]] = defaultdict(list)
    for u in counted:
        by_row[u.country, u.category].append(u)
        by_category[u.category].append(u)
    return {
        "rows": [
            {"country": country, "category": category, **figures(by_row[country, category])}
            for country, category in sorted(by_row)
        ],
        "categories": [
            {"category": category, **figures(by_category[category])}
            for category in sorted(by_category)
        ],
        "worldwide": [figures(counted)],
    }


def document(
    history: Iterable[Record], year: int, excluded: Collection[Exclusion | str]
) -> dict[str, Any]:
    """The figures document the report would publish for ``history`` (exclusions as codes, or
    with their reasons)."""
    codes = [e if isinstance(e, str) else e.country for e in excluded]
    return shape(year, compute(history, year, codes), excluded)
