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

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from trustcenter.auth.client_auth import ASSERTION_LEEWAY, cut
from trustcenter.clock import Clock
from trustcenter.db.models import ClientAuthFailures, UsedClientAssertion
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
    log.warning(
        "client authentication failed: client_id=%r address=%s reason=%s",
        claimed,
        cut(address, 100),
        reason,
    )
    if not claimed:
        return  # nothing to count it against; the address budget and the log have it
    values = {"client_id": claimed, "window_start": _minute(clock.now()), "failures": 1}
    insert = pg_insert if work.dialect == "postgresql" else sqlite_insert
    statement = (
        insert(ClientAuthFailures)
        .values(**values)
        .on_conflict_do_update(
            index_elements=[ClientAuthFailures.client_id, ClientAuthFailures.window_start],
            set_={"failures": ClientAuthFailures.failures + 1},
        )
    )
    async with work() as uow:
        await uow.session.execute(statement)


async def audit_auth_failures(work: UnitOfWorks, clock: Clock) -> int:
    """Write one ``oauth.client_auth_failed`` event for each closed minute of failures of each
    client id not yet audited; returns how many were written."""
    now = clock.now()
    pending = (ClientAuthFailures.audited_at.is_(None)) & (
        ClientAuthFailures.window_start < _minute(now)
    )
    async with work.read() as uow:
        waiting = (
            await uow.session.execute(select(ClientAuthFailures.client_id).where(pending).limit(1))
        ).first()
    if waiting is None:
        return 0
    written = 0
    async with work() as uow:
        rows = (
            await uow.session.scalars(
                select(ClientAuthFailures)
                .where(pending)
                .order_by(ClientAuthFailures.window_start, ClientAuthFailures.client_id)
                .limit(AUDIT_BATCH)
            )
        ).all()
        for row in rows:
            claimed = await uow.session.execute(
                update(ClientAuthFailures)
                .where(
                    ClientAuthFailures.client_id == row.client_id,
                    ClientAuthFailures.window_start == row.window_start,
                    ClientAuthFailures.audited_at.is_(None),
                )
                .values(audited_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
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
            await uow.session.execute(
                delete(UsedClientAssertion).where(UsedClientAssertion.expires_at < now)
            )
            uow.session.add(
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
