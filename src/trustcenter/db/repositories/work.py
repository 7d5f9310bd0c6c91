"""The work in hand, counted for the operators' metrics: three GROUP BY statements, read at
scrape time (``services.work_metrics``)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, not_, select

from trustcenter.db.models import Notice, Request
from trustcenter.db.repositories import Repository
from trustcenter.db.repositories.notices import holding_exception
from trustcenter.domain.notice_states import NoticeStatus

_SCHEDULED = NoticeStatus.SCHEDULED.value
_FAILED = NoticeStatus.FAILED.value


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class WorkRepository(Repository):
    """Counts over the open requests and the notices still to send."""

    async def open_by_status_and_category(
        self, open_statuses: Collection[str]
    ) -> list[tuple[str, str, int]]:
        """(status, category, how many) for the requests in the open statuses."""
        rows = await self._session.execute(
            select(Request.status, Request.category, func.count())
            .where(Request.status.in_(list(open_statuses)))
            .group_by(Request.status, Request.category)
        )
        return [(status, category, int(n)) for status, category, n in rows]

    async def deadlines(
        self, open_statuses: Collection[str], now: datetime, horizon: datetime
    ) -> tuple[int, int, datetime | None]:
        """Among the open requests: how many are past their deadline, how many are due before
        ``horizon``, and when the oldest open emergency was received (None: none open)."""
        oldest = func.min(case((Request.emergency.is_(True), Request.received_at)))
        row = (
            await self._session.execute(
                select(
                    _count(Request.deadline < now),
                    _count(and_(Request.deadline >= now, Request.deadline < horizon)),
                    oldest.label("oldest"),
                ).where(Request.status.in_(list(open_statuses)))
            )
        ).one()
        return int(row[0]), int(row[1]), row[2]

    async def notice_counts(self, now: datetime) -> tuple[int, int, int, datetime | None]:
        """Notices: due (scheduled, due, held back by no exception: waiting for the worker or
        for a retry), held (scheduled, an exception in force), failed; and the oldest due one's
        due time (None: none due)."""
        held = holding_exception(now.date())
        due = and_(Notice.status == _SCHEDULED, Notice.due_at <= now, not_(held))
        row = (
            await self._session.execute(
                select(
                    _count(due),
                    _count(and_(Notice.status == _SCHEDULED, held)),
                    _count(Notice.status == _FAILED),
                    func.min(case((due, Notice.due_at))).label("oldest"),
                ).where(Notice.status.in_([_SCHEDULED, _FAILED]))
            )
        ).one()
        return int(row[0]), int(row[1]), int(row[2]), row[3]
