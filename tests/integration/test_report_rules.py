"""The transparency report's counting rules, one test per rule, and a property test: the
figures the database computes (GROUP BY, on SQLite and on PostgreSQL) equal those of the
plain-Python reference in ``tests/report_reference.py`` on random request histories.

Histories are inserted straight into the tables (agencies, legal bases, requests, targets):
the report reads only what is stored, whatever way it got there. Every hand-made history is
also checked against the reference, so each rule test checks the SQL, the reference, and the
figures written down by hand.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests import report_reference as reference
from tests.helpers import counting
from tests.report_reference import Basis, Record
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    Agency,
    LegalBasis,
    Request,
    RequestedItem,
    Target,
    TransparencyReport,
)
from trustcenter.db.repositories.report import compute
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.report import shape
from trustcenter.domain.report_policy import ALWAYS_EXCLUDED_REASON, Exclusion
from trustcenter.services.reports import build_report

NAMESPACE = uuid.UUID("6f1b8a52-52a1-4c1e-9a57-0c1f3c0d2e11")
BOUNDARY = datetime(2026, 1, 1, tzinfo=UTC)
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
#: the status a request with each report outcome would typically be in
STATUS = {
    "pending": "in_review",
    "challenged": "objected",
    "rejected": "rejected",
    "approved": "approved",
    "with_data": "disclosed",
    "no_data": "disclosed",
    "withdrawn": "withdrawn",
}


# --- building histories and storing them ------------------------------------------------


def rec(
    outcome: str = "with_data",
    *,
    country: str = "DE",
    category: str = "account",
    at: datetime = MARCH,
    days: float | None = None,
    kind: str = "warrant",
    ref: str = "AG-7/26",
    targets: Sequence[tuple[str, ...]] = (("email", "a@x.de"),),
    revision_of: Record | None = None,
) -> Record:
    """A request as the report sees it; ``days`` after receipt it was answered (if given).
    A target ``(type, identifier, subject)`` was resolved at review to ``subject``
    ("account:<id>", "product:<id>", or None: to nothing)."""
    return Record(
        country=country,
        category=category,
        outcome=outcome,
        received_at=at,
        responded_at=None if days is None else at + timedelta(days=days),
        basis=Basis(kind, ref),
        targets=tuple(targets),
        revision_of=None if revision_of is None else revision_of.id,
    )


async def _insert(session: AsyncSession, history: Sequence[Record]) -> None:
    """Rows for ``history``, in foreign-key order (a revision follows what it revises)."""
    if not history:
        return
    created = datetime(2024, 1, 1, tzinfo=UTC)
    countries = sorted({r.country for r in history})
    await session.execute(
        insert(Agency),
        [
            {"id": uuid.uuid5(NAMESPACE, c), "name": f"Police {c}", "kind": "law_enforcement",
             "country": c, "verification": "verified", "created_at": created,
             "verified_at": created}
            for c in countries
        ],
    )  # fmt: skip
    await session.execute(
        insert(LegalBasis),
        [
            {"id": uuid.uuid5(NAMESPACE, f"basis-{r.id}"), "kind": r.basis.kind,
             "reference": r.basis.reference, "issued_by": "Amtsgericht",
             "issuer_role": "court", "issued_at": date(2024, 1, 1), "created_at": r.received_at}
            for r in history
        ],
    )  # fmt: skip
    await session.execute(
        insert(Request),
        [
            {"id": r.id, "agency_id": uuid.uuid5(NAMESPACE, r.country),
             "legal_basis_id": uuid.uuid5(NAMESPACE, f"basis-{r.id}"),
             "revision_of_id": r.revision_of, "jurisdiction": r.country, "country": r.country,
             "category": r.category, "status": STATUS[r.outcome], "emergency": False,
             "reason": "an investigation", "officer_name": "K. Weber",
             "officer_email": "k.weber@police.example", "received_at": r.received_at,
             "deadline": r.received_at + 10 * DAY, "updated_at": r.responded_at or r.received_at,
             "payload_sha256": "0" * 64, "report_outcome": r.outcome,
             "responded_at": r.responded_at}
            for r in history
        ],
    )  # fmt: skip
    targets = [
        {"id": uuid.uuid4(), "request_id": r.id, "position": position,
         "identifier_type": t[0], "identifier": t[1], "subject_key": reference.subject_of(t),
         "resolved_at": r.received_at if len(t) > 2 else None}
        for r in history
        for position, t in enumerate(r.targets)
    ]  # fmt: skip
    if targets:
        await session.execute(insert(Target), targets)


async def store(container: Container, *history: Record) -> None:
    async with container.db.transaction() as session:
        await _insert(session, history)


async def replace_history(container: Container, history: Sequence[Record]) -> None:
    """Empty the request tables and store ``history``, in one transaction (the audit log and
    the other tables are left as they are)."""
    async with container.db.transaction() as session:
        for table in (RequestedItem, Target, Request, LegalBasis, Agency):
            await session.execute(delete(table))
        await _insert(session, history)


async def ask(container: Container, request: Record, info: Mapping[str, str]) -> None:
    """The pieces of information asked about each target: identifier type -> info types."""
    async with container.db.transaction() as session:
        named = await session.scalars(select(Target).where(Target.request_id == request.id))
        for target in named.all():
            for info_type in info.get(target.identifier_type, ""):
                session.add(
                    RequestedItem(request_id=request.id, target_id=target.id, info_type=info_type)
                )


MEDIAN = "median_days_to_respond"


def aligned(
    sql: Mapping[str, Sequence[Mapping[str, Any]]],
    expected: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """``sql`` with each median that equals the reference's to within float noise (SQLite's
    julianday, PostgreSQL's epoch) replaced by the reference's, so that the documents can be
    compared exactly after the same rounding."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in ("rows", "categories", "worldwide"):
        rows = [dict(r) for r in sql.get(name, [])]
        for mine, theirs in zip(rows, expected.get(name, []), strict=False):
            same_group = all(mine.get(k) == theirs.get(k) for k in ("country", "category"))
            a, b = mine.get(MEDIAN), theirs.get(MEDIAN)
            if same_group and a is not None and b is not None:
                assert float(a) == pytest.approx(b, abs=1e-6), (name, mine, theirs)
                mine[MEDIAN] = b
        out[name] = rows
    return out


async def sql_document(
    container: Container, history: Sequence[Record], year: int, excluded: Collection[str]
) -> dict[str, Any]:
    """The document the database computes, checked against the reference's."""
    async with container.db.reader() as session:
        raw = await compute(session, year, excluded)
    expected = reference.compute(history, year, excluded)
    document = shape(year, aligned(raw, expected), sorted(excluded))
    assert document == shape(year, expected, sorted(excluded))
    return document


async def report(
    container: Container, *history: Record, year: int = 2026, excluded: Collection[str] = ("CN",)
) -> dict[str, Any]:
    await store(container, *history)
    return await sql_document(container, history, year, excluded)


def row(document: Mapping[str, Any], country: str, category: str = "ACCOUNT") -> dict[str, Any]:
    found = [r for r in document["rows"] if (r["country"], r["category"]) == (country, category)]
    assert len(found) == 1, (country, category, document["rows"])
    return dict(found[0])


def category(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    found = [r for r in document["totals"]["categories"] if r["category"] == name]
    assert len(found) == 1, (name, document["totals"]["categories"])
    return dict(found[0])


def worldwide(document: Mapping[str, Any]) -> dict[str, Any]:
    return dict(document["totals"]["worldwide"])


# --- one test per rule --------------------------------------------------------------------


async def test_processed_requests_sharing_a_legal_basis_count_as_one(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(ref="AG-7/26"),
        rec(ref="  ag-7/26 ", at=MARCH + DAY),  # the same reference: case and spaces differ
        rec(ref="Ag-7/26", at=MARCH + 2 * DAY),
    )
    assert row(doc, "DE")["requests"] == 1
    assert row(doc, "DE")["with_data"] == 1
    assert worldwide(doc)["requests"] == 1


async def test_references_and_accounts_compare_alike_in_every_script_on_both_databases(
    container: Container,
) -> None:
    """Case is folded for every letter, not only ASCII ones, and runs of spaces are one space:
    SQLite and PostgreSQL count these alike (the keys are computed when a request is stored)."""
    doc = await report(
        container,
        rec(ref="Straße 4/26", targets=[("username", "Jürgen")]),
        rec(ref="STRASSE  4/26", at=MARCH + DAY, targets=[("username", "JÜRGEN")]),
        rec(ref="ÄZ-1", at=MARCH + 2 * DAY, targets=[("username", "Ärger")]),
        rec(ref="äz-1", at=MARCH + 3 * DAY, targets=[("username", "ärger")]),
    )
    assert row(doc, "DE")["requests"] == 2
    assert row(doc, "DE")["accounts_specified"] == 2


async def test_processed_requests_with_different_legal_bases_count_separately(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(ref="AG-7/26"),
        rec(ref="AG-8/26"),  # another reference
        rec(ref="AG-7/26", kind="court_order"),  # another kind
        rec(ref="AG-7/26", country="FR"),  # another country
        rec(ref="AG-7 /26"),  # a space inside is part of the reference
    )
    assert row(doc, "DE")["requests"] == 4
    assert row(doc, "FR")["requests"] == 1
    assert worldwide(doc)["requests"] == worldwide(doc)["with_data"] == 5


async def test_a_revision_counts_as_a_new_request(container: Container) -> None:
    original = rec()
    revision = rec(at=MARCH + DAY, revision_of=original)
    second = rec(at=MARCH + 2 * DAY, revision_of=revision)
    doc = await report(container, original, revision, second)
    assert row(doc, "DE")["requests"] == 3
    assert row(doc, "DE")["with_data"] == 3


async def test_a_revision_does_not_break_up_the_requests_it_shares_a_basis_with(
    container: Container,
) -> None:
    first, second = rec(), rec(at=MARCH + DAY, ref="ag-7/26")
    doc = await report(container, first, second, rec(at=MARCH + 5 * DAY, revision_of=first))
    assert row(doc, "DE")["requests"] == 2  # first and second as one, the revision on its own


async def test_challenged_and_denied_requests_count_one_each_even_sharing_a_basis(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec("challenged"),
        rec("challenged"),
        rec("rejected"),
        rec("rejected"),
        rec("with_data"),
        rec("with_data"),  # these two are one
    )
    figures = row(doc, "DE")
    assert figures["requests"] == 5
    assert figures["challenged_or_rejected"] == 4
    assert figures["with_data"] == 1


async def test_requests_neither_processed_nor_challenged_count_one_each(
    container: Container,
) -> None:
    doc = await report(
        container, rec("pending"), rec("pending"), rec("approved"), rec("approved"),
        rec("withdrawn"), rec("withdrawn"),
    )  # fmt: skip
    figures = row(doc, "DE")
    assert figures["requests"] == 6
    assert figures["challenged_or_rejected"] == figures["with_data"] == 0
    assert figures["with_data_pct"] == 0.0


async def test_many_pieces_of_information_about_one_account_and_one_product_count_once(
    container: Container,
) -> None:
    request = rec(
        targets=[
            ("email", "a@x.de"),  # A, C and E about it
            ("email", " A@X.de "),  # the same account, written differently
            ("serial_number", "SN-1"),  # B about it
            ("serial_number", "sn-1"),
        ]
    )
    await store(container, request)
    await ask(container, request, {"email": "ACE", "serial_number": "B"})
    doc = await sql_document(container, [request], 2026, ["CN"])
    figures = row(doc, "DE")
    assert figures["requests"] == 1
    assert figures["accounts_specified"] == 1
    assert figures["products_specified"] == 1


async def test_two_identifiers_for_two_accounts_count_as_two_accounts(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(targets=[("email", "a@x.de"), ("username", "bob")], ref="A-1"),
        rec(targets=[("email", "a@x.de"), ("email", "b@x.de")], ref="A-2"),
        rec(targets=[("order_id", "O-77"), ("phone", "+4930123456")], ref="A-3"),
        rec(targets=[("serial_number", "SN-1"), ("serial_number", "SN-2")], ref="A-4"),
    )
    figures = row(doc, "DE")
    assert figures["requests"] == 4
    assert figures["accounts_specified"] == 6  # orders count as accounts
    assert figures["products_specified"] == 2


async def test_an_account_named_by_requests_counted_as_one_counts_once(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(targets=[("email", "a@x.de")]),
        rec(targets=[("email", "A@x.de"), ("username", "bob")]),  # merged with the first
        rec("rejected", targets=[("email", "a@x.de")]),  # its own request
    )
    figures = row(doc, "DE")
    assert figures["requests"] == 2
    assert figures["accounts_specified"] == 3  # a@x.de and bob, then a@x.de again


async def test_a_request_without_targets_names_no_account(container: Container) -> None:
    doc = await report(container, rec(targets=[]), rec("rejected", targets=[]))
    figures = row(doc, "DE")
    assert (figures["requests"], figures["accounts_specified"]) == (2, 0)
    assert figures["products_specified"] == 0


async def test_the_category_is_the_requests_own_and_a_plugins_category_has_its_own_row(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(category="account", ref="A-1"),
        rec(category="product", ref="A-2"),
        rec("rejected", category="preservation", ref="A-3"),
        rec(category="preservation", ref="A-4"),
    )
    # the same upper-case codes as everywhere in the API, whatever the stored spelling
    assert [(r["country"], r["category"], r["requests"]) for r in doc["rows"]] == [
        ("DE", "ACCOUNT", 1),
        ("DE", "PRESERVATION", 2),
        ("DE", "PRODUCT", 1),
    ]
    assert [(c["category"], c["requests"]) for c in doc["totals"]["categories"]] == [
        ("ACCOUNT", 1),
        ("PRESERVATION", 2),
        ("PRODUCT", 1),
    ]


async def test_a_request_counted_as_one_takes_the_category_of_the_first_received(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(category="product", at=MARCH + DAY),
        rec(category="transaction", at=MARCH),  # received first
        rec(category="account", at=MARCH + 2 * DAY),
    )
    assert [(r["category"], r["requests"]) for r in doc["rows"]] == [("TRANSACTION", 1)]


async def test_requests_received_at_the_same_instant_are_taken_in_the_order_of_their_ids(
    container: Container,
) -> None:
    low, high = uuid.UUID(int=1), uuid.UUID(int=2**127)
    at_once = [replace(rec(category="product"), id=high),
               replace(rec(category="transaction"), id=low)]  # fmt: skip
    doc = await report(container, *at_once)
    assert [(r["category"], r["requests"]) for r in doc["rows"]] == [("TRANSACTION", 1)]


async def test_the_year_is_the_utc_year_of_receipt(container: Container) -> None:
    history = [
        rec(at=datetime(2025, 12, 31, 23, 59, 59, tzinfo=UTC), ref="A-1"),
        rec(at=datetime(2026, 1, 1, 0, 0, 0, tzinfo=UTC), ref="A-2"),
        # 00:30 in Berlin on New Year's Day is still 2025 in UTC
        rec(at=datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), ref="A-3"),
        # 19:30 in New York on New Year's Eve is already 2026 in UTC
        rec(at=datetime(2025, 12, 31, 19, 30, tzinfo=timezone(timedelta(hours=-5))), ref="A-4"),
        rec(at=datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), ref="A-5"),
        rec(at=datetime(2027, 1, 1, tzinfo=UTC), ref="A-6"),
    ]
    await store(container, *history)
    in_2025 = await sql_document(container, history, 2025, ["CN"])
    in_2026 = await sql_document(container, history, 2026, ["CN"])
    assert worldwide(in_2025)["requests"] == 2
    assert worldwide(in_2026)["requests"] == 3
    assert (in_2025["year"], in_2026["year"]) == (2025, 2026)


async def test_requests_sharing_a_basis_across_new_year_count_once_in_each_year(
    container: Container,
) -> None:
    history = [
        rec(at=BOUNDARY - timedelta(seconds=1), days=2),
        rec(at=BOUNDARY, days=1),
        rec(at=BOUNDARY + DAY, days=3),
    ]
    await store(container, *history)
    in_2025 = await sql_document(container, history, 2025, ["CN"])
    in_2026 = await sql_document(container, history, 2026, ["CN"])
    assert (row(in_2025, "DE")["requests"], row(in_2025, "DE")[MEDIAN]) == (1, 2.0)
    # in 2026 the unit starts at midnight and was first answered a day later
    assert (row(in_2026, "DE")["requests"], row(in_2026, "DE")[MEDIAN]) == (1, 1.0)


async def test_excluded_countries_are_in_no_row_and_no_total(container: Container) -> None:
    history = [
        rec(country="CN", ref="A-1", days=1),
        rec("rejected", country="CN", category="product", ref="A-2", days=50),
        rec(country="DE", ref="A-3", days=3),
        rec(country="US", category="product", ref="A-4", days=5),
    ]
    await store(container, *history)
    doc = await sql_document(container, history, 2026, ["CN"])
    assert doc["excluded_countries"] == ["CN"]
    assert {r["country"] for r in doc["rows"]} == {"DE", "US"}
    assert category(doc, "PRODUCT")["requests"] == 1
    assert category(doc, "PRODUCT")["challenged_or_rejected"] == 0
    assert worldwide(doc)["requests"] == 2
    assert worldwide(doc)[MEDIAN] == 4.0
    everything = await sql_document(container, history, 2026, [])
    assert worldwide(everything)["requests"] == 4
    assert row(everything, "CN", "PRODUCT")["requests"] == 1
    fewer = await sql_document(container, history, 2026, ["CN", "US"])
    assert [r["country"] for r in fewer["rows"]] == ["DE"]
    async with container.db.reader() as session:  # codes are compared whatever their case
        written_small = await compute(session, 2026, ["cn", "us"])
    assert [r["country"] for r in written_small["rows"]] == ["DE"]


async def test_every_figure_comes_from_one_grouping_statement(container: Container) -> None:
    """Rows, category totals and the worldwide total: one statement, whatever the history's
    size (the units are computed once, then grouped three ways)."""
    history = [rec(ref=f"A-{i}", country=("DE", "FR", "US")[i % 3]) for i in range(9)]
    await store(container, *history)
    async with container.db.reader() as session:
        with counting(container.db.engine) as statements:
            raw = await compute(session, 2026, ["CN"])
    assert len(statements) == 1, statements
    assert "GROUP BY" in statements[0].upper()
    assert [r["requests"] for r in raw["rows"]] == [3, 3, 3]
    assert raw["worldwide"][0]["requests"] == 9


async def test_the_median_of_an_odd_count_is_the_middle_one(container: Container) -> None:
    doc = await report(
        container,
        rec(days=10, ref="A-1"),
        rec("rejected", days=2, ref="A-2"),
        rec("challenged", days=4, ref="A-3"),
    )
    assert row(doc, "DE")[MEDIAN] == 4.0


async def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(days=20, ref="A-1"),
        rec(days=2, ref="A-2"),
        rec("rejected", days=10, ref="A-3"),
        rec(days=4, ref="A-4"),
    )
    assert row(doc, "DE")[MEDIAN] == 7.0


async def test_unanswered_requests_are_left_out_of_the_median(container: Container) -> None:
    doc = await report(
        container,
        rec(days=2, ref="A-1"),
        rec(days=4, ref="A-2"),
        rec(days=10, ref="A-3"),
        rec("pending", ref="A-4"),
        rec("approved", ref="A-5"),
        rec("withdrawn", ref="A-6"),
    )
    figures = row(doc, "DE")
    assert (figures["requests"], figures[MEDIAN]) == (6, 4.0)


async def test_a_group_with_no_answered_request_has_no_median(container: Container) -> None:
    doc = await report(container, rec(days=3), rec("pending", country="FR"))
    assert row(doc, "FR")[MEDIAN] is None
    assert worldwide(doc)[MEDIAN] == 3.0


async def test_the_median_keeps_a_fraction_of_a_day_rounded_to_one_decimal(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(days=1.25, ref="A-1"),  # 30 hours
        rec(days=2 + 1 / 3, ref="A-2"),  # 56 hours
    )
    assert row(doc, "DE")[MEDIAN] == round((1.25 + 2 + 1 / 3) / 2, 1) == 1.8


async def test_a_request_counted_as_one_runs_from_first_receipt_to_first_answer(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(at=MARCH + 3 * DAY, days=1),  # answered on day 4
        rec(at=MARCH, days=5),  # received first, answered on day 5
        rec(at=MARCH + DAY),  # not answered
    )
    assert (row(doc, "DE")["requests"], row(doc, "DE")[MEDIAN]) == (1, 4.0)


async def test_with_data_pct_is_the_share_of_requests_with_data(container: Container) -> None:
    doc = await report(
        container,
        rec(ref="A-1"),
        rec("rejected"),
        rec("challenged"),
        rec(country="FR", ref="A-1"),
        rec(country="FR", ref="A-2"),
        rec("pending", country="FR"),
    )
    assert (row(doc, "DE")["with_data"], row(doc, "DE")["with_data_pct"]) == (1, 33.3)
    assert (row(doc, "FR")["with_data"], row(doc, "FR")["with_data_pct"]) == (2, 66.7)
    assert worldwide(doc)["with_data_pct"] == 50.0


async def test_totals_are_the_sums_of_the_rows_and_the_medians_are_over_all_units(
    container: Container,
) -> None:
    history = [
        rec(days=1, ref="A-1", targets=[("email", "a@x.de")]),
        rec("rejected", days=2, ref="A-2", targets=[("email", "b@x.de")]),
        rec(days=3, ref="A-3", targets=[("serial_number", "SN-1")]),
        rec(country="FR", days=10, ref="A-1", targets=[("email", "a@x.de")]),
        rec("challenged", country="US", category="product", days=100, ref="B-1"),
        rec(country="US", category="product", days=200, ref="B-2"),
        rec("pending", country="US", category="product", ref="B-3"),
    ]
    doc = await report(container, *history)
    groups = [("DE", "ACCOUNT"), ("FR", "ACCOUNT"), ("US", "PRODUCT")]
    assert [row(doc, c, k)[MEDIAN] for c, k in groups] == [2.0, 10.0, 150.0]
    # the medians of every unit, not medians of the medians (10.0, 6.0)
    assert category(doc, "ACCOUNT")[MEDIAN] == 2.5  # 1, 2, 3, 10
    assert worldwide(doc)[MEDIAN] == 6.5  # 1, 2, 3, 10, 100, 200
    counts = ("requests", "challenged_or_rejected", "with_data", "accounts_specified",
              "products_specified")  # fmt: skip
    for name in counts:
        for total in doc["totals"]["categories"]:
            rows = [r for r in doc["rows"] if r["category"] == total["category"]]
            assert total[name] == sum(r[name] for r in rows), (name, total)
        assert worldwide(doc)[name] == sum(r[name] for r in doc["rows"]), name
    assert worldwide(doc)["requests"] == 7
    assert worldwide(doc)["accounts_specified"] == 6  # the US ones name a@x.de each
    assert worldwide(doc)["products_specified"] == 1
    assert worldwide(doc)["with_data_pct"] == round(100 * 4 / 7, 1)


async def test_a_year_without_requests_has_zero_figures(container: Container) -> None:
    doc = await report(container, rec(at=datetime(2025, 6, 1, tzinfo=UTC)), year=2026)
    assert doc["rows"] == doc["totals"]["categories"] == []
    assert worldwide(doc) == {
        "requests": 0, "challenged_or_rejected": 0, "with_data": 0, "with_data_pct": None,
        "accounts_specified": 0, "products_specified": 0, MEDIAN: None,
    }  # fmt: skip


async def test_a_built_report_stores_the_figures_the_reference_counts(
    container: Container,
) -> None:
    history = [
        rec(days=1.4),  # medians away from a rounding edge: the stored figures are rounded
        rec(at=MARCH + DAY, days=0.5, targets=[("username", "bob")]),
        rec("rejected", country="CN", days=3),
        rec("challenged", country="US", category="preservation", days=7, ref="P-1"),
        rec(at=datetime(2025, 12, 31, 23, tzinfo=UTC)),
    ]
    await store(container, *history)
    excluded = await container.report_exclusions()
    assert excluded == []  # nothing configured, no plugin adds any: CN is the policy's own
    draft = await build_report(container.db, container.clock, None, 2026, excluded)
    cn = Exclusion("CN", ALWAYS_EXCLUDED_REASON)
    assert json.loads(draft.figures) == reference.document(history, 2026, [cn])
    assert json.loads(draft.figures)["exclusions"] == [
        {"country": "CN", "reason": ALWAYS_EXCLUDED_REASON}
    ]


# --- method 2026.2: with data means data; subjects, not identifiers; exclusions with reasons ---

ACCOUNT = f"account:{uuid.uuid5(NAMESPACE, 'account-x')}"
OTHER_ACCOUNT = f"account:{uuid.uuid5(NAMESPACE, 'account-y')}"
PRODUCT = f"product:{uuid.uuid5(NAMESPACE, 'product-x')}"


async def test_a_release_without_a_record_is_an_answer_but_not_with_data(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec("no_data", days=2, ref="A-1"),
        rec("rejected", days=4, ref="A-2"),
    )
    figures = row(doc, "DE")
    assert (figures["requests"], figures["with_data"], figures["with_data_pct"]) == (2, 0, 0.0)
    assert figures["challenged_or_rejected"] == 1  # answered empty is not a challenge
    assert figures[MEDIAN] == 3.0  # but it is an answer: 2 and 4 days


async def test_released_requests_sharing_a_basis_count_as_one_with_or_without_records(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec("no_data", ref="AG-1", days=1),
        rec("no_data", ref="ag-1", at=MARCH + DAY),  # one request with the first, no data
        rec("no_data", ref="AG-2"),
        rec("with_data", ref="AG-2", at=MARCH + DAY),  # one request with data
    )
    figures = row(doc, "DE")
    assert (figures["requests"], figures["with_data"]) == (2, 1)


async def test_one_account_named_by_email_phone_and_user_name_is_one_account(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(
            targets=[
                ("email", "a@x.de", ACCOUNT),
                ("phone", "+4930123456", ACCOUNT),
                ("username", "anna", ACCOUNT),
                ("serial_number", "SN-1", PRODUCT),
                ("serial_number", "SN-1-old", PRODUCT),
            ]
        ),
    )
    figures = row(doc, "DE")
    assert (figures["accounts_specified"], figures["products_specified"]) == (1, 1)


async def test_identifiers_resolving_to_nothing_count_once_each_beside_the_subjects(
    container: Container,
) -> None:
    doc = await report(
        container,
        rec(
            ref="A-1",
            targets=[
                ("email", "a@x.de", ACCOUNT),
                ("email", "ghost@x.de", None),  # looked up at review: nothing
                ("email", " GHOST@x.de", None),  # the same identifier again
                ("username", "bob"),  # never looked up (imported history)
                ("order_id", "O-7", OTHER_ACCOUNT),
            ],
        ),
        rec(ref="A-2", targets=[("phone", "+4930123456", ACCOUNT)]),  # its own request
    )
    figures = row(doc, "DE")
    assert figures["requests"] == 2
    assert figures["accounts_specified"] == 4 + 1  # x, ghost, bob, y; then x again


async def test_a_subject_counts_by_its_own_kind(container: Container) -> None:
    """What an identifier resolved to decides whether an account or a product was specified
    (a serial number of a device registered to an account, resolved to the product)."""
    doc = await report(container, rec(targets=[("serial_number", "SN-9", PRODUCT),
                                                 ("order_id", "O-9", ACCOUNT)]))  # fmt: skip
    figures = row(doc, "DE")
    assert (figures["accounts_specified"], figures["products_specified"]) == (1, 1)


async def test_cn_is_excluded_whatever_configuration_and_plugins_ask(
    container: Container,
) -> None:
    await store(container, rec(country="CN", ref="A-1"), rec(country="DE", ref="A-2"))
    draft = await build_report(container.db, container.clock, None, 2026, [])
    figures = json.loads(draft.figures)
    assert figures["excluded_countries"] == ["CN"]
    assert figures["exclusions"] == [{"country": "CN", "reason": ALWAYS_EXCLUDED_REASON}]
    assert [r["country"] for r in figures["rows"]] == ["DE"]


async def test_every_further_exclusion_is_listed_with_its_reason(container: Container) -> None:
    await store(container, rec(country="KP", ref="A-1"), rec(country="DE", ref="A-2"))
    asked = [
        Exclusion("kp", "  no lawful   channel exists ", "configuration"),
        Exclusion("KP", "sanctions", "plugin 'acme'"),
        Exclusion("CN", "", "plugin 'acme'"),  # CN needs none: the policy's own
    ]
    draft = await build_report(container.db, container.clock, None, 2026, asked)
    figures = json.loads(draft.figures)
    assert figures["exclusions"] == [
        {"country": "CN", "reason": ALWAYS_EXCLUDED_REASON},
        {"country": "KP", "reason": "no lawful channel exists sanctions"},
    ]
    assert [r["country"] for r in figures["rows"]] == ["DE"]


@pytest.mark.parametrize(
    ("asked", "named"),
    [
        (["US"], "the caller excludes US without a reason"),
        ([Exclusion("US", "  ", "plugin 'acme'")], "plugin 'acme' excludes US without a reason"),
        ([Exclusion("U5", "why", "configuration")], "configuration: 'U5' is not a two-letter"),
    ],
)
async def test_an_exclusion_without_a_reason_stops_the_build_naming_its_source(
    container: Container, asked: list[Exclusion | str], named: str
) -> None:
    await store(container, rec(ref="A-1"))
    try:
        await build_report(container.db, container.clock, None, 2026, asked)
    except DomainError as error:
        assert error.problems[0].code == ErrorCode.EXCLUSION_WITHOUT_REASON
        assert named in error.problems[0].message, error.problems[0].message
    else:
        raise AssertionError("built with an exclusion without a reason")
    async with container.db.reader() as session:
        assert (await session.scalars(select(TransparencyReport))).all() == []


# --- the property: SQL and reference agree ------------------------------------------------

COUNTRIES = ("DE", "FR", "US", "CN")
CATEGORIES = ("account", "product", "transaction", "emergency", "preservation")
OUTCOMES = ("with_data",) * 4 + ("no_data",) * 2 + (
    "challenged", "rejected", "approved", "pending", "withdrawn",
)  # fmt: skip
KINDS = ("warrant", "court_order")
REFERENCES = ("W-1", "W-2", "Az 7/26", "Az 7 /26", "Az  7 /26", "Straße 4", "ÄZ ß")
TYPES = ("email", "phone", "username", "order_id", "serial_number", "ip_address")
IDENTIFIERS = ("a@x.de", "SN-1", "Bob", "Jürgen", "+4930123456", "O-77")
ZONES = (UTC, timezone(timedelta(hours=1)), timezone(timedelta(hours=-8)),
         timezone(timedelta(hours=5, minutes=30)))  # fmt: skip
#: the two years either side of the boundary, and a little of the years around them
SPAN = 400 * 86400


def written(text: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """``text`` as people write it: in any case, now and then with spaces around it."""
    return st.builds(
        lambda base, case, lead, trail: f"{lead}{case(base)}{trail}",
        text,
        st.sampled_from([str, str.upper, str.lower]),
        st.sampled_from(["", "", " ", "  "]),
        st.sampled_from(["", "", " "]),
    )


#: what targets resolved to at review: a few accounts and products (several identifiers may
#: name one), nothing, or never looked up (no third element)
SUBJECTS = (
    *(f"account:{uuid.uuid5(NAMESPACE, f'account-{i}')}" for i in range(3)),
    *(f"product:{uuid.uuid5(NAMESPACE, f'product-{i}')}" for i in range(2)),
    None,
)


def _target(kind: str, identifier: str, subject: str | None, resolved: bool) -> tuple[str, ...]:
    return (kind, identifier, subject) if resolved else (kind, identifier)


targets = st.lists(
    st.builds(
        _target,
        st.sampled_from(TYPES),
        written(st.sampled_from(IDENTIFIERS)),
        st.sampled_from(SUBJECTS),
        st.booleans(),
    ),
    max_size=4,
).map(tuple)
moments = st.builds(
    lambda seconds, micro, zone: (
        BOUNDARY + timedelta(seconds=seconds, microseconds=micro)
    ).astimezone(zone),
    st.one_of(st.sampled_from([-86400, -1, 0, 3600]), st.integers(-SPAN, SPAN)),
    st.sampled_from([0, 0, 0, 999_999]) | st.integers(0, 999_999),
    st.sampled_from(ZONES),
)


@st.composite
def histories(draw: st.DrawFn) -> list[Record]:
    """Up to 30 requests from one to three countries on one to three legal bases (each
    request writing its reference its own way), some revising an earlier one, some received
    at the same instant as an earlier one (written in another time zone)."""
    n = draw(st.integers(0, 30), label="size")
    ids = draw(st.lists(st.uuids(), min_size=n, max_size=n, unique=True))
    countries = draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=3, unique=True))
    bases = draw(
        st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(REFERENCES)),
                 min_size=1, max_size=3)
    )  # fmt: skip
    history: list[Record] = []
    for i in range(n):
        # now and then a twin: from the same country, on the same basis, at the same instant
        twin = draw(st.sampled_from(history)) if i and draw(st.integers(0, 4)) == 0 else None
        if twin is None:
            received, country = draw(moments), draw(st.sampled_from(countries))
            kind, ref = draw(st.sampled_from(bases))
        else:
            received = twin.received_at.astimezone(draw(st.sampled_from(ZONES)))
            country, kind, ref = twin.country, twin.basis.kind, twin.basis.reference.strip()
        answer = draw(st.none() | st.integers(0, 120 * 24 * 60))  # whole minutes
        revises = draw(st.sampled_from(ids[:i])) if i and draw(st.integers(0, 5)) == 0 else None
        history.append(
            Record(
                id=ids[i],
                country=country,
                category=draw(st.sampled_from(CATEGORIES)),
                outcome=draw(st.sampled_from(OUTCOMES)),
                received_at=received,
                responded_at=None if answer is None else received + timedelta(minutes=answer),
                basis=Basis(kind, draw(written(st.just(ref)))),
                targets=draw(targets),
                revision_of=revises,
            )
        )
    return history


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    history=histories(),
    excluded=st.sampled_from([(), ("CN",), ("CN", "US")]),
)
async def test_the_database_counts_as_the_reference_does(
    container: Container, history: list[Record], excluded: tuple[str, ...]
) -> None:
    await replace_history(container, history)
    for year in (2025, 2026):
        await sql_document(container, history, year, excluded)


async def test_builds_of_one_year_at_the_same_moment_leave_one_draft(container: Container) -> None:
    """Two staff members build at once: each build either stores its draft or is told to build
    again (CONFLICT) — never a database error — and one draft remains."""
    await store(container, rec(ref="A-1"), rec(ref="A-2", country="FR"))
    results = await asyncio.gather(
        *(build_report(container.db, container.clock, None, 2026, ["CN"]) for _ in range(4)),
        return_exceptions=True,
    )
    for result in results:
        if isinstance(result, BaseException):
            assert isinstance(result, DomainError), result
            assert result.problems[0].code == ErrorCode.CONFLICT
    async with container.db.reader() as session:
        drafts = list(await session.scalars(select(TransparencyReport).where(
            TransparencyReport.year == 2026, TransparencyReport.status == "draft")))  # fmt: skip
    assert len(drafts) == 1 and drafts[0].version == 1
    assert json.loads(drafts[0].figures)["totals"]["worldwide"]["requests"] == 2
