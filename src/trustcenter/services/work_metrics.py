"""The work in hand as the operators' metrics see it, computed at scrape time: open requests
by status and category, deadlines (overdue, due soon, the oldest open emergency's age) and the
notices still to send (due, held, failed, and how far behind the worker is). Three statements
on one read unit; the web layer formats them (``observability.exposition``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from trustcenter.domain.lifecycle import OPEN
from trustcenter.services.deps import AppParts

_OPEN = sorted(s.value for s in OPEN)


@dataclass(frozen=True)
class WorkSnapshot:
    #: (status, category, how many) for every open status and category with requests
    open_requests: tuple[tuple[str, str, int], ...]
    overdue: int
    due_soon: int
    #: seconds since the oldest open emergency request was received (0: none open)
    oldest_emergency_age: float
    notices_due: int
    notices_held: int
    notices_failed: int
    #: seconds since the oldest due, undelivered notice fell due (0: none due)
    notice_lag: float


async def work_snapshot(app: AppParts) -> WorkSnapshot:
    """The counts as of now (``app.settings.due_soon_hours`` sets what "due soon" means)."""
    now = app.clock.now()
    horizon = now + timedelta(hours=app.settings.due_soon_hours)
    async with app.uow.read() as uow:
        grouped = await uow.work.open_by_status_and_category(_OPEN)
        overdue, due_soon, oldest = await uow.work.deadlines(_OPEN, now, horizon)
        due, held, failed, oldest_due = await uow.work.notice_counts(now)
    return WorkSnapshot(
        open_requests=tuple(grouped),
        overdue=overdue,
        due_soon=due_soon,
        oldest_emergency_age=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        notices_due=due,
        notices_held=held,
        notices_failed=failed,
        notice_lag=max(0.0, (now - oldest_due).total_seconds()) if oldest_due else 0.0,
    )
