"""Property, on SQLite and PostgreSQL: the report facts a submission writes for its new request,
computed in Python as its rows are made (``report_facts.new_facts``), are the row the facts'
SQL (``report_facts.facts_select``) computes from the stored request — for every kind of
identifier, user names and order ids that differ in case only (two targets, one account or
order), the policy's categories and none given, revisions, and moments on both sides of a
year's end (UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.api.disclosure.test_report_facts_property import agency_of
from tests.helpers import World
from tests.support.hypothesis_profiles import examples
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import ReportFact
from trustcenter.db.report_facts import facts_select
from trustcenter.domain.enums import IdentifierType, InfoType, LegalBasisKind
from trustcenter.domain.errors import DomainError
from trustcenter.domain.submission import LegalBasisDraft, Officer, SubmissionDraft, TargetDraft
from trustcenter.services.requests import revise, submit_request

#: identifiers of every kind; user names and order ids that differ in case only are two
#: targets to the submission and one account or order to the report
IDENTIFIERS = (
    (IdentifierType.EMAIL, "suspect@example.com"),
    (IdentifierType.EMAIL, "other@example.com"),
    (IdentifierType.PHONE, "+4915111111111"),
    (IdentifierType.PHONE, "+4915222222222"),
    (IdentifierType.USERNAME, "night.owl"),
    (IdentifierType.USERNAME, "Night.Owl"),
    (IdentifierType.SERIAL_NUMBER, "C6N1234567"),
    (IdentifierType.SERIAL_NUMBER, "C6N7654321"),
    (IdentifierType.ORDER_ID, "ORD-2025-1"),
    (IdentifierType.ORDER_ID, "ord-2025-1"),
)
#: a year's end in UTC; minutes either side of it
YEAR_END = datetime(2026, 1, 1, tzinfo=UTC)


def draft(targets: list[tuple[IdentifierType, str]], category: str | None) -> SubmissionDraft:
    return SubmissionDraft(
        jurisdiction="DE",
        officer=Officer(name="K. Weber", email="k.weber@polizei.example"),
        legal_basis=LegalBasisDraft(
            LegalBasisKind.WARRANT, "W-7", "Amtsgericht Tiergarten", date(2025, 11, 1)
        ),
        targets=tuple(
            TargetDraft(kind, value, (InfoType.A,), None, None) for kind, value in targets
        ),
        reason="Property test of a new request's facts",
        category=category,
    )


@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    targets=st.lists(st.sampled_from(IDENTIFIERS), min_size=1, max_size=6, unique=True),
    minutes=st.integers(-26 * 60, 26 * 60),
    revises=st.booleans(),
    category=st.sampled_from([None, "ACCOUNT", "PRODUCT"]),
)
async def test_a_new_requests_facts_are_what_the_sql_computes_from_its_rows(
    targets: list[tuple[IdentifierType, str]],
    minutes: int,
    revises: bool,
    category: str | None,
    container: Container,
    world: World,
    clock: FixedClock,
) -> None:
    agency = await agency_of(world, "DE")
    clock.set(YEAR_END + timedelta(minutes=minutes))
    try:
        made = await submit_request(container, agency, draft(targets, category))
        if revises:  # a revision is a new request of its own too
            made = await revise(container, agency, made.request.id, draft(targets[::-1], None))
    except DomainError as refused:  # a category hint the targets contradict: nothing stored
        assert category is not None, refused
        return
    rid = made.request.id
    async with container.db.reader() as s:
        kept = (
            await s.execute(select(ReportFact.__table__).where(ReportFact.request_id == rid))
        ).one()
        fresh = (await s.execute(facts_select(container.db.dialect, [rid]))).one()
    assert tuple(kept) == tuple(fresh)
    assert kept.year == (YEAR_END + timedelta(minutes=minutes)).year
