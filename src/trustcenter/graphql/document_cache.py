"""Parsed documents of recent query texts, so a stream of one query is parsed once.

Each schema keeps its own least-recently-used table of ``max_documents`` query texts and their
parsed documents. The table only spares parsing: every request is still validated (the
validation rules record per-request facts, such as which variables hold capped lists), costed
and executed. A text is stored only once it parsed; a text that failed is parsed again each
time. The gate's token limit bounds what one entry can hold.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from graphql import DocumentNode
from strawberry.extensions import SchemaExtension

DEFAULT_MAX_DOCUMENTS = 128


class Documents:
    """The table: query text to parsed document, least recently used first."""

    def __init__(self, max_documents: int = DEFAULT_MAX_DOCUMENTS) -> None:
        self.max_documents = max_documents
        self._table: OrderedDict[str, DocumentNode] = OrderedDict()

    def get(self, query: str) -> DocumentNode | None:
        document = self._table.get(query)
        if document is not None:
            self._table.move_to_end(query)
        return document

    def put(self, query: str, document: DocumentNode) -> None:
        self._table[query] = document
        self._table.move_to_end(query)
        while len(self._table) > self.max_documents:
            self._table.popitem(last=False)

    def __len__(self) -> int:
        return len(self._table)


class TokenLimit(SchemaExtension):
    """The parser's own limit of lexical tokens, comments not counted, as the gate counts
    them (``trustcenter.web.graphql_gate``); it holds for documents that did not pass the
    gate. Strawberry's ``MaxTokensLimiter`` counts comments, so a query the gate admits,
    padded with a comment, would be refused there."""

    def __init__(self, *, max_tokens: int) -> None:
        self.max_tokens = max_tokens

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_lexical_tokens"] = self.max_tokens  # type: ignore[typeddict-unknown-key]
        yield


class DocumentCache(SchemaExtension):
    """Hands strawberry the cached document, which then skips parsing; stores new ones."""

    def __init__(self, *, documents: Documents) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        ec = self.execution_context
        query = ec.query
        cached = self.documents.get(query) if query and ec.graphql_document is None else None
        if cached is not None:
            ec.graphql_document = cached
        yield
        if cached is None and query and ec.graphql_document is not None:
            self.documents.put(query, ec.graphql_document)
