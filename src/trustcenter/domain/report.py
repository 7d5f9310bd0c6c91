"""The transparency report's vocabulary: what each request counts as, and the figures.

The counting rules themselves are written out in ``docs/transparency-method.md``; they are
computed in SQL (``db.repositories.report``). This module holds what both share: a request's
report outcome, kept up to date as its status changes, the method's version, and the canonical
form of a report's figures (hashed when published)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.report_policy import Exclusion
from trustcenter.domain.rules import category_code

#: bumped whenever a counting rule changes; every published report carries the version it used
#: (2026.2: "with data" means at least one record; accounts and products are the subjects the
#: identifiers resolved to at review; exclusions carry their reasons; categories in upper case)
METHOD_VERSION = "2026.2"

S = RequestStatus


class Outcome(StrEnum):
    """What a request counts as in the report, whatever happens to it afterwards (closing,
    withdrawal, revision) unless a later decision changes it."""

    PENDING = "pending"  # received, not answered yet
    CHALLENGED = "challenged"  # objected to, or questioned and not (yet) approved
    REJECTED = "rejected"  # denied
    APPROVED = "approved"  # approved, data not yet provided
    WITH_DATA = "with_data"  # released, the package holds at least one record
    NO_DATA = "no_data"  # released, the package holds no record: answered, nothing disclosed
    WITHDRAWN = "withdrawn"  # withdrawn by the agency before any answer


#: the status a request reaches -> the outcome it then counts as (other statuses keep it)
_SETS = {
    S.CLARIFICATION_REQUESTED: Outcome.CHALLENGED,
    S.OBJECTED: Outcome.CHALLENGED,
    S.REJECTED: Outcome.REJECTED,
    S.APPROVED: Outcome.APPROVED,
    S.PARTIALLY_APPROVED: Outcome.APPROVED,
    S.DISCLOSED: Outcome.WITH_DATA,
}
#: released requests: those rule 1 merges when they share a legal basis
RELEASED = frozenset({Outcome.WITH_DATA, Outcome.NO_DATA})
#: reaching these is the company's answer to the agency (the report's "days to respond")
RESPONSES = frozenset({S.DISCLOSED, S.REJECTED, S.OBJECTED})


def outcome_after(previous: Outcome, status: RequestStatus) -> Outcome:
    if status in _SETS:
        return _SETS[status]
    if status is S.WITHDRAWN and previous is Outcome.PENDING:
        return Outcome.WITHDRAWN
    return previous


def outcome_of_release(record_count: int) -> Outcome:
    """What a released request counts as: with data only when its package holds a record; an
    empty package ("no responsive records") is an answer, but not data disclosed."""
    return Outcome.WITH_DATA if record_count > 0 else Outcome.NO_DATA


class Figure(StrEnum):
    REQUESTS = "requests"
    CHALLENGED_OR_REJECTED = "challenged_or_rejected"
    WITH_DATA = "with_data"
    WITH_DATA_PCT = "with_data_pct"
    ACCOUNTS_SPECIFIED = "accounts_specified"
    PRODUCTS_SPECIFIED = "products_specified"
    MEDIAN_DAYS_TO_RESPOND = "median_days_to_respond"


FIGURES = tuple(f.value for f in Figure)


def counting_key(text: str) -> str:
    """How the report compares legal-basis references and target identifiers: runs of
    whitespace collapsed, surrounding whitespace dropped, Unicode case folded ("Az. 12 / ä" and
    "AZ. 12 /  Ä" are the same). Stored next to the text when it is written, so SQLite and
    PostgreSQL compare the same keys whatever their collation."""
    return " ".join(text.split()).casefold()


def percentage(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def figures_sha256(figures: Mapping[str, Any]) -> str:
    """The digest a published report carries: SHA-256 of the figures' canonical JSON."""
    return hashlib.sha256(canonical(figures)).hexdigest()


def _figures_of(raw: Mapping[str, Any]) -> dict[str, Any]:
    requests, with_data = int(raw.get("requests") or 0), int(raw.get("with_data") or 0)
    median = raw.get("median_days_to_respond")
    return {
        Figure.REQUESTS.value: requests,
        Figure.CHALLENGED_OR_REJECTED.value: int(raw.get("challenged_or_rejected") or 0),
        Figure.WITH_DATA.value: with_data,
        Figure.WITH_DATA_PCT.value: percentage(with_data, requests),
        Figure.ACCOUNTS_SPECIFIED.value: int(raw.get("accounts_specified") or 0),
        Figure.PRODUCTS_SPECIFIED.value: int(raw.get("products_specified") or 0),
        Figure.MEDIAN_DAYS_TO_RESPOND.value: None if median is None else round(float(median), 1),
    }


def shape(
    year: int,
    raw: Mapping[str, Sequence[Mapping[str, Any]]],
    excluded: Iterable[Exclusion | str],
) -> dict[str, Any]:
    """The figures document a report stores and publishes (its SHA-256 is the report's).

    Categories are written as the API names them (upper case: ACCOUNT, PRESERVATION, …); each
    exclusion is listed with its reason (a bare code: one without, as only tests pass)."""
    worldwide = list(raw.get("worldwide") or [{}])
    exclusions = sorted(
        (Exclusion(e.upper()) if isinstance(e, str) else e for e in excluded),
        key=lambda e: e.country,
    )
    rows = sorted(
        ({"country": r["country"], "category": _category(r), **_figures_of(r)}
         for r in raw.get("rows", [])),
        key=lambda r: (r["country"], r["category"]),
    )  # fmt: skip
    categories = sorted(
        ({"category": _category(r), **_figures_of(r)} for r in raw.get("categories", [])),
        key=lambda r: r["category"],
    )
    return {
        "year": year,
        "method_version": METHOD_VERSION,
        "excluded_countries": [e.country for e in exclusions],
        "exclusions": [{"country": e.country, "reason": e.reason} for e in exclusions],
        "rows": rows,
        "totals": {"categories": categories, "worldwide": _figures_of(worldwide[0])},
    }


def _category(raw: Mapping[str, Any]) -> str:
    return category_code(str(raw["category"]))
