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
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import Notice
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
from trustcenter.services.status_email_worker import send_due

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts

log = logging.getLogger(__name__)
WORKER = Actor("system", "notice-worker")
#: the built-in channel that keeps user notices for another system (``plugins.builtin.outbox``)
OUTBOX_CHANNEL = "outbox"


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
    #: status e-mails to agencies (``status_email_worker``): delivered, given up on
    emails: int = 0
    emails_failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: PassResult) -> None:
        names = ("resumed", "delivered", "retrying", "failed", "lost", "batches", "purged")
        for name in (*names, "emails", "emails_failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)

    @property
    def worked(self) -> bool:
        return bool(self.resumed or self.batches)


def idempotency_key(notice_id: uuid.UUID) -> str:
    return f"trustcenter-notice-{notice_id}"


def new_token() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


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

    async def run_with_emails(
        self, principal: Principal, *, max_batches: int | None = None
    ) -> PassResult:
        """:meth:`run_once`, then the agencies' status e-mails that are due
        (``status_email_worker``) through every configured channel but the built-in outbox
        (the ``status_emails`` table is their own record; without an e-mail channel such as
        ``smtp`` they wait)."""
        result = await self.run_once(principal, max_batches=max_batches)
        mailers = [c for c in self.channels if c.name != OUTBOX_CHANNEL]
        if mailers:
            emails = await send_due(
                self.work, self.clock, mailers, self.settings, self.token, max_batches
            )
            result.emails, result.emails_failed = emails.delivered, emails.failed
        return result

    async def resume_ended(self) -> int:
        """Suppressed notices whose every exception has ended (a court order's end date
        passed) are scheduled again, due now at the latest."""
        now = self.clock.now()
        async with self.work() as uow:
            free = await uow.notices.unheld_requests_in(RESUME.source, now.date())
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
            return await uow.notices.release_all_claims()

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
            ids = await uow.notices.claim_due(
                now, self.settings.batch_size, self.token, now + self.settings.lease
            )
            if not ids:
                return []
            return await self._load(uow, ids)

    async def _load(self, uow: UnitOfWork, ids: list[uuid.UUID]) -> list[_Claimed]:
        out = []
        for notice, account, request, authority in await uow.notices.claimed_rows(ids):
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
        ids = [n.id for n in delivered]
        return await uow.notices.mark_delivered(ids, self.token, now, len(self.channels))

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
        if final:  # the GIVE_UP transition
            kept = await uow.notices.give_up(notice.id, self.token, error)
        else:  # retried: the notice stays scheduled, its back-off moves
            until = now + self.settings.retry_after(attempts)
            kept = await uow.notices.back_off(notice.id, self.token, error, until)
        if not kept:
            return None
        return GIVE_UP.target if final else GIVE_UP.source


async def due_count(work: UnitOfWorks, clock: Clock) -> int:
    """How many notices are due and claimable now."""
    now = clock.now()
    async with work.read() as uow:
        return await uow.notices.count_due(now)


async def purge_documents(app: AppParts, principal: Principal) -> int:
    """An operator deletes the uploads nobody attached within their day (the worker does it on
    every pass too); audited as the operator's. Returns how many."""
    authorize(principal, "purge_documents")
    return await purge_expired(app.uow, app.clock, actor_of(principal))
