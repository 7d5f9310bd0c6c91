"""Reclassifying a request over GraphQL (reviewers)."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.enums import Category
from trustcenter.graphql.mutations_review import RequestPayload, named_request, request_payload
from trustcenter.graphql.nodes import ctx
from trustcenter.services.classification import reclassify


@strawberry.input
class ReclassifyRequestInput:
    request_id: relay.GlobalID
    version: int = strawberry.field(description="The version you read; stale is refused.")
    category: Category = strawberry.field(
        description="Any registered category (the `categories` query lists them)."
    )
    reason: str = strawberry.field(description="Why the category changes; kept in the audit.")


@strawberry.type
class ClassificationMutation:
    @strawberry.mutation(
        description=described(
            "reclassify",
            "Move a request to another report category, with a reason; possible until it is "
            "disclosed.",
        )
    )
    async def reclassify_request(
        self, info: Info, input: ReclassifyRequestInput
    ) -> RequestPayload | None:
        c = ctx(info)
        return await request_payload(
            info,
            lambda: reclassify(
                c.app,
                c.principal,
                named_request(input.request_id),
                input.version,
                str(input.category),
                input.reason,
            ),
        )
