"""Property, on SQLite and PostgreSQL: random decisions never let anything outside the approved
scope out of a package.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from tests.api.disclosure.support import ALL, Approved, UserData, assert_package_holds_exactly
from tests.helpers import World
from tests.support.hypothesis_profiles import examples
from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    Disclosure,
    RequestedItem,
    Target,
)
from trustcenter.domain.decisions import Decision
from trustcenter.domain.enums import (
    DecisionOutcome,
    IdentifierType,
    InfoType,
    LegalBasisKind,
    ReasonCode,
)
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.minimization import FIELDS
from trustcenter.domain.submission import LegalBasisDraft, Officer, SubmissionDraft, TargetDraft
from trustcenter.services import review
from trustcenter.services.disclosure import open_for_download, release
from trustcenter.services.requests import submit_request

# --- property: random decisions never let anything outside the approved scope out -----------

AGENCY_SCOPES = frozenset({"requests:submit", "requests:read", "disclosures:read"})
STAFF = Principal(PrincipalKind.STAFF, client_id="reviewer-1", scopes=frozenset({"review"}))
PROPERTY_TARGETS = [
    (IdentifierType.EMAIL, "suspect@example.com"),
    (IdentifierType.EMAIL, "plain@example.com"),
    (IdentifierType.EMAIL, "bystander@example.com"),
    (IdentifierType.SERIAL_NUMBER, "C6N1234567"),
    (IdentifierType.EMAIL, "nobody@example.com"),  # the company holds no such account
]
FIRST_DAY = date(2025, 12, 1)
days = st.integers(min_value=0, max_value=300).map(lambda n: FIRST_DAY + timedelta(days=n))


def ordered(a: date | None, b: date | None) -> tuple[date | None, date | None]:
    if a and b and b < a:
        return b, a
    return a, b


@st.composite
def target_drafts(draw: st.DrawFn) -> tuple[TargetDraft, ...]:
    chosen = draw(
        st.lists(
            st.sampled_from(PROPERTY_TARGETS),
            min_size=1,
            max_size=len(PROPERTY_TARGETS),
            unique=True,
        )
    )
    out = []
    for kind, identifier in chosen:
        infos = draw(st.sets(st.sampled_from(list(InfoType)), min_size=1))
        lo, hi = ordered(draw(st.none() | days), draw(st.none() | days))
        out.append(TargetDraft(kind, identifier, tuple(sorted(infos)), lo, hi))
    return tuple(out)


def within(draw: st.DrawFn, lo: date | None, hi: date | None) -> tuple[date | None, date | None]:
    """A range inside [lo, hi] (either end may stay as requested)."""
    start = lo or FIRST_DAY - timedelta(days=30)
    end = hi or FIRST_DAY + timedelta(days=330)
    a = draw(
        st.none() | st.integers(0, (end - start).days).map(lambda n: start + timedelta(days=n))
    )
    b = draw(
        st.none() | st.integers(0, (end - start).days).map(lambda n: start + timedelta(days=n))
    )
    return ordered(a, b)


def draw_decision(draw: st.DrawFn, info: InfoType, lo: date | None, hi: date | None) -> Decision:
    outcome = draw(
        st.sampled_from(
            [
                DecisionOutcome.APPROVE,
                DecisionOutcome.NARROW,
                DecisionOutcome.NARROW,
                DecisionOutcome.REJECT,
                DecisionOutcome.OBJECT,
            ]
        )
    )
    if outcome is DecisionOutcome.APPROVE:
        return Decision(outcome)
    if outcome is not DecisionOutcome.NARROW:
        return Decision(outcome, ReasonCode.OVERBROAD.value, "Too broad for the case.")
    fields = draw(st.none() | st.sets(st.sampled_from(FIELDS[info]), min_size=1))
    a, b = within(draw, lo, hi)
    if fields is None and a is None and b is None:
        fields = {FIELDS[info][0]}
    return Decision(
        outcome,
        ReasonCode.OVERBROAD.value,
        None,
        a,
        b,
        tuple(sorted(fields)) if fields is not None else None,
    )


async def new_agency(world: World) -> Principal:
    agency_id = await world.agency("DE")
    return Principal(
        PrincipalKind.AGENCY,
        client_id="agency-client-1",
        agency_id=agency_id,
        agency_verified=True,
        scopes=AGENCY_SCOPES,
    )


@settings(
    max_examples=examples(15),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_random_decisions_never_disclose_anything_outside_the_approved_scope(
    data: st.DataObject, container: Container, world: World, userdata: UserData
) -> None:
    c = container
    agency = await new_agency(world)
    targets = data.draw(target_drafts(), label="targets")
    draft = SubmissionDraft(
        jurisdiction="DE",
        officer=Officer(name="K. Weber", email="k.weber@polizei.example"),
        legal_basis=LegalBasisDraft(
            LegalBasisKind.WARRANT,
            "AG-2026-7",
            "Amtsgericht Tiergarten",
            date(2026, 11, 1),
            document=b"%PDF-1.4 warrant",  # approving needs the legal document
        ),
        targets=targets,
        reason="Property test",
    )
    submitted = await submit_request(c, agency, draft)
    request_id = submitted.request.id
    started = await review.start_review(c, STAFF, request_id)

    async with c.db.reader() as s:
        rows = (
            await s.execute(
                select(RequestedItem, Target)
                .join(Target, Target.id == RequestedItem.target_id)
                .where(RequestedItem.request_id == request_id)
                .order_by(Target.position, RequestedItem.info_type)
            )
        ).all()
    decisions: list[review.ItemDecision] = []
    approved: list[Approved] = []
    for item, target in rows:
        info = InfoType(item.info_type)
        assert item.outcome is None  # nothing is decided but by a person
        owner = userdata.owner(target.identifier_type, target.identifier)
        if info is InfoType.D and owner is not None and not owner.premium:
            # approving D of an account without a premium service is refused: the reviewer
            # rejects it, and the agency reads NO_RESPONSIVE_DATA
            decisions.append(
                review.ItemDecision(
                    item.id, Decision(DecisionOutcome.REJECT, "NOT_PREMIUM", "No premium service.")
                )
            )
            continue
        decision = draw_decision(data.draw, info, item.range_from, item.range_to)
        decisions.append(review.ItemDecision(item.id, decision))
        if decision.outcome in (DecisionOutcome.APPROVE, DecisionOutcome.NARROW):
            fields = frozenset(decision.fields) if decision.fields is not None else ALL[info]
            approved.append(
                Approved(
                    target.identifier_type,
                    target.identifier,
                    info,
                    decision.outcome.value,
                    fields,
                    decision.approved_from or item.range_from,
                    decision.approved_to or item.range_to,
                )
            )
    if decisions:
        await review.decide(c, STAFF, request_id, started.version, decisions)
    owners = {t.identifier: userdata.owner(t.identifier_type.value, t.identifier) for t in targets}

    if not approved:
        with pytest.raises(DomainError) as refused:
            await release(c, STAFF, request_id)
        assert refused.value.problems[0].code is ErrorCode.INVALID_TRANSITION
        async with c.db.reader() as s:
            assert (
                await s.scalar(select(Disclosure).where(Disclosure.request_id == request_id))
                is None
            )
        return

    row = await release(c, STAFF, request_id)
    assert row.status == "disclosed"
    async with c.db.reader() as s:
        disclosure = await s.scalar(select(Disclosure).where(Disclosure.request_id == request_id))
    assert disclosure is not None
    opened, stream = await open_for_download(c, agency, disclosure.id)
    body = b"".join([piece async for piece in stream])
    assert hashlib.sha256(body).hexdigest() == opened.sha256
    assert len(body) == opened.size
    package = json.loads(body)
    # D only where the account used a premium service, whatever the reviewer chose: for an
    # account the company does not hold, an approved D item is left out
    allowed = [
        a
        for a in approved
        if a.info is not InfoType.D or (owners[a.identifier] and owners[a.identifier].premium)
    ]
    assert_package_holds_exactly(package, allowed, userdata)
    assert opened.record_count == sum(
        len(i["records"]) for t in package["targets"] for i in t["items"]
    )
