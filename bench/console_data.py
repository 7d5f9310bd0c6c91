"""The database ``bench/console.py`` measures the console on: the demo data set, then filler
requests up to the size asked for, in bulk; a staff person with every role.

- the demo (``trustcenter.demo.load_demo``): agencies, the company's users and their records,
  about 60 requests played through the services into every state (decisions, findings,
  releases sealed and downloaded, notices and their exceptions, revisions), with their audit
  trail — what the request, decide and release pages show is real;
- filler requests (``RequestRepository.insert_new`` with ``domain.new_request.NewRequest``
  values, the way the history import writes them: one multi-row INSERT per table per 1,000
  requests) from the demo's verified agencies: two thirds answered over the last two years, a
  third open and received over the last six weeks (with a 30-day deadline, so about a third of
  them overdue and some due soon; 3% emergencies), 1 to 3 targets of 1 to 3 items each,
  decided as their status says;
- a staff person with every role (reviewer, notices, reports, auditor, admin), made through the
  staff services with a known authenticator secret, as the demo's staff are, and the demo's
  three staff members;
- last year's transparency report draft, built by the service.
"""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.bootstrap import Container
from trustcenter.db import models as m
from trustcenter.demo import load_demo
from trustcenter.demo_staff import load_demo_staff
from trustcenter.domain.audit import Actor
from trustcenter.domain.enums import DecisionOutcome, IdentifierType, InfoType, ReasonCode
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.new_request import (
    ItemDecided,
    NewItem,
    NewLegalBasis,
    NewRequest,
    NewTarget,
)
from trustcenter.domain.report import Outcome
from trustcenter.domain.rules import default_deadline, derive_category
from trustcenter.domain.submission import Officer
from trustcenter.services.access import operator
from trustcenter.services.reports import build_report
from trustcenter.services.sign_in import preset_second_factor
from trustcenter.services.staff import create_staff

SEED = 20261202
BATCH = 1000
DAY = timedelta(days=1)
S, D = RequestStatus, DecisionOutcome
#: a filler request's status (weight), its report outcome and how its items were decided
STATUSES: dict[RequestStatus, tuple[int, Outcome, DecisionOutcome | None]] = {
    S.CLOSED: (40, Outcome.WITH_DATA, D.APPROVE),
    S.DISCLOSED: (8, Outcome.WITH_DATA, D.APPROVE),
    S.REJECTED: (8, Outcome.REJECTED, D.REJECT),
    S.WITHDRAWN: (6, Outcome.WITHDRAWN, None),
    S.OBJECTED: (4, Outcome.CHALLENGED, D.OBJECT),
    S.RECEIVED: (10, Outcome.PENDING, None),
    S.IN_REVIEW: (10, Outcome.PENDING, None),
    S.CLARIFICATION_REQUESTED: (4, Outcome.CHALLENGED, None),
    S.APPROVED: (5, Outcome.APPROVED, D.APPROVE),
    S.PARTIALLY_APPROVED: (5, Outcome.APPROVED, D.APPROVE),
}
OPEN = frozenset({S.RECEIVED, S.IN_REVIEW, S.CLARIFICATION_REQUESTED, S.APPROVED,
                  S.PARTIALLY_APPROVED})  # fmt: skip
BASIS_KINDS = ("warrant", "court_order", "subpoena", "production_order")
ROLES = ("reviewer", "notices", "reports", "auditor", "admin")
EMAIL = "bench@staff.example"
PASSWORD = "bench console password"  # noqa: S105  (the bench database's, thrown away)
#: the bench person's authenticator secret (fixed, base32)
TOTP_SECRET = base64.b32encode(hashlib.sha256(b"trustcenter bench").digest()[:20]).decode()


@dataclass(frozen=True, slots=True)
class Seeded:
    requests: int
    demo_requests: int
    #: a released request with the most notices (the request page's richest)
    rich: uuid.UUID
    #: a request in review with the most items (the decide page)
    in_review: uuid.UUID
    #: an approved request with the most items (the release page runs the preview)
    approved: uuid.UUID
    #: the year whose transparency report draft was built
    year: int


async def seed(c: Container, requests: int) -> Seeded:
    """The demo, the three requests the pages are measured on, the filler up to ``requests``,
    the bench person and last year's report draft."""
    acting = operator("bench")
    await load_demo(c.db, c.clock, keys=c.disclosure_keys, operator=Actor.operator("bench"))
    async with c.db.reader() as s:
        demo = int(await s.scalar(select(func.count()).select_from(m.Request)) or 0)
        notices = func.count(m.Notice.id)
        rich = await s.scalar(
            select(m.Notice.request_id)
            .group_by(m.Notice.request_id)
            .order_by(notices.desc(), m.Notice.request_id)
        )
        in_review = await _most_items(s, S.IN_REVIEW)
        approved = await _most_items(s, S.APPROVED)
        agencies = (
            await s.execute(
                select(m.Agency.id, m.Agency.country)
                .where(m.Agency.verification == "verified")
                .order_by(m.Agency.name)
            )
        ).all()
    if rich is None or in_review is None or approved is None:
        raise SystemExit("the demo has no released, in-review or approved request")
    now = c.clock.now()
    for batch in filler(max(0, requests - demo), [(a, b) for a, b in agencies], now):
        async with c.uow() as uow:
            await uow.requests.insert_new(batch)
    made = await create_staff(
        c, acting, email=EMAIL, name="Bench Person", roles=ROLES, password=PASSWORD
    )
    await preset_second_factor(c, acting, made.member.id, TOTP_SECRET)
    await load_demo_staff(c, "bench")
    year = now.year - 1
    await build_report(c, acting, year, await c.report_exclusions())
    async with c.db.reader() as s:
        total = int(await s.scalar(select(func.count()).select_from(m.Request)) or 0)
    return Seeded(total, demo, rich, in_review, approved, year)


async def _most_items(s: AsyncSession, status: RequestStatus) -> uuid.UUID | None:
    items = func.count(m.RequestedItem.id)
    stmt = (
        select(m.Request.id)
        .join(m.RequestedItem, m.RequestedItem.request_id == m.Request.id)
        .where(m.Request.status == status.value)
        .group_by(m.Request.id)
        .order_by(items.desc(), m.Request.id)
    )
    found: uuid.UUID | None = await s.scalar(stmt)
    return found


def filler(
    count: int, agencies: list[tuple[uuid.UUID, str]], now: datetime
) -> Iterator[list[NewRequest]]:
    """``count`` requests in batches of 1,000, from a fixed seed."""
    rng = random.Random(SEED)  # noqa: S311  (the same requests every run)
    statuses = [s for s, (w, _, _) in STATUSES.items() for _ in range(w)]
    kinds = list(IdentifierType)
    infos = list(InfoType)

    def new_id() -> uuid.UUID:
        return uuid.UUID(int=rng.getrandbits(128), version=4)

    batch: list[NewRequest] = []
    for n in range(count):
        status = rng.choice(statuses)
        _, outcome, decided = STATUSES[status]
        emergency = rng.random() < 0.03
        if status in OPEN:
            received = now - rng.uniform(0.05, 45) * DAY
        else:
            received = now - rng.uniform(10, 700) * DAY
        answered = received + rng.uniform(0.5, 20) * DAY if status not in OPEN else None
        targets = []
        for position in range(rng.choice((1, 1, 1, 2, 2, 3))):
            kind = rng.choice(kinds)
            asked = sorted(rng.sample(infos, rng.randint(1, 3)))
            items = []
            for k, info in enumerate(asked):
                done = None
                if decided is not None:
                    how = decided
                    reason = None
                    if status is S.PARTIALLY_APPROVED and k > 0:
                        how, reason = D.REJECT, ReasonCode.OVERBROAD.value
                    done = ItemDecided(how, answered or received + DAY, reason)
                items.append(NewItem(new_id(), info, decided=done))
            targets.append(
                NewTarget(new_id(), position, kind, f"{kind.value}-{rng.randrange(10**7)}",
                          tuple(items))
            )  # fmt: skip
        agency_id, country = agencies[n % len(agencies)]
        category = derive_category(emergency, [(t.identifier_type, [i.info_type for i in t.items])
                                               for t in targets])  # fmt: skip
        batch.append(
            NewRequest(
                id=new_id(),
                agency_id=agency_id,
                country=country,
                jurisdiction=country,
                category=category.name,
                status=status,
                report_outcome=outcome,
                emergency=emergency,
                emergency_description="Threat to life (bench)." if emergency else None,
                reason=f"Bench request {n}: an investigation the filler stands in for.",
                officer=Officer(name="Bench Officer", email="officer@agency.example"),
                received_at=received,
                deadline=default_deadline(received, emergency),
                recorded_at=received,
                payload_sha256=hashlib.sha256(f"bench {n}".encode()).hexdigest(),
                legal_basis=NewLegalBasis(
                    id=new_id(),
                    kind=BASIS_KINDS[n % len(BASIS_KINDS)],
                    reference=f"BENCH-{n:06d}",
                    issued_by="Bench Court",
                    issued_at=(received - DAY).date(),
                ),
                targets=tuple(targets),
                responded_at=answered,
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
