"""The schema and its safety limits."""

from __future__ import annotations

from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from trustcenter.config import Settings
from trustcenter.graphql.enums import (
    CATEGORY_SCALAR,
    LEGAL_BASIS_KIND_SCALAR,
    REASON_CODE_SCALAR,
    Category,
    LegalBasisKind,
    ReasonCode,
)
from trustcenter.graphql.errors import ErrorPolicy
from trustcenter.graphql.mutations import Mutation
from trustcenter.graphql.queries import Query
from trustcenter.graphql.types_userdata import AccountType, ProductType


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Unexpected errors are logged by ErrorPolicy with their error id; the rest are the
        client's own (bad input, refused access) and need no server log entry."""


def build_schema(settings: Settings | None = None) -> Schema:
    settings = settings or Settings()
    extensions: list[object] = [
        partial(QueryDepthLimiter, max_depth=settings.max_query_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        ErrorPolicy,
    ]
    if settings.production:
        extensions.append(DisableIntrospection)
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[AccountType, ProductType],
        extensions=extensions,  # type: ignore[arg-type]
        config=StrawberryConfig(
            disable_field_suggestions=True,
            relay_max_results=100,
            scalar_map={
                Category: CATEGORY_SCALAR,
                LegalBasisKind: LEGAL_BASIS_KIND_SCALAR,
                ReasonCode: REASON_CODE_SCALAR,
            },
        ),
    )


def export_schema() -> str:
    return build_schema().as_str() + "\n"
