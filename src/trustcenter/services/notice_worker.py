"""The notice worker: claims due notices, has the channels deliver them, records the outcome.

Exactly once toward the user:

* A claim is a lease. Claiming a batch sets ``claimed_by`` (this worker's token) and
  ``available_at`` (now + lease) and counts an attempt, then commits; the notices are delivered
  outside any transaction. A worker that dies leaves its claims behind; once the lease is over
  another worker (or the restarted one) claims them again.
* Every channel gets the same idempotency key for every attempt at one notice
  (``trustcenter-notice-<id>``), so a notice delivered just before a crash is accepted again as
  the same notice (the outbox keeps one row per key; e-mail carries it as the Message-ID).
* On PostgreSQL the claim selects with ``FOR UPDATE SKIP LOCKED``: several workers claim
  disjoint batches without waiting for each other. On SQLite a write transaction locks the whole
  file (``BEGIN IMMEDIATE``) and one worker runs (the command enforces it).
* Marking a notice delivered is conditional on still holding its claim, so a worker whose lease
  ran out never counts a delivery twice.

A failed delivery is retried with exponential back-off (the notice stays scheduled) and ends as
``failed`` after the limit. Every change of state is one the notice state machine allows
(``trustcenter.domain.notice_states``).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, exists, func, or_, select, update

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import Account, Agency, Notice, NoticeException, Request
from trustcenter.db.uow import UnitOfWork, UnitOfWorks
from trustcenter.domain.audit import Actor
from trustcenter.domain.notice_states import DELIVER, GIVE_UP, RESUME, NoticeStatus
from trustcenter.domain.notice_text import NoticeFacts, compose, language_for
from trustcenter.plugins import NoticeView
from trustcenter.plugins.host import PluginHost
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.documents import purge_expired
from trustcenter.services.notice_exceptions import resume_notices

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts

log = logging.getLogger(__name__)
WORKER = Actor("system", "notice-worker")
_SCHEDULED = NoticeStatus.SCHEDULED.value  # claimable, retried, or released from a claim


@dataclass(frozen=True)
class WorkerSettings:
    batch_size: int = 50
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 8
    backoff: timedelta = timedelta(minutes=1)
    max_backoff: timedelta = timedelta(hours=6)

    def retry_after(self, attempts: int) -> timedelta:
        """1, 2, 4, 8 … times the base back-off, never more than the cap."""
        delay: timedelta = self.backoff * 2 ** max(attempts - 1, 0)
        return min(delay, self.max_backoff)


@dataclass
class PassResult:
    """What one pass over the due notices did."""

    resumed: int = 0
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0  # delivered, but the lease had run out and another worker took over
    batches: int = 0
    purged: int = 0  # uploaded documents nobody attached within their day, deleted
    errors: list[str] = field(default_factory=list)

    def add(self, other: PassResult) -> None:
        for name in ("resumed", "delivered", "retrying", "failed", "lost", "batches", "purged"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)

    @property
    def worked(self) -> bool:
        return bool(self.resumed or self.batches)


def idempotency_key(notice_id: uuid.UUID) -> str:
    return f"trustcenter-notice-{notice_id}"


def new_token() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def holding_exception(today: date) -> ColumnElement[bool]:
    """True for a notice whose request has an exception in force on ``today``."""
    return exists().where(
        NoticeException.request_id == Notice.request_id,
        NoticeException.lifted_at.is_(None),
        or_(NoticeException.ends_on.is_(None), NoticeException.ends_on >= today),
    )


@dataclass(frozen=True, slots=True)
class _Claimed:
    notice: Notice
    view: NoticeView


class NoticeWorker:
    def __init__(
        self,
        work: UnitOfWorks,
        clock: Clock,
        host: PluginHost,
        channels: Sequence[Any],
        settings: WorkerSettings | None = None,
        token: str | None = None,
    ) -> None:
        if not channels:
            raise ValueError("the worker needs at least one notice channel")
        self.work, self.clock, self.host = work, clock, host
        self.channels = list(channels)
        self.settings = settings or WorkerSettings()
        self.token = token or new_token()

    async def run_once(self, principal: Principal, *, max_batches: int | None = None) -> PassResult:
        """Delete the uploaded documents nobody attached within their day, make notices whose
        exception ended due again, then deliver batches until nothing is due (or
        ``max_batches`` were done). The operator who runs the worker starts it; what it does is
        audited as the worker's own."""
        authorize(principal, "run_notice_worker")
        purged = await purge_expired(self.work, self.clock, WORKER)
        result = PassResult(resumed=await self.resume_ended(), purged=purged)
        while max_batches is None or result.batches < max_batches:
            batch = await self.run_batch()
            if not batch.batches:
                break
            result.add(batch)
        return result

    async def resume_ended(self) -> int:
        """Suppressed notices whose every exception has ended (a court order's end date
        passed) are scheduled again, due now at the latest."""
        now = self.clock.now()
        async with self.work() as uow:
            free = (
                await uow.session.scalars(
                    select(Notice.request_id)
                    .where(Notice.status == RESUME.source.value, ~holding_exception(now.date()))
                    .distinct()
                )
            ).all()
            resumed = 0
            for request_id in free:
                count = await resume_notices(uow, request_id, now)
                resumed += count
                await uow.audit.record(
                    self.clock,
                    WORKER,
                    "notices.resumed",
                    ("request", request_id),
                    request_id=request_id,
                    data={"notices": count, "reason": "no exception holds any more"},
                )
        return resumed

    async def release_claims(self) -> int:
        """Forget every claim at once: only for a worker that knows it is the only one (SQLite),
        after a crash."""
        async with self.work() as uow:
            done = await uow.session.execute(
                update(Notice)
                .where(Notice.status == _SCHEDULED, Notice.claimed_by.is_not(None))
                .values(claimed_by=None, available_at=None)
            )
        return int(getattr(done, "rowcount", 0) or 0)

    async def run_batch(self) -> PassResult:
        claimed = await self._claim()
        if not claimed:
            return PassResult()
        delivered: list[Notice] = []
        failures: list[tuple[Notice, str]] = []
        for item in claimed:
            error = await self._deliver(item.view)
            if error is None:
                delivered.append(item.notice)
            else:
                failures.append((item.notice, error))
        result = await self._finish(delivered, failures)
        result.batches = 1
        return result

    async def _claim(self) -> list[_Claimed]:
        now = self.clock.now()
        async with self.work() as uow:
            ids = (
                await uow.session.scalars(
                    select(Notice.id)
                    .where(
                        Notice.status == _SCHEDULED,
                        Notice.due_at <= now,
                        or_(Notice.available_at.is_(None), Notice.available_at <= now),
                        ~holding_exception(now.date()),
                    )
                    .order_by(Notice.due_at)
                    .limit(self.settings.batch_size)
                    .with_for_update(skip_locked=True, of=Notice)
                )
            ).all()
            if not ids:
                return []
            await uow.session.execute(
                update(Notice)
                .where(Notice.id.in_(ids))
                .values(
                    claimed_by=self.token,
                    available_at=now + self.settings.lease,
                    attempts=Notice.attempts + 1,
                )
            )
            return await self._load(uow, list(ids))

    async def _load(self, uow: UnitOfWork, ids: list[uuid.UUID]) -> list[_Claimed]:
        rows = await uow.session.execute(
            select(Notice, Account, Request, Agency.kind)
            .join(Account, Account.id == Notice.account_id)
            .join(Request, Request.id == Notice.request_id)
            .join(Agency, Agency.id == Request.agency_id)
            .where(Notice.id.in_(ids))
            .order_by(Notice.due_at)
            .execution_options(populate_existing=True)
        )
        out = []
        for notice, account, request, authority in rows:
            language = language_for(account.region, account.language)
            facts = NoticeFacts(
                requested_on=request.received_at.date(),
                authority_kind=authority,
                country=request.country,
                disclosed_on=notice.released_at.date(),
                info_types=tuple(notice.info_types.split()),
            )
            subject, body = compose(facts, language)
            recipient = account.email or account.phone or account.username
            view = NoticeView(notice.id, notice.request_id, recipient, language, subject, body)
            out.append(_Claimed(notice, view))
        return out

    async def _deliver(self, view: NoticeView) -> str | None:
        """Every channel must accept; None when they did, else what went wrong."""
        key = idempotency_key(view.id)
        for channel in self.channels:
            try:
                await channel.deliver(view, key)
            except Exception as exc:  # a channel's failure is retried, never fatal
                log.warning("notice %s: channel %s failed: %r", view.id, channel.name, exc)
                return f"{channel.name}: {type(exc).__name__}: {exc}"[:500]
        return None

    async def _finish(
        self, delivered: list[Notice], failures: list[tuple[Notice, str]]
    ) -> PassResult:
        now = self.clock.now()
        result = PassResult()
        async with self.work() as uow:
            kept = await self._mark_delivered(uow, delivered, now)
            result.delivered, result.lost = len(kept), len(delivered) - len(kept)
            outcomes: list[tuple[uuid.UUID, str]] = [(r, DELIVER.target.value) for r in kept]
            for notice, error in failures:
                status = await self._failed(uow, notice, error, now)
                if status is None:
                    result.lost += 1
                    continue
                outcomes.append((notice.request_id, status.value))
                result.errors.append(error)
                if status is GIVE_UP.target:
                    result.failed += 1
                else:
                    result.retrying += 1
            await self._announce(uow, outcomes)
        return result

    async def _mark_delivered(
        self, uow: UnitOfWork, delivered: list[Notice], now: datetime
    ) -> list[uuid.UUID]:
        """Mark delivered the notices whose claim this worker still holds; their requests."""
        if not delivered:
            return []
        done = await uow.session.execute(
            update(Notice)
            .where(
                Notice.id.in_([n.id for n in delivered]),
                Notice.claimed_by == self.token,
                Notice.status == DELIVER.source.value,
            )
            .values(
                status=DELIVER.target.value,
                delivered_at=now,
                deliveries=Notice.deliveries + len(self.channels),
                claimed_by=None,
                available_at=None,
                last_error=None,
            )
            .returning(Notice.id, Notice.request_id)
        )
        return [row[1] for row in done.all()]

    async def _announce(self, uow: UnitOfWork, outcomes: list[tuple[uuid.UUID, str]]) -> None:
        """Audit each request's delivered and failed notices, then tell the plugins; a retry is
        not an event (the last error is on the notice)."""
        retry = NoticeStatus.SCHEDULED.value
        counts = Counter(outcomes)
        for (request_id, status), count in sorted(counts.items(), key=str):
            if status == retry:
                continue
            await uow.audit.record(
                self.clock,
                WORKER,
                f"notices.{status}",
                ("request", request_id),
                request_id=request_id,
                data={"notices": count, "channels": [c.name for c in self.channels]},
            )
        for request_id, status in outcomes:
            if status != retry:
                await self.host.after_notice(str(request_id), status)

    async def _failed(
        self, uow: UnitOfWork, notice: Notice, error: str, now: datetime
    ) -> NoticeStatus | None:
        """Back off for a retry (the notice stays scheduled), or end as failed; None when the
        claim was lost."""
        attempts = notice.attempts  # read after the claim counted this attempt
        final = attempts >= self.settings.max_attempts
        claimed = update(Notice).where(
            Notice.id == notice.id,
            Notice.claimed_by == self.token,
            Notice.status == GIVE_UP.source.value,
        )
        if final:
            claimed = claimed.values(status=GIVE_UP.target.value, available_at=None)
        else:  # retried: the notice stays scheduled, its back-off moves
            claimed = claimed.values(available_at=now + self.settings.retry_after(attempts))
        done = await uow.session.execute(claimed.values(claimed_by=None, last_error=error))
        if not getattr(done, "rowcount", 0):
            return None
        return GIVE_UP.target if final else GIVE_UP.source


async def due_count(work: UnitOfWorks, clock: Clock) -> int:
    """How many notices are due and claimable now."""
    now = clock.now()
    async with work.read() as uow:
        return int(
            await uow.session.scalar(
                select(func.count())
                .select_from(Notice)
                .where(
                    Notice.status == _SCHEDULED,
                    Notice.due_at <= now,
                    or_(Notice.available_at.is_(None), Notice.available_at <= now),
                    ~holding_exception(now.date()),
                )
            )
            or 0
        )


async def purge_documents(app: AppParts, principal: Principal) -> int:
    """An operator deletes the uploads nobody attached within their day (the worker does it on
    every pass too); audited as the operator's. Returns how many."""
    authorize(principal, "purge_documents")
    return await purge_expired(app.uow, app.clock, actor_of(principal))
