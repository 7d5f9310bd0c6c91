"""Notice exceptions over GraphQL (scope notices, checked by the services)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.enums import NoticeExceptionKind
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.mutations_review import named_request
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.graphql.types_notice import NoticeExceptionType
from trustcenter.services import notice_exceptions as service
from trustcenter.services.view_records import notice_exception_view


@strawberry.input
class RecordNoticeExceptionInput:
    request_id: relay.GlobalID
    kind: NoticeExceptionKind
    justification: str
    reference: str | None = None
    ends_on: date | None = None


@strawberry.input
class ChangeNoticeExceptionInput:
    exception_id: strawberry.ID
    justification: str


@strawberry.type
class NoticeExceptionPayload:
    exception: NoticeExceptionType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _run(work: Callable[[], Awaitable[Any]]) -> NoticeExceptionPayload:
    return await payload(
        NoticeExceptionPayload,
        work,
        lambda row: NoticeExceptionPayload(
            exception=NoticeExceptionType(view=notice_exception_view(row))
        ),
    )


@strawberry.type
class NoticeExceptionQuery:
    @strawberry.field(
        description=described(
            "notice_exceptions_due",
            "Exceptions without an end date due for re-review, the most overdue first; each "
            "names its request, and its id is what liftNoticeException and "
            "confirmNoticeException take.",
        )
    )
    async def notice_exceptions_due_for_review(self, info: Info) -> list[NoticeExceptionType]:
        c = ctx(info)
        rows = await service.due_for_review(c.app, c.principal)
        return [NoticeExceptionType(view=notice_exception_view(r)) for r in rows]


@strawberry.type
class NoticeExceptionMutation:
    @strawberry.mutation(
        description=described(
            "record_notice_exception", "Hold a request's user notices back for a lawful reason."
        )
    )
    async def record_notice_exception(
        self, info: Info, input: RecordNoticeExceptionInput
    ) -> NoticeExceptionPayload | None:
        c = ctx(info)
        return await _run(
            lambda: service.record_exception(
                c.app,
                c.principal,
                named_request(input.request_id),
                service.ExceptionKind(input.kind.value),
                input.justification,
                input.reference,
                input.ends_on,
            )
        )

    @strawberry.mutation(
        description=described(
            "lift_notice_exception", "End an exception; the notices become due again."
        )
    )
    async def lift_notice_exception(
        self, info: Info, input: ChangeNoticeExceptionInput
    ) -> NoticeExceptionPayload | None:
        c = ctx(info)
        exception_id = parse_id(input.exception_id) or MISSING
        return await _run(
            lambda: service.lift_exception(c.app, c.principal, exception_id, input.justification)
        )

    @strawberry.mutation(
        description=described(
            "confirm_notice_exception",
            "Re-review: the exception still holds; it comes up again in 90 days.",
        )
    )
    async def confirm_notice_exception(
        self, info: Info, input: ChangeNoticeExceptionInput
    ) -> NoticeExceptionPayload | None:
        c = ctx(info)
        exception_id = parse_id(input.exception_id) or MISSING
        return await _run(
            lambda: service.confirm_exception(c.app, c.principal, exception_id, input.justification)
        )
