"""The demo's requests: planned from the seeded random source, then played through the services.

Planning decides who sends each request and when, what it names, how a reviewer decides each
item and when every step happens. Playing submits each request with
``services.requests.submit_request`` and moves it on with the services people use (review,
decisions, release, closing, withdrawal, a revision that supersedes), in the order of time, on
a clock set to each step: the demo holds only states the product can reach.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple

from trustcenter import demo_data as data
from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.auth.scopes import REQUESTS_SUBMIT, REVIEW
from trustcenter.db import models as m
from trustcenter.domain.decisions import Decision
from trustcenter.domain.enums import DecisionOutcome, IdentifierType, InfoType
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.minimization import FIELDS
from trustcenter.domain.rules import derive_category
from trustcenter.domain.submission import LegalBasisDraft, Officer, SubmissionDraft, TargetDraft
from trustcenter.services import agency_actions, disclosure, review
from trustcenter.services.requests import revise, submit_request

if TYPE_CHECKING:
    from trustcenter.demo import DemoParts, World

DAY, HOUR = timedelta(days=1), timedelta(hours=1)
S, Info, ID, Out = RequestStatus, InfoType, IdentifierType, DecisionOutcome
#: who reviews the demo's requests, as the audit trail and the disclosures name them
STAFF = Principal(PrincipalKind.STAFF, client_id="demo-legal-reviewer", scopes=frozenset({REVIEW}))
WITHDRAWN_BECAUSE = "The suspect was identified by other means; the data is no longer needed."
SUBMIT, START_REVIEW, DECIDE, RELEASE, CLOSE, WITHDRAW = (
    "submit", "start_review", "decide", "release", "close", "withdraw",
)  # fmt: skip


class Pick(NamedTuple):
    """A request target as the agency names it, and what the company holds about it."""

    kind: IdentifierType
    identifier: str
    infos: tuple[InfoType, ...]
    held: bool = True
    premium: bool = False


@dataclass(eq=False)
class Plan:
    """One request: what the agency sends, how each item is decided (by target position and
    information type), and when each step happens."""

    agency: m.Agency
    key: str
    draft: SubmissionDraft
    steps: list[tuple[datetime, str]]
    decisions: dict[tuple[int, InfoType], Decision]
    revises: Plan | None = None
    request_id: uuid.UUID | None = field(default=None, init=False)
    version: int = field(default=0, init=False)


class Planner:
    """Draws the requests from the world's random source (agencies, users and their data)."""

    def __init__(self, world: World) -> None:
        self.w, self.rng = world, world.rng

    def plans(self) -> list[Plan]:
        rng, seeds = self.rng, self.w.seeds
        statuses = [S(s) for s, n, _ in data.STATUS_PLAN for _ in range(n)]
        urgent = [i < e for _, n, e in data.STATUS_PLAN for i in range(n)]
        quota = [k for k, n in data.REQUEST_QUOTA.items() for _ in range(n)]
        rng.shuffle(quota)
        police = [k for k in quota if seeds[k].kind == data.LE][: sum(urgent)]
        for key in police:  # emergencies come from the police
            quota.remove(key)
        senders = [police.pop() if emergency else quota.pop() for emergency in urgent]
        revisions = iter(S(s) for s in data.REVISION_STATUSES)
        plans: list[Plan] = []
        for key, status, emergency in zip(senders, statuses, urgent, strict=True):
            if status is not S.SUPERSEDED:
                plans.append(self._plan(key, status, emergency, self._received(status, emergency)))
                continue
            revised_status = next(revisions)
            revised_at = self._received(revised_status, False)
            received = max(self.w.start + DAY, revised_at - rng.uniform(2, 12) * DAY)
            old = self._plan(key, status, False, received, updated=revised_at)
            plans += [old, self._plan(key, revised_status, False, revised_at, revises=old)]
        return plans

    def _received(self, status: RequestStatus, emergency: bool) -> datetime:
        now, rng = self.w.now, self.rng
        if emergency and status in (S.IN_REVIEW, S.APPROVED):
            return now - rng.uniform(1, 6) * HOUR
        if age := data.OPEN_AGE.get(status):
            return now - rng.uniform(*age) * DAY
        this_year = datetime(now.year, 1, 1, tzinfo=UTC)  # finished ones: 60 % last year
        if rng.random() < 0.6:
            return self.w.between(self.w.start + 20 * DAY, this_year)
        return self.w.between(this_year, now - 30 * DAY)

    def _pick(self, dirty: bool, emergency: bool) -> Pick:
        """A target; a dirty one may name nothing held, or ask D of a non-premium account."""
        rng, w = self.rng, self.w
        if dirty and rng.random() < 0.2:
            while (unknown := Pick(*data.not_held(rng), held=False)).identifier in w.used:
                continue
            return unknown
        weights = (30, 15, 20, 0, 0) if emergency else (30, 15, 20, 25, 10)
        kind = rng.choices(list(ID), weights=weights)[0]
        if kind is ID.SERIAL_NUMBER:
            infos = (Info.A, Info.B, Info.C) if rng.random() < 0.4 else (Info.B, Info.C)
            return Pick(kind, rng.choice(w.products).serial_number, infos)
        if kind is ID.ORDER_ID:
            asked = (Info.A, Info.D) if rng.random() < 0.5 else (Info.D,)
            return Pick(kind, rng.choice(w.orders).order_number, asked, premium=True)
        account = rng.choice(w.accounts)
        premium = account.id in w.premium
        wanted = {Info.A, Info.C} if emergency or rng.random() < 0.7 else {Info.A}
        if not emergency and rng.random() < 0.3:
            wanted.add(Info.E)
        if not emergency and (premium or dirty) and rng.random() < (0.5 if dirty else 0.35):
            wanted.add(Info.D)
        wanted |= set() if len(wanted) > 1 else {Info.C}
        identifier = {ID.EMAIL: account.email, ID.PHONE: account.phone}.get(kind)
        return Pick(kind, identifier or account.username, tuple(sorted(wanted)), True, premium)

    def _plan(
        self,
        key: str,
        status: RequestStatus,
        emergency: bool,
        received: datetime,
        *,
        updated: datetime | None = None,
        revises: Plan | None = None,
    ) -> Plan:
        rng, seed, agency = self.rng, self.w.seeds[key], self.w.agencies[key]
        paths = data.DISCLOSED_PATHS if status is S.DISCLOSED else data.CLOSED_PATHS
        decided = data.DECIDED.get(status) or ("approve" if emergency else rng.choice(paths))
        clean, dirty_first = decided in ("approve", "object"), decided in ("reject", "none")
        picks: list[Pick] = []
        for n in range(1 if emergency else rng.choices((1, 2, 3), weights=(6, 3, 1))[0]):
            pick = self._pick(not clean and (n > 0 or dirty_first), emergency)
            if all(p.identifier != pick.identifier for p in picks):
                picks.append(pick)
        targets = tuple(TargetDraft(p.kind, p.identifier, p.infos, *self._span(received, emergency))
                        for p in picks)  # fmt: skip
        category = derive_category(emergency, [(p.kind, p.infos) for p in picks])
        name, email, phone = rng.choice(self.w.officers[key])
        jurisdiction = agency.region if agency.region and rng.random() < 0.3 else agency.country
        draft = SubmissionDraft(
            jurisdiction=jurisdiction,
            officer=Officer(name=name, email=email, title=seed.officer_title, phone=phone),
            legal_basis=self._basis(seed, agency, received, emergency),
            targets=targets,
            reason=data.EMERGENCY_REASON if emergency else rng.choice(data.REASONS[category]),
            emergency=emergency,
            emergency_description=rng.choice(data.EMERGENCY_DESCRIPTIONS) if emergency else None,
        )
        steps = self._steps(status, decided, received, updated, emergency)
        return Plan(agency, key, draft, steps, self._decisions(decided, picks, targets), revises)

    def _span(self, received: datetime, emergency: bool) -> tuple[date | None, date | None]:
        if emergency:
            return received.date() - 2 * DAY, received.date()
        if self.rng.random() < 0.6:
            until = received.date() - self.rng.randint(0, 14) * DAY
            return until - self.rng.randint(30, 365) * DAY, until
        return None, None

    def _steps(
        self,
        status: RequestStatus,
        decided: str,
        received: datetime,
        updated: datetime | None,
        emergency: bool,
    ) -> list[tuple[datetime, str]]:
        """The steps that lead to ``status`` and when they happen; the last at ``updated``
        (before it when a revision supersedes the request then)."""
        names = [SUBMIT]
        if status is S.WITHDRAWN:
            names += [START_REVIEW, WITHDRAW] if self.rng.random() < 0.5 else [WITHDRAW]
        elif status is not S.RECEIVED:
            names.append(START_REVIEW)
            names += [] if status is S.IN_REVIEW else [DECIDE]
            released = status is S.DISCLOSED or decided in ("approve", "partial")
            names += [RELEASE] if released and status in (S.DISCLOSED, S.CLOSED) else []
            names += [CLOSE] if status is S.CLOSED else []
        if updated is None:
            end = min(self.w.now, received + (8 * HOUR if emergency else 45 * DAY))
            last = received if status is S.RECEIVED else self.w.between(received, end)
        else:  # superseded by the revision at ``updated``
            last = self.w.between(received, updated)
        middle = sorted(self.w.between(received, last) for _ in names[2:])
        times = [received, *middle, last][: len(names)]
        return list(zip(times, names, strict=True))

    def _basis(
        self, seed: data.AgencySeed, agency: m.Agency, received: datetime, emergency: bool
    ) -> LegalBasisDraft:
        rng = self.rng
        if emergency:
            kind, issued_by, issued = "emergency_declaration", agency.name, received.date()
        else:
            kind, issued_by = rng.choice(seed.bases)
            issued = received.date() - rng.randint(1, 25) * DAY
        prefix = f"{seed.ref_prefix}-{issued.year}-"
        reference = self.w.unique(lambda r, p: f"{p}{r.randint(100, 9999)}", prefix)
        expires = received.date() + rng.randint(30, 180) * DAY
        expiring = kind in ("warrant", "court_order") and rng.random() < 0.5
        gag = issued + rng.randint(180, 540) * DAY if rng.random() < 0.25 else None
        pdf = data.DOCUMENT.format(reference=reference, issued_by=issued_by, issued=issued).encode()
        return LegalBasisDraft(
            kind=kind, reference=reference, issued_by=issued_by, issued_at=issued,
            expires_at=expires if expiring else None, non_disclosure_until=gag, document=pdf,
        )  # fmt: skip

    def _decisions(
        self, decided: str, picks: list[Pick], targets: tuple[TargetDraft, ...]
    ) -> dict[tuple[int, InfoType], Decision]:
        """How the reviewer decides each item, consistent with how the request was decided."""
        if decided == "none":
            return {}
        rng, out = self.rng, {}
        fine: list[tuple[tuple[int, InfoType], TargetDraft]] = []
        for position, (pick, target) in enumerate(zip(picks, targets, strict=True)):
            for info in pick.infos:
                why = _refused_anyway(info, pick)
                if why:
                    out[(position, info)] = Decision(Out.REJECT, why, data.EXPLANATIONS[why])
                else:
                    fine.append(((position, info), target))
        if decided == "question":  # the first item is asked about; the rest is approved
            code = rng.choice(data.QUESTION_CODES)
            out[fine.pop(0)[0]] = Decision(Out.QUESTION, code, data.EXPLANATIONS[code])
        elif decided == "partial" and not out and len(fine) > 1:
            refusal = rng.choice(data.REFUSE_CODES)  # the reviewer refuses one item
            outcome = Out.OBJECT if refusal == "overbroad" else Out.REJECT
            out[fine.pop()[0]] = Decision(outcome, refusal, data.EXPLANATIONS[refusal])
        codes = {"object": data.OBJECT_CODES, "reject": data.REJECT_CODES}.get(decided)
        common = rng.choice(codes) if codes else None  # one code for every item
        for key, target in fine:
            if common:
                out[key] = Decision(Out(decided), common, data.EXPLANATIONS[common])
            elif decided == "partial":
                out[key] = _narrowed(key[1], target, alone=len(out) == 0 and len(fine) == 1)
            else:
                out[key] = Decision(Out.APPROVE)
        return out


def _refused_anyway(info: InfoType, pick: Pick) -> str | None:
    """Refused whatever the reviewer thinks: nothing is held, or D without a premium service."""
    if not pick.held:
        return "not_held"
    return "not_premium" if info is Info.D and not pick.premium else None


def _narrowed(info: InfoType, target: TargetDraft, *, alone: bool) -> Decision:
    """A partial approval: usage records (C) over more than 90 days are narrowed to the last
    90; an item asked alone is narrowed to fewer fields; the others are approved."""
    low, high = target.range_from, target.range_to
    if info is Info.C and low and high and (high - low).days > 90:
        narrowed = data.NARROWED.format(until=high)
        return Decision(Out.NARROW, "overbroad", narrowed, high - 90 * DAY, high)
    if alone:
        fields = FIELDS[info][:2]
        return Decision(Out.NARROW, "overbroad", data.EXPLANATIONS["overbroad"], fields=fields)
    return Decision(Out.APPROVE)


class Player:
    """Plays the plans through the services, every step at its time (``app.clock`` is set to
    it): the agencies' steps as the agency's client, the company's as its reviewer."""

    def __init__(self, app: DemoParts, new_id: Callable[[], uuid.UUID]) -> None:
        self.app, self.clock = app, app.clock
        self.new_id = new_id

    async def play(self, plans: list[Plan]) -> None:
        events = [(when, n, step, plan) for plan in plans for n, (when, step) in
                  enumerate(plan.steps)]  # fmt: skip
        order = sorted(range(len(events)), key=lambda i: (events[i][0], i))
        for i in order:
            when, _, step, plan = events[i]
            self.clock.set(when)
            await self._step(step, plan)

    async def _step(self, step: str, plan: Plan) -> None:
        app = self.app
        if step == SUBMIT:
            await self._submit(plan)
            return
        rid = plan.request_id
        assert rid is not None
        if step == START_REVIEW:
            row = await review.start_review(app, STAFF, rid)
        elif step == DECIDE:
            decisions = await self._decisions(plan, rid)
            row = await review.decide(app, STAFF, rid, plan.version, decisions)
        elif step == RELEASE:
            row = await disclosure.release(app, STAFF, rid)
        elif step == CLOSE:
            row = await review.close(app, STAFF, rid, plan.version)
        else:
            row = await agency_actions.withdraw(app, _agency(plan), rid, WITHDRAWN_BECAUSE)
        plan.version = row.version

    async def _submit(self, plan: Plan) -> None:
        """The agency sends the request, or its revision of an earlier one."""
        agency, earlier = _agency(plan), plan.revises.request_id if plan.revises else None
        if earlier is None:
            done = await submit_request(self.app, agency, plan.draft, new_id=self.new_id)
        else:
            done = await revise(self.app, agency, earlier, plan.draft, new_id=self.new_id)
        plan.request_id, plan.version = done.request.id, done.request.version

    async def _decisions(self, plan: Plan, request_id: uuid.UUID) -> list[review.ItemDecision]:
        async with self.app.uow.read() as uow:
            items = await uow.requests.item_positions(request_id)
        return [
            review.ItemDecision(item_id, plan.decisions[(position, Info(info_type))])
            for item_id, info_type, position in items
        ]


def _agency(plan: Plan) -> Principal:
    """The demo agency as it submits: verified, with the submitting scope."""
    return Principal(
        PrincipalKind.AGENCY,
        client_id=f"demo-{plan.key}",
        agency_id=plan.agency.id,
        agency_verified=True,
        scopes=frozenset({REQUESTS_SUBMIT}),
    )


def seeded_ids(seed: int) -> Callable[[], uuid.UUID]:
    """Ids drawn from ``seed``: the demo's rows are the same at every load."""
    rng = random.Random(seed)
    return lambda: uuid.UUID(int=rng.getrandbits(128), version=4)
