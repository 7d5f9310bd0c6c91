"""What an operation costs, and each caller's budget per minute.

The cost is static: computed from the parsed, validated document before any resolver runs.
Every field costs 1; the lists of a paged field (one with a ``first`` argument: its ``edges``)
multiply what they select by its page size (``first``, else the default page size; never more
than the largest page size); a list field without paging multiplies what it selects by
:data:`LIST_ESTIMATE`; nested lists multiply. Fragments and inline fragments count where they
are spread; introspection fields count 1 each and nothing below them.

An operation above ``max_query_cost`` is refused as ``TOO_COMPLEX``. Each caller (its OAuth
client; a caller without a token: its source address, with a smaller budget) has a number of
requests and a summed cost per minute; past either the answer is HTTP 429 with ``Retry-After``
and ``RATE_LIMITED``. Every answer says what is left in ``extensions.cost``.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInt,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    value_from_ast,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import VariableValues, get_variable_values
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import Storage
from limits.aio.strategies import FixedWindowRateLimiter
from strawberry.extensions import SchemaExtension

from trustcenter.auth.principal import Principal
from trustcenter.services.deps import GraphQLLimits

log = logging.getLogger("trustcenter.graphql")

#: how many elements a list without paging (a request's targets, its messages) is assumed to hold
LIST_ESTIMATE = 5


class _Coster:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        default_page: int,
        max_page: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_page = default_page
        self.max_page = max_page
        #: a fragment costs the same wherever it is spread (on a page of the same size)
        self.fragment_costs: dict[tuple[str, int | None], int] = {}

    def selections(self, selection_set: SelectionSetNode, parent: Any, page: int | None) -> int:
        """``page``: ``parent`` is what a paged field returned, and its lists (edges, nodes)
        hold that many elements."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, page)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, target, page)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.fragment(selection.name.value, page)
        return total

    def fragment(self, name: str, page: int | None) -> int:
        key = (name, page)
        if key not in self.fragment_costs:
            self.fragment_costs[key] = 0  # validation forbids cycles; this guards anyway
            definition = self.fragments.get(name)
            if definition is not None:
                target = self.schema.get_type(definition.type_condition.name.value)
                self.fragment_costs[key] = self.selections(definition.selection_set, target, page)
        return self.fragment_costs[key]

    def field(self, node: FieldNode, parent: Any, page: int | None) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None) or {}
        definition = fields.get(name)
        if name.startswith("__") or definition is None or node.selection_set is None:
            return 1
        child_type = get_named_type(definition.type)
        if "first" in definition.args:
            return 1 + self.selections(node.selection_set, child_type, self.page_size(node))
        inner = self.selections(node.selection_set, child_type, None)
        if is_list_type(get_nullable_type(definition.type)):
            return 1 + (LIST_ESTIMATE if page is None else page) * inner
        return 1 + inner

    def page_size(self, node: FieldNode) -> int:
        size: Any = None
        for argument in node.arguments or ():
            if argument.name.value == "first":
                size = value_from_ast(argument.value, GraphQLInt, dict(self.variables))
        if not isinstance(size, int):
            size = self.default_page
        return max(0, min(int(size), self.max_page))


def query_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: GraphQLLimits,
) -> int:
    """The static cost of the operation ``operation_name`` names in ``document``."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    coster = _Coster(
        schema,
        fragments,
        _coerced_variables(schema, operation, variables or {}),
        limits.default_page_size,
        limits.max_page_size,
    )
    return coster.selections(operation.selection_set, root, None)


#: the costs of recent operations, least recently used first: ``(schema, limits, text,
#: operation name, variables) -> cost``. The cost is a function of these alone, and a client
#: sends the same few texts with the same few page sizes: remembering it spares the walk over
#: the document and the variables' coercion. The variables matter only where the text gives a
#: page size (``first``) as a variable, the one place the cost reads one; a text without such a
#: variable (a mutation's input, say) is remembered whatever its variables, under
#: :data:`ANY_VARIABLES` (whether they coerce cannot matter either: no page size is read from
#: them). A text with one is remembered per variables when they are all scalars (hashable,
#: compared by value).
_COSTS: OrderedDict[tuple[Any, ...], int] = OrderedDict()
KEPT_COSTS = 256
_SCALARS = (str, int, float, bool, type(None))
#: the variables part of the key of a text that gives no page size as a variable
ANY_VARIABLES = ("any variables",)
#: what that key holds for a text that does give a page size as a variable
PAGED_BY_VARIABLE = -1


def remembered_cost(
    schema: GraphQLSchema,
    query: str | None,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    limits: GraphQLLimits,
) -> int:
    """:func:`query_cost`, remembered for a query text with the same variables (any variables,
    for a text that gives no page size as a variable: a mutation's input, say)."""
    if query is None:
        return query_cost(schema, document, operation_name, variables, limits)
    free = (schema, limits, query, operation_name, ANY_VARIABLES)
    known = _COSTS.get(free)
    if known is None:
        if not _pages_by_variable(document):
            return _remember(free, query_cost(schema, document, operation_name, variables, limits))
        _remember(free, PAGED_BY_VARIABLE)  # the walk is not repeated for this text
    elif known != PAGED_BY_VARIABLE:
        _COSTS.move_to_end(free)
        return known
    # each value with its type: True and 1 are equal keys, not equal variables
    values = tuple(sorted((k, type(v), v) for k, v in (variables or {}).items()))
    if not all(t in _SCALARS for _, t, _ in values):
        return query_cost(schema, document, operation_name, variables, limits)
    key = (schema, limits, query, operation_name, values)
    known = _COSTS.get(key)
    if known is None:
        return _remember(key, query_cost(schema, document, operation_name, variables, limits))
    _COSTS.move_to_end(key)
    return known


def _remember(key: tuple[Any, ...], cost: int) -> int:
    _COSTS[key] = cost
    while len(_COSTS) > KEPT_COSTS:
        _COSTS.popitem(last=False)
    return cost


def _pages_by_variable(document: DocumentNode) -> bool:
    """Whether any field of the document (its fragments included) gives ``first`` as a
    variable: only then does the cost depend on the variables (``_Coster.page_size``)."""
    sets = [d.selection_set for d in document.definitions if hasattr(d, "selection_set")]
    while sets:
        for selection in sets.pop().selections:
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    if argument.name.value == "first" and isinstance(argument.value, VariableNode):
                        return True
            inner = getattr(selection, "selection_set", None)  # none in a fragment spread
            if inner is not None:
                sets.append(inner)
    return False


def _coerced_variables(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Mapping[str, Any]
) -> Mapping[str, Any]:
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables))
    # bad variables: execution refuses them; the cost then uses default page sizes
    return coerced.coerced if isinstance(coerced, VariableValues) else {}


@dataclass(frozen=True)
class Spent:
    """One caller's cost budget after a request."""

    requested: int | None
    maximum: int
    remaining: int
    reset_at: float
    refused: bool = False

    def extension(self) -> dict[str, Any]:
        reset = datetime.fromtimestamp(math.ceil(self.reset_at), UTC)
        return {
            "requestedQueryCost": self.requested,
            "maximumAvailable": self.maximum,
            "remaining": self.remaining,
            "resetAt": reset.isoformat().replace("+00:00", "Z"),
        }

    @property
    def retry_after(self) -> int:
        return max(1, math.ceil(self.reset_at - time.time()))


class Budget:
    """Each caller's requests and summed cost per minute, in the shared rate-limit storage."""

    def __init__(self, limits: GraphQLLimits, storage: Storage) -> None:
        self.limits = limits
        self.limiter = FixedWindowRateLimiter(storage)
        s = limits
        cost, requests = f"{s.rate_limit_prefix}-graphql-cost", f"{s.rate_limit_prefix}-graphql-req"
        per_minute = RateLimitItemPerMinute
        #: by whether the caller has a token (its client) or not (its address)
        self.cost_items = {
            True: per_minute(s.cost_per_minute, namespace=cost),
            False: per_minute(s.anonymous_cost_per_minute, namespace=cost),
        }
        self.request_items = {
            True: per_minute(s.requests_per_minute, namespace=requests),
            False: per_minute(s.anonymous_requests_per_minute, namespace=requests),
        }

    @staticmethod
    def caller(principal: Principal, address: str | None) -> tuple[bool, str]:
        if principal.authenticated and principal.client_id:
            return True, f"client:{principal.client_id}"
        return False, f"address:{address or 'unknown'}"

    async def admit_request(self, principal: Principal, address: str | None) -> Spent | None:
        """Count one request; a :class:`Spent` (refused) past the caller's request budget."""
        known, key = self.caller(principal, address)
        item = self.request_items[known]
        if await self.limiter.hit(item, key):
            return None
        stats = await self.limiter.get_window_stats(item, key)
        cost = await self.stats(self.cost_items[known], key, None)
        return Spent(None, cost.maximum, cost.remaining, stats.reset_time, refused=True)

    async def charge(self, principal: Principal, address: str | None, cost: int) -> Spent:
        """Take ``cost`` from the caller's budget; refused (nothing taken) if it does not fit."""
        known, key = self.caller(principal, address)
        item = self.cost_items[known]
        fits = cost <= item.amount and await self.limiter.test(item, key, cost=cost)
        if fits and cost > 0:
            fits = await self.limiter.hit(item, key, cost=cost)
        spent = await self.stats(item, key, cost)
        return Spent(spent.requested, spent.maximum, spent.remaining, spent.reset_at, not fits)

    async def peek(self, principal: Principal, address: str | None, cost: int | None) -> Spent:
        known, key = self.caller(principal, address)
        return await self.stats(self.cost_items[known], key, cost)

    async def stats(self, item: RateLimitItem, key: str, cost: int | None) -> Spent:
        window = await self.limiter.get_window_stats(item, key)
        reset = window.reset_time if window.remaining < item.amount else time.time() + 60
        return Spent(cost, item.amount, window.remaining, reset)


def rate_limited(spent: Spent, what: str) -> dict[str, Any]:
    """The GraphQL-shaped body of a 429."""
    message = f"{what} budget used up; retry after {spent.retry_after} s"
    return {
        "errors": [{"message": message, "extensions": {"code": "RATE_LIMITED"}}],
        "extensions": {"cost": spent.extension()},
    }


class CostBudget(SchemaExtension):
    """Refuse an operation above the per-request maximum (``TOO_COMPLEX``) or past the
    caller's budget (429 ``RATE_LIMITED``) before it runs; report the budget in
    ``extensions.cost``. The budget is the app's, in the request's context (``budget``);
    without one only the per-request maximum applies."""

    def __init__(self, *, limits: GraphQLLimits) -> None:
        self.limits = limits
        self.spent: Spent | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        assert ctx.graphql_document is not None  # execution follows parsing and validation
        cost = remembered_cost(
            ctx.schema._schema,
            ctx.query,
            ctx.graphql_document,
            ctx.operation_name,
            ctx.variables,
            self.limits,
        )
        error = self._refusal(cost)
        refused_already = ctx.result is not None  # another limit refused it: charge nothing
        budget: Budget | None = getattr(ctx.context, "budget", None)
        if budget is not None:
            principal, address = _caller(ctx.context)
            try:
                if error is None and not refused_already:
                    self.spent = await budget.charge(principal, address, cost)
                else:
                    self.spent = await budget.peek(principal, address, cost)
            except Exception:  # the storage is down: serve rather than refuse everyone
                log.warning("rate-limit storage unavailable; budgets not applied", exc_info=True)
        if error is None and self.spent is not None and self.spent.refused:
            error = GraphQLError(
                rate_limited(self.spent, "query cost")["errors"][0]["message"],
                extensions={"code": "RATE_LIMITED"},
            )
            response = getattr(ctx.context, "response", None)
            if response is not None:
                response.status_code = 429
                response.headers["Retry-After"] = str(self.spent.retry_after)
        if error is not None and not refused_already:
            ctx.result = GraphQLExecutionResult(data=None, errors=[error])
        yield

    def _refusal(self, cost: int) -> GraphQLError | None:
        maximum = self.limits.max_query_cost
        if cost <= maximum:
            return None
        return GraphQLError(
            f"query cost {cost} is above the maximum of {maximum}: ask for smaller pages "
            "(first) or fewer nested lists",
            extensions={"code": "TOO_COMPLEX", "cost": cost, "maximumCost": maximum},
        )

    def get_results(self) -> dict[str, Any]:
        return {"cost": self.spent.extension()} if self.spent is not None else {}


def _caller(context: Any) -> tuple[Principal, str | None]:
    request = getattr(context, "request", None)
    client = getattr(request, "client", None)
    return context.principal, getattr(client, "host", None)
