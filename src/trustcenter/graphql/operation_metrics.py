"""Each GraphQL operation's duration, name and type, and its errors' codes, handed to the
neutral instruments (``observability.instruments``; the web application records them as
Prometheus metrics). The outermost extension: it sees the errors after ``ErrorPolicy`` gave
each its code."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from trustcenter.observability.instruments import recorder


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        context = self.execution_context
        kind = "unknown"  # the document never parsed, or names no operation it holds
        if context.graphql_document is not None:
            # an operation name the document lacks has no type
            with contextlib.suppress(Exception):
                kind = context.operation_type.value
        result = context.result
        codes = [
            str((error.extensions or {}).get("code") or "INTERNAL_SERVER_ERROR")
            for error in ((result.errors or ()) if result is not None else ())
        ]
        recorder().graphql_operation(
            context.operation_name, kind, time.perf_counter() - started, codes
        )
