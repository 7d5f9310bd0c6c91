"""The property, on SQLite and on PostgreSQL: the figures the database computes (GROUP BY) equal
those of the plain-Python reference in ``tests/report_reference.py`` on random request
histories; builds of one year at the same moment leave one draft.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.helpers import OPERATOR
from tests.integration.report_rules_helpers import (
    BOUNDARY,
    NAMESPACE,
    rec,
    replace_history,
    sql_document,
    store,
)
from tests.report_reference import Basis, Record
from tests.support.hypothesis_profiles import examples
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    TransparencyReport,
)
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.services.reports import build_report

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
    max_examples=examples(60),
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
        *(build_report(container, OPERATOR, 2026, ["CN"]) for _ in range(4)),
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
