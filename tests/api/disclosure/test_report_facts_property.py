"""Property, on SQLite and PostgreSQL: the report built from its facts (``report_facts``, kept
at every change) equals the report as the former SQL computed it from the request tables
(``tests/report_sql_reference.py``), on random histories driven through the real services —
submissions and revisions from agencies of several countries on shared legal bases, reviews
that resolve targets, clarifications asked and answered, decisions that approve, reject or
object, releases with and without records, withdrawals and reclassifications, at moments on
both sides of a year's end. A change site that forgot the facts would show here as a figure
that differs. The facts also equal those a full rebuild makes from the same rows.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.api.disclosure.support import UserData
from tests.helpers import OPERATOR, World
from tests.report_sql_reference import compute_sql
from tests.support.hypothesis_profiles import examples
from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import ReportFact, Request, RequestedItem
from trustcenter.db.report_facts import facts_select
from trustcenter.db.repositories.report import ReportRepository
from trustcenter.domain.decisions import Decision
from trustcenter.domain.enums import DecisionOutcome, IdentifierType, InfoType, LegalBasisKind
from trustcenter.domain.errors import DomainError
from trustcenter.domain.report import shape
from trustcenter.domain.submission import LegalBasisDraft, Officer, SubmissionDraft, TargetDraft
from trustcenter.services import review
from trustcenter.services.agency_actions import answer_clarification, withdraw
from trustcenter.services.classification import reclassify
from trustcenter.services.disclosure import release
from trustcenter.services.reports import build_report, rebuild_facts
from trustcenter.services.requests import revise, submit_request

AGENCY_SCOPES = frozenset({"requests:submit", "requests:read", "disclosures:read"})
STAFF = Principal(PrincipalKind.STAFF, client_id="reviewer-1", scopes=frozenset({"review"}))
COUNTRIES = ("DE", "FR", "CN")
#: identifiers the company holds (the seeded accounts and a camera) and one it does not
TARGETS = (
    (IdentifierType.EMAIL, "suspect@example.com"),
    (IdentifierType.EMAIL, "Plain@Example.com "),
    (IdentifierType.PHONE, "+4915111111111"),  # the suspect again, by phone
    (IdentifierType.SERIAL_NUMBER, "C6N1234567"),
    (IdentifierType.EMAIL, "nobody@example.com"),
)
REFERENCES = ("W-1", "w-1 ", "W-2")
#: what happens to a request after it is received
PATHS = (
    "stays", "withdrawn", "reviewed", "clarified", "clarified_answered", "rejected", "objected",
    "approved", "released", "released", "withdrawn_in_review",
)  # fmt: skip
#: the first moment: three weeks before the year's end (UTC), so histories straddle it
FIRST = datetime(2025, 12, 10, 12, 0, tzinfo=UTC)


@st.composite
def plans(draw: st.DrawFn) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(1, 6), label="requests")):
        chosen = draw(st.lists(st.sampled_from(TARGETS), min_size=1, max_size=3, unique=True))
        out.append(
            {
                "country": draw(st.sampled_from(COUNTRIES)),
                "kind": draw(st.sampled_from([LegalBasisKind.WARRANT, LegalBasisKind.COURT_ORDER])),
                "reference": draw(st.sampled_from(REFERENCES)),
                "targets": [
                    (kind, identifier, draw(st.sets(st.sampled_from(list(InfoType)), min_size=1)))
                    for kind, identifier in chosen
                ],
                "path": draw(st.sampled_from(PATHS)),
                "revises": draw(st.none() | st.integers(0, i - 1)) if i else None,
                "reclassify": draw(
                    st.none() | st.sampled_from(["ACCOUNT", "PRODUCT", "EMERGENCY"])
                ),
                # minutes before it is received, and between its steps
                "gap": draw(st.integers(0, 20 * 24 * 60)),
                "steps": draw(st.lists(st.integers(0, 5 * 24 * 60), min_size=5, max_size=5)),
            }
        )
    return out


def draft(plan: dict[str, Any]) -> SubmissionDraft:
    return SubmissionDraft(
        jurisdiction=plan["country"],
        officer=Officer(name="K. Weber", email="k.weber@polizei.example"),
        legal_basis=LegalBasisDraft(
            plan["kind"],
            plan["reference"],
            "Amtsgericht Tiergarten",
            date(2025, 11, 1),
            document=b"%PDF-1.4 warrant",
        ),
        targets=tuple(
            TargetDraft(kind, identifier, tuple(sorted(infos)), None, None)
            for kind, identifier, infos in plan["targets"]
        ),
        reason="Property test of the report's facts",
    )


async def agency_of(world: World, country: str) -> Principal:
    agency_id = await world.agency(country)
    return Principal(
        PrincipalKind.AGENCY,
        client_id=f"agency-{country}",
        agency_id=agency_id,
        agency_verified=True,
        scopes=AGENCY_SCOPES,
    )


async def decide_all(c: Container, request_id: uuid.UUID, outcome: DecisionOutcome) -> None:
    async with c.db.reader() as s:
        items = list(
            await s.scalars(
                select(RequestedItem.id).where(
                    RequestedItem.request_id == request_id, RequestedItem.outcome.is_(None)
                )
            )
        )
    version = await current_version(c, request_id)
    reason = None if outcome is DecisionOutcome.APPROVE else "OVERBROAD"
    explanation = None if outcome is DecisionOutcome.APPROVE else "Too broad for the case."
    decisions = [review.ItemDecision(i, Decision(outcome, reason, explanation)) for i in items]
    await review.decide(c, STAFF, request_id, version, decisions)


async def current_version(c: Container, request_id: uuid.UUID) -> int:
    async with c.db.reader() as s:
        version = await s.scalar(select(Request.version).where(Request.id == request_id))
    assert version is not None
    return int(version)


def path_of(
    c: Container, agency: Principal, rid: uuid.UUID, plan: dict[str, Any]
) -> list[Callable[[], Awaitable[Any]]]:
    """The service calls of the request's path, in order."""
    path = plan["path"]
    if path == "stays":
        return []
    if path == "withdrawn":
        return [lambda: withdraw(c, agency, rid, "no longer needed")]
    calls: list[Callable[[], Awaitable[Any]]] = [lambda: review.start_review(c, STAFF, rid)]
    if plan["reclassify"]:
        calls.append(lambda: reclassify_now(c, rid, plan["reclassify"]))
    if path == "withdrawn_in_review":
        calls.append(lambda: withdraw(c, agency, rid, "no longer needed"))
    elif path in ("clarified", "clarified_answered"):
        calls.append(lambda: review.ask_clarification(c, STAFF, rid, "Which period exactly?"))
        if path == "clarified_answered":
            calls.append(lambda: answer_clarification(c, agency, rid, "The whole year."))
    elif path == "rejected":
        calls.append(lambda: decide_all(c, rid, DecisionOutcome.REJECT))
    elif path == "objected":
        calls.append(lambda: decide_all(c, rid, DecisionOutcome.OBJECT))
    elif path in ("approved", "released"):
        calls.append(lambda: decide_all(c, rid, DecisionOutcome.APPROVE))
        if path == "released":
            calls.append(lambda: release(c, STAFF, rid))
    return calls


async def play(
    c: Container, clock: FixedClock, agency: Principal, rid: uuid.UUID, plan: dict[str, Any]
) -> None:
    """The request's path, each step a few minutes to days after the one before, the facts
    checked after each; a step the product refuses (D of an account without a premium
    service, say) changes nothing and ends the path."""
    for call, minutes in zip(path_of(c, agency, rid, plan), plan["steps"], strict=False):
        clock.advance(timedelta(minutes=minutes))
        try:
            await call()
        except DomainError:
            return
        finally:
            await assert_current(c)


async def reclassify_now(c: Container, rid: uuid.UUID, category: str) -> None:
    await reclassify(c, STAFF, rid, await current_version(c, rid), category, "property")


async def assert_current(c: Container) -> None:
    """Every request's facts are what its rows say now (computed afresh, not written)."""
    async with c.db.reader() as s:
        kept = {r[0]: tuple(r) for r in await s.execute(select(ReportFact.__table__))}
        fresh = {r[0]: tuple(r) for r in await s.execute(facts_select(c.db.dialect, None))}
    assert kept == fresh


async def facts(c: Container) -> list[tuple[Any, ...]]:
    async with c.db.reader() as s:
        rows = await s.execute(select(ReportFact.__table__).order_by(ReportFact.request_id))
        return [tuple(r) for r in rows.all()]


@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=plans())
async def test_the_facts_count_as_the_former_sql_on_histories_played_through_the_services(
    history: list[dict[str, Any]],
    container: Container,
    world: World,
    clock: FixedClock,
    userdata: UserData,
) -> None:
    c = container  # the examples add up in the test's database: each checks all so far
    clock.set(FIRST)
    agencies = {country: await agency_of(world, country) for country in COUNTRIES}
    ids: list[uuid.UUID] = []
    for plan in history:
        clock.advance(timedelta(minutes=plan["gap"]))
        agency = agencies[plan["country"]]
        try:
            if plan["revises"] is not None and plan["revises"] < len(ids):
                earlier = ids[plan["revises"]]
                made = await revise(c, agency, earlier, draft(plan))
            else:
                made = await submit_request(c, agency, draft(plan))
        except DomainError:  # e.g. a revision of another agency's request, or of one closed
            made = await submit_request(c, agency, draft(plan))
        ids.append(made.request.id)
        await assert_current(c)
        await play(c, clock, agency, made.request.id, plan)

    for year in (2025, 2026):
        async with c.db.reader() as s:
            from_facts = shape(year, await ReportRepository(s).compute(year, ["CN"]), ["CN"])
            former = shape(year, await compute_sql(s, year, ["CN"]), ["CN"])
        assert from_facts == former, year
    # the report a reporter builds (a draft of the running year) counts the same
    clock.set(datetime(2026, 11, 30, tzinfo=UTC))
    built = json.loads((await build_report(c, OPERATOR, 2026, ["CN"])).figures)
    assert (built["rows"], built["totals"]) == (former["rows"], former["totals"])
    kept = await facts(c)
    assert await rebuild_facts(c, OPERATOR) == len(kept)
    assert await facts(c) == kept  # what every change kept is what a rebuild makes
