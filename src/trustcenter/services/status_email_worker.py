"""The worker's pass over the status e-mails: claim what is due (a lease, as the notices'),
have every notice channel deliver each e-mail, record the outcome.

Each channel gets the same idempotency key on every attempt at one e-mail
(``trustcenter-status-email-<id>``: the outbox keeps one row per key, the SMTP channel makes
the Message-ID of it), so an e-mail sent just before a crash is the same e-mail when sent
again. A failed attempt is retried with the notices' back-off and ends as failed after their
limit of attempts. Any row of ``status_emails`` is sent this way: the delivery worker may write
one (``request_id`` None) to tell an agency its endpoint was disabled."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from trustcenter.clock import Clock
from trustcenter.db.models import StatusEmail
from trustcenter.db.uow import UnitOfWorks
from trustcenter.plugins import NoticeView

log = logging.getLogger(__name__)


class Retrying(Protocol):
    """The notice worker's settings the e-mails share."""

    @property
    def batch_size(self) -> int: ...

    @property
    def max_attempts(self) -> int: ...

    def retry_after(self, attempts: int) -> Any: ...

    @property
    def lease(self) -> Any: ...


def idempotency_key(email_id: uuid.UUID) -> str:
    return f"trustcenter-status-email-{email_id}"


@dataclass
class EmailPass:
    delivered: int = 0
    retrying: int = 0
    failed: int = 0
    batches: int = 0


async def send_due(
    work: UnitOfWorks,
    clock: Clock,
    channels: Sequence[Any],
    settings: Retrying,
    token: str,
    max_batches: int | None = None,
) -> EmailPass:
    """Deliver batches of due status e-mails until none is due (or ``max_batches``)."""
    done = EmailPass()
    while max_batches is None or done.batches < max_batches:
        now = clock.now()
        async with work() as uow:
            claimed = await uow.status_emails.claim_due(
                now, settings.batch_size, token, now + settings.lease
            )
        if not claimed:
            break
        done.batches += 1
        sent: list[uuid.UUID] = []
        failed: list[tuple[StatusEmail, str]] = []
        for email in claimed:
            error = await _deliver(channels, email)
            if error is None:
                sent.append(email.id)
            else:
                failed.append((email, error))
        now = clock.now()
        async with work() as uow:
            done.delivered += await uow.status_emails.mark_delivered(sent, token, now)
            for email, error in failed:
                final = email.attempts >= settings.max_attempts
                until = None if final else now + settings.retry_after(email.attempts)
                if await uow.status_emails.end_claim(email.id, token, error, until):
                    done.failed += final
                    done.retrying += not final
    return done


async def _deliver(channels: Sequence[Any], email: StatusEmail) -> str | None:
    # an e-mail about no request (an endpoint disabled) names itself where a request would be
    about = email.request_id or email.id
    view = NoticeView(email.id, about, email.recipient, email.language, email.subject, email.body)
    for channel in channels:
        try:
            await channel.deliver(view, idempotency_key(email.id))
        except Exception as exc:  # a channel's failure is retried, never fatal
            log.warning("status e-mail %s: channel %s failed: %r", email.id, channel.name, exc)
            return f"{channel.name}: {type(exc).__name__}: {exc}"[:500]
    return None
