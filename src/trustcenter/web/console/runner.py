"""Running the console's operations: in-process, against the schema ``/graphql`` serves, as the
signed-in person (their principal, fresh loaders, the same limits, costs and budgets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from strawberry.schema.base import BaseSchema

from trustcenter.bootstrap import Container
from trustcenter.graphql.context import Context
from trustcenter.graphql.cost import Budget
from trustcenter.graphql.loaders import Loaders
from trustcenter.web.authentication import principal_of
from trustcenter.web.console.operations import operation


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an operation answered: its data, and its errors as GraphQL formats them."""

    data: dict[str, Any]
    errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def codes(self) -> set[str]:
        """The ``extensions.code`` of every error."""
        return {str((e.get("extensions") or {}).get("code", "")) for e in self.errors}

    def payload(self, field_name: str) -> dict[str, Any]:
        """A mutation's payload (``{}`` when the operation failed as a whole)."""
        return self.data.get(field_name) or {}

    def user_errors(self, field_name: str) -> list[dict[str, Any]]:
        """A mutation payload's ``userErrors``."""
        return list(self.payload(field_name).get("userErrors") or [])


class Runner:
    def __init__(
        self, container: Container, schema: BaseSchema, budget: Budget | None = None
    ) -> None:
        self.container = container
        self.schema = schema
        #: the app's callers' budgets, which the console's operations count against too
        self.budget = budget

    async def run(
        self, request: Request, name: str, variables: dict[str, Any] | None = None
    ) -> Outcome:
        """Run the operation ``name`` as the caller of ``request``."""
        principal = principal_of(request)
        context = Context(
            principal=principal,
            app=self.container,
            loaders=Loaders(self.container, principal),
            request=request,
            budget=self.budget,
        )
        result = await self.schema.execute(
            operation(name),
            variable_values=variables or {},
            context_value=context,
            operation_name=name,
        )
        errors: list[dict[str, Any]] = [dict(e.formatted) for e in result.errors or []]
        return Outcome(result.data or {}, errors)
