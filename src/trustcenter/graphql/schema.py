"""The schema and its safety limits."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from trustcenter.graphql.cost import CostBudget
from trustcenter.graphql.document_cache import Documents
from trustcenter.graphql.document_limits import DocumentLimits
from trustcenter.graphql.enums import (
    CATEGORY_SCALAR,
    LEGAL_BASIS_KIND_SCALAR,
    REASON_CODE_SCALAR,
    Category,
    LegalBasisKind,
    ReasonCode,
)
from trustcenter.graphql.errors import ErrorPolicy, ensure_code, without_frames
from trustcenter.graphql.execution import LeanExecutionContext
from trustcenter.graphql.hooks import RememberingRunner
from trustcenter.graphql.mutations import Mutation
from trustcenter.graphql.operation_metrics import OperationMetrics
from trustcenter.graphql.queries import Query
from trustcenter.graphql.types_userdata import AccountType, ProductType
from trustcenter.services.deps import GraphQLLimits


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Unexpected errors are logged by ErrorPolicy with their error id; the rest are the
        client's own (bad input, refused access) and need no server log entry."""

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        """The same hooks, found once per extension class (``hooks``)."""
        return RememberingRunner(execution_context=execution_context, extensions=extensions)

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        """The operation's result; an error that escaped ErrorPolicy (an extension that
        failed) is masked there too, so no error leaves without a code."""
        result = await super().execute(*args, **kwargs)
        if result.errors:
            result.errors = [without_frames(ensure_code(e)) for e in result.errors]
        return result


@cache
def build_schema(limits: GraphQLLimits | None = None) -> Schema:
    """``limits``: the configured ones (the app builds them from its settings), else the
    defaults. Built once per process for each set of limits: the schema holds no caller's
    state (the callers' budgets per minute come with each request's context, see
    :class:`~trustcenter.graphql.cost.CostBudget`)."""
    limits = limits or GraphQLLimits()
    # the metrics, the text's limits (made once here), the errors' codes, the cost and budgets
    extensions: list[object] = [
        OperationMetrics,  # outermost: sees the errors with their codes
        DocumentLimits.factory(limits, Documents()),
        ErrorPolicy,
        partial(CostBudget, limits=limits),
    ]
    return Schema(
        query=Query,
        mutation=Mutation,
        types=[AccountType, ProductType],
        extensions=extensions,  # type: ignore[arg-type]
        execution_context_class=LeanExecutionContext,
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
