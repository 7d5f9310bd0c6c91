"""What depends on the query text alone, in one schema extension: the parser's token limit,
the table of parsed and validated documents (``document_cache``), the validation rules of
our limits (depth, aliases, list literals, introspection in production) and the variables'
list caps (``caps``).

They were five extensions; strawberry makes each extension anew for every request and wraps
each of its hooks in a context manager of its own, and each limiter made its validation
rule (a class) anew as well — on every request, although a text validated before runs no rule
(its validation comes from the table). Here the rules of the limits are made once per schema
and added only when a text is validated, in the order the limiters added them; the per-request
work is what the request itself brings: its text looked up, its variables checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

from trustcenter.graphql.caps import literal_rule, variables_error
from trustcenter.graphql.document_cache import Documents, VariableCaps
from trustcenter.services.deps import GraphQLLimits


class DocumentLimits(SchemaExtension):
    """Parse (at most ``max_tokens`` tokens) or take the cached document; validate with the
    limits' rules or take the cached validation; check the variables' lists before execution.

    A document the parser stopped, the validation refused or whose variables hold a list past
    its cap answers the same errors as when each limit was an extension of its own: the parser
    sees the same limit, the rules run in the same order (strawberry's depth limiter, its alias
    limiter, the list-literal rule, then in production the introspection rule)."""

    def __init__(
        self, *, documents: Documents, max_tokens: int, rules: tuple[type[ASTValidationRule], ...],
        last_rules: tuple[type[ASTValidationRule], ...] = (),
    ) -> None:  # fmt: skip
        self.documents = documents
        self.max_tokens = max_tokens
        self.rules = rules
        self.last_rules = last_rules
        self.variable_caps: VariableCaps = {}

    @classmethod
    def factory(cls, limits: GraphQLLimits, documents: Documents) -> partial[DocumentLimits]:
        """What the schema makes one extension per request with: the rules made once, here."""
        rules = (depth_rule(limits.max_query_depth, None, None), aliases_rule(limits.max_aliases))
        last = (NoSchemaIntrospectionCustomRule,) if limits.production else ()
        return partial(
            cls, documents=documents, max_tokens=limits.max_tokens, rules=rules, last_rules=last
        )

    def on_parse(self) -> Iterator[None]:
        """The parser's own limit of lexical tokens, comments not counted, as the gate counts
        them (``trustcenter.web.graphql_gate``); it holds for documents that did not pass the
        gate. (Strawberry's ``MaxTokensLimiter`` counts comments, so a query the gate admits,
        padded with a comment, would be refused there.) A text parsed before is not parsed
        again: strawberry skips parsing when the document is there."""
        ec = self.execution_context
        ec.parse_options["max_lexical_tokens"] = self.max_tokens  # type: ignore[typeddict-unknown-key]
        query = ec.query
        cached = self.documents.get(query) if query and ec.graphql_document is None else None
        if cached is not None:
            ec.graphql_document = cached
        yield
        if cached is None and query and ec.graphql_document is not None:
            self.documents.put(query, ec.graphql_document)

    def on_validate(self) -> Iterator[None]:
        ec = self.execution_context
        known = None
        if ec.pre_execution_errors is None:
            known = self.documents.validated(ec.query, ec.graphql_document)
        if known is not None:
            # strawberry runs no rule when the errors are already there
            ec.pre_execution_errors = list(known.errors)
            self.variable_caps.update(known.variable_caps)
            yield
            return
        ec.validation_rules = (
            *ec.validation_rules,
            *self.rules,
            literal_rule(self.variable_caps),
            *self.last_rules,
        )
        yield
        if ec.pre_execution_errors is not None:
            self.documents.record(
                ec.query, ec.graphql_document, ec.pre_execution_errors, self.variable_caps
            )

    def on_execute(self) -> Iterator[None]:
        error = variables_error(self.execution_context, self.variable_caps)
        if error is not None:
            self.execution_context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield
