"""The runner that finds extension hooks once per class (``graphql.hooks``) runs the same
hooks in the same order as strawberry's own, whatever their kind, and a request's extension
instances stay its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext

from trustcenter.graphql.hooks import RememberingRunner

LOG: list[str] = []


class Generators(SchemaExtension):
    def __init__(self) -> None:
        self.seen = 0

    def on_operation(self) -> Iterator[None]:
        self.seen += 1
        LOG.append(f"operation in {self.seen}")
        yield
        LOG.append("operation out")

    def on_validate(self) -> Iterator[None]:
        LOG.append("validate in")
        yield
        LOG.append(f"validate out {len(self.execution_context.pre_execution_errors or ())}")


class Asynchronous(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        LOG.append("execute in")
        yield
        LOG.append("execute out")

    def on_parse(self) -> None:  # a plain function: strawberry's own wrapping
        LOG.append("parse")


class Failing(SchemaExtension):
    async def on_execute(self) -> None:  # an async function
        LOG.append("failing")
        if "boom" in (self.execution_context.query or ""):
            raise ValueError("refused by an extension")


@strawberry.type
class Query:
    hello: str = "hi"
    boom: str = "no"


class Remembering(strawberry.Schema):
    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return RememberingRunner(execution_context=execution_context, extensions=extensions)


def _run(schema: strawberry.Schema, query: str) -> tuple[list[str], Any, list[str]]:
    LOG.clear()
    result = asyncio.run(schema.execute(query, root_value=Query()))
    return list(LOG), result.data, [e.message for e in result.errors or ()]


def test_the_same_hooks_run_in_the_same_order() -> None:
    extensions: list[Any] = [Generators, Asynchronous, Failing]
    theirs = strawberry.Schema(query=Query, extensions=extensions)
    ours = Remembering(query=Query, extensions=extensions)
    for query in ("{ hello }", "{ hello nope }", "{ boom }", "{ hello }"):
        assert _run(ours, query) == _run(theirs, query)
    logged, data, errors = _run(ours, "{ hello }")
    assert data == {"hello": "hi"} and errors == []
    assert logged[0] == "operation in 1"  # a new extension instance for every request
    assert logged == [
        "operation in 1", "parse", "validate in", "validate out 0", "execute in", "failing",
        "execute out", "operation out",
    ]  # fmt: skip


class Suppressing(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        LOG.append("suppressing in")
        try:
            yield
        except ValueError as error:  # what an inner hook raised on its way out
            LOG.append(f"suppressed {error} after {error.__context__!r}")
        LOG.append("suppressing out")


class AsyncOnly(SchemaExtension):
    async def on_execute(self) -> AsyncIterator[None]:
        LOG.append("async in")
        yield
        LOG.append("async out")


class Raising(SchemaExtension):
    def on_validate(self) -> Iterator[None]:
        if "refuse" in (self.execution_context.query or ""):
            raise ValueError("refused on the way in")
        yield

    def on_execute(self) -> Iterator[None]:
        LOG.append("raising in")
        yield
        if "boom" in (self.execution_context.query or ""):
            raise ValueError("raised on the way out")
        LOG.append("raising out")


def test_generator_hooks_entered_and_left_as_strawberrys_stack_does() -> None:
    """Stages whose hooks are all generators are run by the runner itself: the same order,
    and an exception on the way in or out reaches the same hooks, with the same context."""
    for extensions in (
        [Generators, AsyncOnly, Raising],
        [Suppressing, Generators, AsyncOnly, Raising],
        [Raising, Suppressing, AsyncOnly],
    ):
        theirs = strawberry.Schema(query=Query, extensions=extensions)  # type: ignore[arg-type]
        ours = Remembering(query=Query, extensions=extensions)  # type: ignore[arg-type]
        for query in ("{ hello }", "{ boom }", "{ refuse: hello }", "{ nope }"):
            try:
                expected: Any = _run(theirs, query)
            except ValueError as error:
                with pytest.raises(ValueError, match=str(error)):
                    _run(ours, query)
                expected = LOG[:]
            else:
                assert _run(ours, query) == expected
            assert (expected[0] if isinstance(expected, tuple) else expected) == LOG
    logged, _, _ = _run(Remembering(query=Query, extensions=[Suppressing, Raising]), "{ boom }")
    assert "suppressed raised on the way out after None" in logged
