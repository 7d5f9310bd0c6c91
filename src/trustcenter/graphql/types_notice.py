"""User notices (staff only): one per affected user of a released request."""

from __future__ import annotations

from datetime import datetime

import strawberry

from trustcenter.db.models import Notice as NoticeRow
from trustcenter.graphql.enums import NoticeStatus


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

    @strawberry.field(description="How many times a channel accepted it (exactly once: 1).")
    def deliveries(self) -> int:
        return self.row.deliveries
