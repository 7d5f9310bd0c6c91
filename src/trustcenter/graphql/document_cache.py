"""Parsed and validated documents of recent query texts: a stream of one query is parsed
and validated once.

Each schema keeps its own least-recently-used table of ``max_documents`` query texts, each with
its parsed document and, once validated, the validation's outcome: the errors (none for a valid
document) and what the validation rules recorded about the document — which variables sit in
capped list positions, and their caps (``caps.literal_rule``). Validation depends on nothing but
the text and the schema (the rules are the schema's, the same for every caller), so the next
request with the same text gets the same errors, and the same caps for its variables, without
running the rules again. Everything that depends on the request is still done per request: the
variables' lists checked against the caps, the cost, the budgets, the access rules, execution.
A text is stored only once it parsed; a text that failed to parse is parsed again each time.
The gate's token limit bounds what one entry can hold.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError

from trustcenter.graphql.errors import without_frames

DEFAULT_MAX_DOCUMENTS = 128

#: a variable's name to the key and cap of the capped list position it fills (``caps``)
VariableCaps = dict[str, tuple[str, int]]


@dataclass(frozen=True, slots=True)
class Validated:
    """A document's validation: its errors (empty: valid) and the variables' list caps."""

    errors: tuple[GraphQLError, ...]
    variable_caps: tuple[tuple[str, tuple[str, int]], ...]


@dataclass(slots=True)
class Entry:
    document: DocumentNode
    validated: Validated | None = None


class Documents:
    """The table: query text to parsed document (and its validation), least recently used
    first."""

    def __init__(self, max_documents: int = DEFAULT_MAX_DOCUMENTS) -> None:
        self.max_documents = max_documents
        self._table: OrderedDict[str, Entry] = OrderedDict()

    def entry(self, query: str) -> Entry | None:
        found = self._table.get(query)
        if found is not None:
            self._table.move_to_end(query)
        return found

    def get(self, query: str) -> DocumentNode | None:
        found = self.entry(query)
        return found.document if found is not None else None

    def put(self, query: str, document: DocumentNode) -> None:
        self._table[query] = Entry(document)
        self._table.move_to_end(query)
        while len(self._table) > self.max_documents:
            self._table.popitem(last=False)

    def validated(self, query: str | None, document: DocumentNode | None) -> Validated | None:
        """The stored validation of ``query``, if ``document`` is the one stored for it."""
        found = self._table.get(query) if query else None
        if found is None or found.document is not document:
            return None
        return found.validated

    def record(
        self, query: str | None, document: DocumentNode | None, errors: list[GraphQLError],
        variable_caps: VariableCaps,
    ) -> None:  # fmt: skip
        """Keep the validation of the stored ``document`` of ``query``; its errors lose their
        tracebacks (:func:`without_frames`)."""
        found = self._table.get(query) if query else None
        if found is not None and found.document is document:
            kept = tuple(without_frames(e) for e in errors)
            found.validated = Validated(kept, tuple(variable_caps.items()))

    def __len__(self) -> int:
        return len(self._table)
