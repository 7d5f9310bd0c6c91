"""Report method 2026.2, on SQLite and on PostgreSQL: with data means records, accounts are counted
by subject and not by identifier, CN is always excluded, and every exclusion has a reason.
"""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select

from tests.helpers import OPERATOR
from tests.integration.report_rules_helpers import (
    DAY,
    MARCH,
    MEDIAN,
    NAMESPACE,
    rec,
    report,
    row,
    store,
)
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    TransparencyReport,
)
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.report_policy import ALWAYS_EXCLUDED_REASON, Exclusion
from trustcenter.services.reports import build_report

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
    draft = await build_report(container, OPERATOR, 2026, [])
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
    draft = await build_report(container, OPERATOR, 2026, asked)
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
        await build_report(container, OPERATOR, 2026, asked)
    except DomainError as error:
        assert error.problems[0].code == ErrorCode.EXCLUSION_WITHOUT_REASON
        assert named in error.problems[0].message, error.problems[0].message
    else:
        raise AssertionError("built with an exclusion without a reason")
    async with container.db.reader() as session:
        assert (await session.scalars(select(TransparencyReport))).all() == []
