"""The webhook worker: claims due deliveries from the outbox, sends them, records the outcome.

Each event exactly once per endpoint, as far as the receiver acknowledges (2xx):

* A claim is a lease, as the notice worker's (``services.notice_worker``): claiming a batch
  sets ``claimed_by`` and ``available_at`` (now + lease) and counts an attempt, then commits;
  the deliveries are sent outside any transaction. A worker that dies leaves its claims
  behind; once the lease is over another worker (or the restarted one) claims them again.
* On PostgreSQL the claim selects with ``FOR UPDATE SKIP LOCKED`` (several workers claim
  disjoint batches); on SQLite one worker runs (the command enforces it).
* Every attempt at one delivery carries the same ``webhook-id`` (its ``message_id``), so a
  receiver that got it just before a crash recognises the repeat.
* Marking a delivery done (or failed) is conditional on still holding its claim.

A failed try (no answer, not 2xx, a refused address) is retried after ``domain.webhooks.
backoff`` (exponential, full jitter) until three days after the event; then it is FAILED,
audited, and visible. An endpoint whose every delivery failed for three days is disabled.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from trustcenter.auth.principal import Principal
from trustcenter.auth.secret_box import SecretBoxError, open_secret
from trustcenter.clock import Clock
from trustcenter.db.models import StatusEmail, WebhookDelivery, WebhookEndpoint
from trustcenter.db.uow import UnitOfWork, UnitOfWorks
from trustcenter.domain import status_emails
from trustcenter.domain.audit import Actor
from trustcenter.domain.webhooks import GIVE_UP_AFTER, DeliveryStatus, backoff
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.notice_worker import new_token
from trustcenter.services.webhook_http import Answer, Outgoing, WebhookSender

log = logging.getLogger(__name__)
WORKER = Actor("system", "webhook-worker")
DISABLED_REASON = "every delivery failed for three days"


@dataclass(frozen=True)
class WebhookSettings:
    batch_size: int = 50
    lease: timedelta = timedelta(minutes=5)
    #: deliveries of one batch sent at once
    concurrency: int = 16


@dataclass
class WebhookPass:
    """What one pass over the due deliveries did."""

    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    lost: int = 0  # sent, but the lease had run out and another worker took over
    disabled: int = 0  # endpoints disabled after failing for three days
    unsent: int = 0  # claimed, not sent before the claim could run out: due again at once
    batches: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: WebhookPass) -> None:
        for name in ("delivered", "retrying", "failed", "lost", "disabled", "unsent", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.errors.extend(other.errors)


@dataclass(frozen=True, slots=True)
class _Claim:
    id: uuid.UUID
    endpoint_id: uuid.UUID
    agency_id: uuid.UUID
    request_id: uuid.UUID | None
    event_type: str
    message_id: str
    attempts: int
    created_at: datetime
    outgoing: Outgoing | None  # None: the endpoint's secret does not open
    problem: str | None = None


class WebhookWorker:
    def __init__(
        self,
        work: UnitOfWorks,
        clock: Clock,
        sender: WebhookSender,
        *,
        secret_key: bytes | None,
        settings: WebhookSettings | None = None,
        token: str | None = None,
        draw: Callable[[], float] = random.random,
    ) -> None:
        self.work, self.clock, self.sender = work, clock, sender
        self.secret_key = secret_key
        self.settings = settings or WebhookSettings()
        self.token = token or new_token()
        self.draw = draw  # the back-off's jitter: tests give a fixed one

    async def run_once(
        self, principal: Principal, *, max_batches: int | None = None
    ) -> WebhookPass:
        """Send batches until nothing is due (or ``max_batches`` were done), then disable the
        endpoints that failed for three days. Audited as the worker's own."""
        authorize(principal, "run_notice_worker")
        result = WebhookPass()
        while max_batches is None or result.batches < max_batches:
            batch = await self.run_batch()
            if not batch.batches:
                break
            result.add(batch)
        result.disabled = await self.disable_failing()
        return result

    async def release_claims(self) -> int:
        """Forget every claim at once: only for a worker that knows it is the only one
        (SQLite), after a crash."""
        async with self.work() as uow:
            return await uow.webhook_deliveries.release_all_claims(self.clock.now())

    async def run_batch(self) -> WebhookPass:
        claims = await self._claim()
        if not claims:
            return WebhookPass()
        # no send starts once the claim could run out before it ends: another worker may
        # then hold the delivery (slow receivers, few sent at once, a short lease)
        lease = self.settings.lease.total_seconds()
        longest = self.sender.connect_timeout + self.sender.total_timeout
        last_start = time.monotonic() + lease - min(longest, lease / 2)
        lanes: asyncio.Queue[int] = asyncio.Queue()
        for lane in range(self.settings.concurrency):
            lanes.put_nowait(lane)

        async def attempt(claim: _Claim) -> Answer | None:
            if claim.outgoing is None:
                return Answer(False, error=claim.problem)
            lane = await lanes.get()
            try:
                if time.monotonic() > last_start:
                    return None  # not sent: released for the next batch
                return await self.sender.send(claim.outgoing, self.clock.now(), lane)
            except Exception as exc:  # a sender's bug is a failed try, never fatal
                log.exception("webhook delivery %s: the sender failed", claim.id)
                return Answer(False, error=f"{type(exc).__name__} in the sender")
            finally:
                lanes.put_nowait(lane)

        answers = await asyncio.gather(*(attempt(c) for c in claims))
        tried = [(c, a) for c, a in zip(claims, answers, strict=True) if a is not None]
        unsent = [c.id for c, a in zip(claims, answers, strict=True) if a is None]
        result = await self._finish(tried, unsent)
        result.batches = 1
        return result

    async def _claim(self) -> list[_Claim]:
        now = self.clock.now()
        async with self.work() as uow:
            deliveries = uow.webhook_deliveries
            ids = await deliveries.claim_due(
                now, self.settings.batch_size, self.token, now + self.settings.lease
            )
            if not ids:
                return []
            return [self._prepare(d, e, now) for d, e in await deliveries.claimed(ids)]

    def _prepare(
        self, delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime
    ) -> _Claim:
        problem = None
        outgoing = None
        try:
            secrets = [open_secret(self.secret_key, endpoint.id, endpoint.secret)]
            rotating = endpoint.previous_until is not None and endpoint.previous_until > now
            if endpoint.previous_secret and rotating:
                secrets.append(open_secret(self.secret_key, endpoint.id, endpoint.previous_secret))
            outgoing = Outgoing(
                endpoint.url,
                endpoint.private_allowed,
                delivery.message_id,
                delivery.payload,
                tuple(secrets),
            )
        except SecretBoxError as exc:
            problem = str(exc)
        return _Claim(
            delivery.id,
            delivery.endpoint_id,
            delivery.agency_id,
            delivery.request_id,
            delivery.event_type,
            delivery.message_id,
            delivery.attempts,  # read after the claim counted this attempt
            delivery.created_at,
            outgoing,
            problem,
        )

    async def _finish(
        self, tried: list[tuple[_Claim, Answer]], unsent: list[uuid.UUID]
    ) -> WebhookPass:
        now = self.clock.now()
        result = WebhookPass(unsent=len(unsent))
        acked = [(c, a) for c, a in tried if a.acknowledged]
        async with self.work() as uow:
            deliveries = uow.webhook_deliveries
            await deliveries.release(unsent, self.token, now)
            codes = {c.id: a.status or 200 for c, a in acked}
            answered = await deliveries.mark_delivered(
                [c.id for c, _ in acked], self.token, now, codes
            )
            result.delivered, result.lost = len(answered), len(acked) - len(answered)
            await deliveries.endpoints_answered(sorted(set(answered)))
            failing: set[uuid.UUID] = set()
            for claim, answer in tried:
                if answer.acknowledged:
                    continue
                final = await self._failed(uow, claim, answer, now)
                if final is None:
                    result.lost += 1
                    continue
                failing.add(claim.endpoint_id)
                result.errors.append(answer.error or "")
                if final:
                    result.failed += 1
                else:
                    result.retrying += 1
            await deliveries.endpoints_failed(sorted(failing - set(answered)), now)
        return result

    async def _failed(
        self, uow: UnitOfWork, claim: _Claim, answer: Answer, now: datetime
    ) -> bool | None:
        """Back off for a retry, or (three days after the event) fail for good: True when it
        failed, False when it will be retried, None when the claim was lost."""
        error = answer.error or "not acknowledged"
        deadline = claim.created_at + GIVE_UP_AFTER
        final = now >= deadline
        retry_at = None if final else min(now + backoff(claim.attempts, self.draw), deadline)
        kept = await uow.webhook_deliveries.end_claim(
            claim.id, self.token, status=answer.status, error=error, retry_at=retry_at
        )
        if not kept:
            return None
        if final:
            log.warning(
                "webhook delivery %s (%s) to endpoint %s FAILED after %d attempts: %s",
                claim.id,
                claim.message_id,
                claim.endpoint_id,
                claim.attempts,
                error,
            )
            await uow.audit.record(
                self.clock,
                WORKER,
                "webhooks.delivery_failed",
                ("webhook_delivery", claim.id),
                request_id=claim.request_id,
                data={
                    "endpoint": str(claim.endpoint_id),
                    "agency": str(claim.agency_id),
                    "event_type": claim.event_type,
                    "webhook_id": claim.message_id,
                    "attempts": claim.attempts,
                    "last_status": answer.status,
                    "last_error": error,
                },
            )
        return final

    async def disable_failing(self) -> int:
        """Disable the endpoints that failed every delivery for three days (their pending
        deliveries fail with them); audited, and logged for the operator. How many."""
        now = self.clock.now()
        async with self.work() as uow:
            disabled = await uow.webhook_deliveries.disable_failing(
                now - GIVE_UP_AFTER, now, DISABLED_REASON
            )
            for endpoint_id, agency_id in disabled:
                log.warning(
                    "webhook endpoint %s of agency %s disabled: %s",
                    endpoint_id,
                    agency_id,
                    DISABLED_REASON,
                )
                await uow.audit.record(
                    self.clock,
                    WORKER,
                    "webhooks.endpoint_disabled",
                    ("webhook_endpoint", endpoint_id),
                    data={"agency": str(agency_id), "reason": DISABLED_REASON},
                )
                await _tell_agency(uow, agency_id, endpoint_id, now)
        return len(disabled)


class RetryRefused(Exception):
    """``retry_delivery`` refused: the message says why."""


async def retry_delivery(
    work: UnitOfWorks, clock: Clock, principal: Principal, ref: uuid.UUID | str
) -> tuple[str, bool]:
    """An operator sends a FAILED delivery (by id or ``webhook-id``) again: it is pending,
    due now, with three more days, and keeps its ``webhook-id``. Audited. Returns the
    ``webhook-id`` and whether its endpoint is enabled (if not, it waits until it is)."""
    authorize(principal, "retry_webhook_delivery")
    async with work() as uow:
        found = await uow.webhook_deliveries.find(ref)
        if found is None:
            raise RetryRefused(f"there is no webhook delivery {ref}")
        delivery, enabled = found
        if delivery.status != DeliveryStatus.FAILED:
            raise RetryRefused(
                f"webhook delivery {delivery.id} is {delivery.status}: only a failed one is "
                "sent again"
            )
        await uow.webhook_deliveries.retry_failed(delivery.id, clock.now())
        await uow.audit.record(
            clock,
            actor_of(principal),
            "webhooks.delivery_retried",
            ("webhook_delivery", delivery.id),
            request_id=delivery.request_id,
            data={"webhook_id": delivery.message_id, "endpoint": str(delivery.endpoint_id)},
        )
        return delivery.message_id, enabled


async def due_webhooks(work: UnitOfWorks, clock: Clock) -> int:
    """How many webhook deliveries are due and claimable now."""
    async with work.read() as uow:
        return await uow.webhook_deliveries.count_due(clock.now())


async def _tell_agency(
    uow: UnitOfWork, agency_id: uuid.UUID, endpoint_id: uuid.UUID, now: datetime
) -> None:
    """An e-mail to the agency's contact address that its endpoint was disabled, sent by the
    worker with the status e-mails (none when the agency has no contact address or turned
    status e-mails off)."""
    agency = await uow.agencies.get(agency_id)
    if agency is None or not agency.contact_email or not agency.status_emails:
        return
    shown = base64.b64encode(f"WebhookEndpoint:{endpoint_id}".encode()).decode()  # as the API
    subject, body = status_emails.endpoint_disabled(shown, uow.issuer.rstrip("/") + "/graphql")
    uow.add(
        StatusEmail(
            request_id=None,
            agency_id=agency_id,
            event_type=status_emails.ENDPOINT_DISABLED,
            recipient=agency.contact_email,
            language=status_emails.DEFAULT_LANGUAGE,
            subject=subject,
            body=body,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            available_at=now,
            created_at=now,
        )
    )
