"""Notice exceptions over GraphQL (scope notices)."""

from __future__ import annotations

import uuid
from datetime import date

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.domain.errors import DomainError
from trustcenter.graphql.enums import NoticeExceptionKind
from trustcenter.graphql.errors import UserError, user_errors
from trustcenter.graphql.mutations_review import request_uuid
from trustcenter.graphql.nodes import ctx
from trustcenter.graphql.types_notice import NoticeExceptionType
from trustcenter.services import notice_exceptions as service


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


def _uuid(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return uuid.UUID(int=0)


async def _run(work: object) -> NoticeExceptionPayload:
    try:
        row = await work  # type: ignore[misc]
    except DomainError as error:
        return NoticeExceptionPayload(user_errors=user_errors(error))
    return NoticeExceptionPayload(exception=NoticeExceptionType(row=row))


@strawberry.type
class NoticeExceptionQuery:
    @strawberry.field(
        description="Exceptions without an end date due for re-review (notices), the most "
        "overdue first; each names its request, and its id is what liftNoticeException and "
        "confirmNoticeException take."
    )
    async def notice_exceptions_due_for_review(self, info: Info) -> list[NoticeExceptionType]:
        c = ctx(info)
        rows = await service.due_for_review(c.app.db, c.app.clock, c.principal)
        return [NoticeExceptionType(row=r) for r in rows]


@strawberry.type
class NoticeExceptionMutation:
    @strawberry.mutation(
        description="Hold a request's user notices back for a lawful reason (scope notices)."
    )
    async def record_notice_exception(
        self, info: Info, input: RecordNoticeExceptionInput
    ) -> NoticeExceptionPayload | None:
        c = ctx(info)
        return await _run(
            service.record_exception(
                c.app.db,
                c.app.clock,
                c.principal,
                request_uuid(input.request_id),
                service.ExceptionKind(input.kind.value),
                input.justification,
                input.reference,
                input.ends_on,
            )
        )

    @strawberry.mutation(
        description="End an exception; the notices become due again (scope notices)."
    )
    async def lift_notice_exception(
        self, info: Info, input: ChangeNoticeExceptionInput
    ) -> NoticeExceptionPayload | None:
        c = ctx(info)
        return await _run(
            service.lift_exception(
                c.app.db, c.app.clock, c.principal, _uuid(input.exception_id), input.justification
            )
        )

    @strawberry.mutation(
        description="Re-review: the exception still holds; it comes up again "
        "in 90 days (scope notices)."
    )
    async def confirm_notice_exception(
        self, info: Info, input: ChangeNoticeExceptionInput
    ) -> NoticeExceptionPayload | None:
        c = ctx(info)
        return await _run(
            service.confirm_exception(
                c.app.db, c.app.clock, c.principal, _uuid(input.exception_id), input.justification
            )
        )
