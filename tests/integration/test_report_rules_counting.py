"""The transparency report's counting rules, one test per rule, on SQLite and on PostgreSQL: which
requests count as one, which accounts count, the category and the year of a unit, and the
excluded countries.

Histories are inserted straight into the tables (agencies, legal bases, requests, targets):
the report reads only what is stored, whatever way it got there. Every hand-made history is
also checked against the reference, so each rule test checks the SQL, the reference, and the
figures written down by hand.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from tests.helpers import counting

# --- one test per rule --------------------------------------------------------------------
from tests.integration.report_rules_helpers import (
    BOUNDARY,
    DAY,
    MARCH,
    MEDIAN,
    ask,
    category,
    rec,
    report,
    row,
    sql_document,
    store,
    worldwide,
)
from trustcenter.bootstrap import Container
from trustcenter.db.repositories.report import ReportRepository


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
        written_small = await ReportRepository(session).compute(2026, ["cn", "us"])
    assert [r["country"] for r in written_small["rows"]] == ["DE"]


async def test_every_figure_comes_from_one_grouping_statement(container: Container) -> None:
    """Rows, category totals and the worldwide total: one statement, whatever the history's
    size (the units are computed once, then grouped three ways)."""
    history = [rec(ref=f"A-{i}", country=("DE", "FR", "US")[i % 3]) for i in range(9)]
    await store(container, *history)
    async with container.db.reader() as session:
        with counting(container.db.engine) as statements:
            raw = await ReportRepository(session).compute(2026, ["CN"])
    assert len(statements) == 1, statements
    assert "GROUP BY" in statements[0].upper()
    assert [r["requests"] for r in raw["rows"]] == [3, 3, 3]
    assert raw["worldwide"][0]["requests"] == 9
