"""User notices (staff only): one per affected user of a released request."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from trustcenter.db.models import Notice as NoticeRow
from trustcenter.graphql.enums import NoticeExceptionKind, NoticeStatus
from trustcenter.graphql.nodes import ctx


@strawberry.type(name="Notice", description="The delayed notice owed to one affected user.")
class NoticeType:
    row: strawberry.Private[NoticeRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field
    def status(self) -> NoticeStatus:
        return NoticeStatus(self.row.status)

    @strawberry.field(description="When the disclosure it follows was released.")
    def released_at(self) -> datetime:
        return self.row.released_at

    @strawberry.field(
        description="Release + the jurisdiction's delay (31 days by default), "
        "later if a non-disclosure order ends later."
    )
    def due_at(self) -> datetime:
        return self.row.due_at

    @strawberry.field
    def delivered_at(self) -> datetime | None:
        return self.row.delivered_at

    @strawberry.field(
        description="The kind of exception holding it back today; null when none does "
        "(always null once delivered or failed)."
    )
    async def exception(self, info: Info) -> NoticeExceptionKind | None:
        if self.row.status not in ("scheduled", "suppressed"):
            return None
        kind = await ctx(info).loaders.notice_hold.load(self.row.request_id)
        return NoticeExceptionKind(kind) if kind else None

    @strawberry.field(description="Delivery attempts so far.")
    def attempts(self) -> int:
        return self.row.attempts

    @strawberry.field(description="Why the last attempt failed, while it is retried or failed.")
    def last_error(self) -> str | None:
        return self.row.last_error

    @strawberry.field(description="How many times a channel accepted it (exactly once: 1).")
    def deliveries(self) -> int:
        return self.row.deliveries
