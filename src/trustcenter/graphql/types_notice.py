"""User notices: the shape clients can rely on (scheduling arrives with the notice worker)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from trustcenter.graphql.enums import NoticeExceptionKind, NoticeStatus


@strawberry.type(name="Notice", description="A delayed notice to one affected user (staff only).")
class NoticeType:
    id: strawberry.ID
    status: NoticeStatus
    due_at: datetime
    delivered_at: datetime | None
    exception: NoticeExceptionKind | None
    deliveries: int
