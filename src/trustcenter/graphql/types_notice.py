"""User notices and the exceptions holding them back (staff only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.domain.notice_states import OPEN_NOTICE_STATES
from trustcenter.graphql.enums import NoticeExceptionKind, NoticeStatus
from trustcenter.graphql.nodes import ctx
from trustcenter.services.view_records import NoticeExceptionView, NoticeView

if TYPE_CHECKING:
    from trustcenter.graphql.types_request import RequestType


@strawberry.type(name="NoticeException", description="A lawful reason to hold notices back.")
class NoticeExceptionType:
    view: strawberry.Private[NoticeExceptionView]

    @strawberry.field(
        description="What liftNoticeException and confirmNoticeException take as exceptionId."
    )
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field(
        description="The id of the request whose notices it holds back (as Request.id, for "
        "request(id:))."
    )
    def request_id(self) -> relay.GlobalID:
        return relay.GlobalID("Request", str(self.view.request_id))

    @strawberry.field(
        description="The request whose notices it holds back (scopes review, audit or admin)."
    )
    async def request(
        self, info: Info
    ) -> Annotated[RequestType, strawberry.lazy("trustcenter.graphql.types_request")] | None:
        from trustcenter.graphql.types_request import RequestType

        view = await ctx(info).loaders.request.load(self.view.request_id)
        return RequestType(view=view) if view is not None else None

    @strawberry.field
    def kind(self) -> NoticeExceptionKind:
        return NoticeExceptionKind(self.view.kind)

    @strawberry.field(description="The court order or law, for COURT_ORDER_OR_LAW.")
    def reference(self) -> str | None:
        return self.view.reference

    @strawberry.field(description="The last day it holds; null: until lifted.")
    def ends_on(self) -> date | None:
        return self.view.ends_on

    @strawberry.field
    def justification(self) -> str:
        return self.view.justification

    @strawberry.field
    def recorded_at(self) -> datetime:
        return self.view.recorded_at

    @strawberry.field(description="When it comes up for re-review (exceptions without an end).")
    def review_due_at(self) -> datetime | None:
        return self.view.review_due_at

    @strawberry.field
    def lifted_at(self) -> datetime | None:
        return self.view.lifted_at


@strawberry.type(name="Notice", description="The delayed notice owed to one affected user.")
class NoticeType:
    view: strawberry.Private[NoticeView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field(
        description="The id of the request whose disclosure it follows (as Request.id, for "
        "request(id:))."
    )
    def request_id(self) -> relay.GlobalID:
        return relay.GlobalID("Request", str(self.view.request_id))

    @strawberry.field(
        description="The request whose disclosure it follows (scopes review, audit or admin)."
    )
    async def request(
        self, info: Info
    ) -> Annotated[RequestType, strawberry.lazy("trustcenter.graphql.types_request")] | None:
        from trustcenter.graphql.types_request import RequestType

        view = await ctx(info).loaders.request.load(self.view.request_id)
        return RequestType(view=view) if view is not None else None

    @strawberry.field
    def status(self) -> NoticeStatus:
        return NoticeStatus(self.view.status)

    @strawberry.field(description="When the disclosure it follows was released.")
    def released_at(self) -> datetime:
        return self.view.released_at

    @strawberry.field(
        description="Release + the jurisdiction's delay (31 days, never less; a plugin may "
        "set more), later if a non-disclosure order ends later."
    )
    def due_at(self) -> datetime:
        return self.view.due_at

    @strawberry.field
    def delivered_at(self) -> datetime | None:
        return self.view.delivered_at

    @strawberry.field(
        description="The exception holding it back today (the first recorded when several "
        "do; its id lifts it); null when none does (always null once delivered or failed)."
    )
    async def exception(self, info: Info) -> NoticeExceptionType | None:
        if self.view.status not in OPEN_NOTICE_STATES:
            return None
        view = await ctx(info).loaders.notice_hold.load(self.view.request_id)
        return NoticeExceptionType(view=view) if view is not None else None

    @strawberry.field(description="Delivery attempts so far.")
    def attempts(self) -> int:
        return self.view.attempts

    @strawberry.field(description="Why the last attempt failed, while it is retried or failed.")
    def last_error(self) -> str | None:
        return self.view.last_error

    @strawberry.field(description="How many times a channel accepted it (exactly once: 1).")
    def deliveries(self) -> int:
        return self.view.deliveries
