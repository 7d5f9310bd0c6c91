"""What failed client authentications leave behind, and the replay guard of client assertions.

Every failure is logged at once (the client id as claimed, cut; the source address; the
reason). The audit gets them in aggregate: failures are counted per claimed client id and
minute (``client_auth_failures``), and each minute that had failures becomes one
``oauth.client_auth_failed`` event with its count once the minute is over (written by the next
request to an OAuth endpoint, by whichever process serves it: only one of them writes it).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from trustcenter.auth.client_auth import ASSERTION_LEEWAY, cut
from trustcenter.clock import Clock
from trustcenter.db.models import UsedClientAssertion
from trustcenter.db.uow import Conflict, UnitOfWorks
from trustcenter.domain.audit import SYSTEM

log = logging.getLogger("trustcenter.auth")

#: the most closed minutes one request audits (the rest wait for the next request)
AUDIT_BATCH = 50


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


async def record_auth_failure(
    work: UnitOfWorks, clock: Clock, client_id: str | None, address: str, reason: str
) -> None:
    """Log one failed client authentication and count it against the claimed client id."""
    claimed = cut(client_id)
    shown = cut(address, 100)
    log.warning(
        "client authentication failed: client_id=%r address=%s reason=%s",
        claimed,
        shown,
        reason,
        extra={
            "event": "client_auth_failed",
            "client_id": claimed,
            "address": shown,
            "reason": reason,
        },
    )
    if not claimed:
        return  # nothing to count it against; the address budget and the log have it
    minute = _minute(clock.now())
    async with work() as uow:
        await uow.clients.count_auth_failure(claimed, minute)


async def audit_auth_failures(work: UnitOfWorks, clock: Clock) -> int:
    """Write one ``oauth.client_auth_failed`` event for each closed minute of failures of each
    client id not yet audited; returns how many were written."""
    now = clock.now()
    closed = _minute(now)
    async with work.read() as uow:
        waiting = await uow.clients.any_unaudited_failures(closed)
    if not waiting:
        return 0
    written = 0
    async with work() as uow:
        rows = await uow.clients.unaudited_failures(closed, AUDIT_BATCH)
        for row in rows:
            if not await uow.clients.claim_failures(row, now):
                continue  # another process audited this minute
            await uow.audit.record(
                clock,
                SYSTEM,
                "oauth.client_auth_failed",
                ("client", row.client_id),
                data={
                    "client_id": row.client_id,
                    "minute": row.window_start.isoformat(),
                    "failures": row.failures,
                },
            )
            written += 1
    return written


async def use_assertion(
    work: UnitOfWorks, clock: Clock, client_id: str, jti: str, exp: int
) -> bool:
    """Record a client assertion as used; False when it was used before (by any process)."""
    now = clock.now()
    try:
        async with work() as uow:
            await uow.clients.forget_expired_assertions(now)
            uow.add(
                UsedClientAssertion(
                    client_id=client_id,
                    jti=jti,
                    expires_at=datetime.fromtimestamp(exp, UTC)
                    + timedelta(seconds=ASSERTION_LEEWAY + 60),
                )
            )
    except Conflict:
        return False
    return True
