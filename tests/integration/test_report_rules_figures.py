"""The transparency report's figures, one test per rule, on SQLite and on PostgreSQL: the median
days to an answer, the share with data, the totals, an empty year, and the figures a built
report stores.

Histories are inserted straight into the tables and checked against the reference too.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tests import report_reference as reference
from tests.helpers import OPERATOR
from tests.integration.report_rules_helpers import (
    DAY,
    MARCH,
    MEDIAN,
    category,
    rec,
    report,
    row,
    store,
    worldwide,
)
from trustcenter.bootstrap import Container
from trustcenter.domain.report_policy import ALWAYS_EXCLUDED_REASON, Exclusion
from trustcenter.services.reports import build_report


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
    draft = await build_report(container, OPERATOR, 2026, excluded)
    cn = Exclusion("CN", ALWAYS_EXCLUDED_REASON)
    assert json.loads(draft.figures) == reference.document(history, 2026, [cn])
    assert json.loads(draft.figures)["exclusions"] == [
        {"country": "CN", "reason": ALWAYS_EXCLUDED_REASON}
    ]
