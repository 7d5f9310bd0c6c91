"""The short way for plain leaf fields (``graphql.execution``) answers exactly what
strawberry's own execution answers: values, nulls, refused values and their errors."""

from __future__ import annotations

import enum
from typing import Any

import pytest
import strawberry

from trustcenter.graphql.execution import LeanExecutionContext


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Thing:
    name: str
    maybe: str | None
    count: int
    colour: Colour
    missing_required: str
    wrong_type: int

    @strawberry.field
    def computed(self, times: int = 1) -> str:
        return self.name * times


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [
            Thing(
                name="a", maybe=None, count=1, colour=Colour.RED, missing_required="x", wrong_type=2
            ),
            Thing(
                name="b",
                maybe="m",
                count=2**40,  # beyond GraphQL's Int: refused by the scalar
                colour=Colour.BLUE,
                missing_required=None,  # type: ignore[arg-type]  # a null where none may be
                wrong_type="seven",  # type: ignore[arg-type]
            ),
        ]


QUERIES = [
    "{ things { name maybe colour } }",
    "{ things { count } }",
    "{ things { missingRequired } }",
    "{ things { wrongType } }",
    "{ things { name computed(times: 2) __typename } }",
    "{ things { ... on Thing { name colour } n2: name } }",
    "query($skip: Boolean!) { things { name @skip(if: $skip) maybe } }",
]


def _answer(schema: strawberry.Schema, query: str) -> dict[str, Any]:
    result = schema.execute_sync(query, variable_values={"skip": True})
    return {
        "data": result.data,
        "errors": [(e.message, e.path) for e in result.errors or ()],
    }


@pytest.mark.parametrize("query", QUERIES)
def test_the_short_way_answers_as_the_long_way(query: str) -> None:
    long_way = strawberry.Schema(query=Query)
    short_way = strawberry.Schema(query=Query, execution_context_class=LeanExecutionContext)
    assert _answer(short_way, query) == _answer(long_way, query)


def test_refused_values_still_fail_with_their_field_named() -> None:
    short_way = strawberry.Schema(query=Query, execution_context_class=LeanExecutionContext)
    answer = _answer(short_way, "{ things { count } }")
    assert answer["data"] is None  # a non-null field failed inside a non-null list
    assert answer["errors"][0][1] == ["things", 1, "count"]
    assert "2 ** 40" in answer["errors"][0][0] or "1099511627776" in answer["errors"][0][0]
