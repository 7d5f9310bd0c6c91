"""A GraphQL request leaves nothing of its own for the cyclic garbage collector: its context, its
loaders and the views it read are freed by reference counting the moment it ends, whether it is
answered or refused as it runs (or, for a text refused by validation, the moment its entry
leaves the table of recent texts).
graphql-core's execution context held its own bound methods (``info.async_helpers``) and the
request loader its loaders', so every request's context and every view of a page read stayed
behind in reference cycles (some 540 objects per list of 100) until a collection walked them:
5 to 15 ms, once every dozen or so requests (``docs/performance.md``, goal 4)."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.helpers import World
from trustcenter.graphql.context import Context
from trustcenter.graphql.document_cache import Documents
from trustcenter.graphql.document_limits import DocumentLimits
from trustcenter.graphql.loaders import Loaders
from trustcenter.graphql.schema import build_schema
from trustcenter.services.views import RequestView
from trustcenter.web.graphql_app import graphql_limits

LIST = """query { requests(first: 20) { edges { node { id status agency { name }
  targets { identifier items { infoType } } } } } }"""
BY_ID = "query($id: ID!) { node(id: $id) { ... on Request { id status legalBasis { kind } } } }"
#: a literal the Category scalar's parser refuses: graphql-core's validation makes the error of
#: the parser's ValueError, traceback and all
REFUSED = '{ requests(filter: {category: [""]}) { totalCount } }'
LEFT = (Context, Loaders, RequestView)


@contextmanager
def cyclic_garbage() -> Iterator[list[object]]:
    """What became cyclic garbage inside the block (kept for inspection, then freed)."""
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    found: list[object] = []
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


def stranded(left: list[object]) -> list[str]:
    return [type(o).__name__ for o in left if isinstance(o, LEFT)]


def document_table(world: World) -> Documents:
    """The table of recent texts of the schema the app serves (one per process and limits)."""
    schema = build_schema(graphql_limits(world.container.settings))
    (limits,) = [e for e in schema.extensions if getattr(e, "func", None) is DocumentLimits]
    documents: Documents = limits.keywords["documents"]
    return documents


async def test_pages_and_a_node_leave_no_context_loaders_or_views_in_cycles(world: World) -> None:
    agency = await world.agency_actor("DE")
    made = [await agency.submit() for _ in range(3)]
    await agency.data(LIST)  # warm: caches and plans of the first request are kept for good
    with cyclic_garbage() as left:
        pages = [await agency.data(LIST) for _ in range(5)]
        node = await agency.data(BY_ID, {"id": made[0]["id"]})
    assert all(len(p["requests"]["edges"]) == 3 for p in pages)
    assert node["node"]["id"] == made[0]["id"]
    assert stranded(left) == []


async def test_a_refused_literal_leaving_the_document_table_leaves_no_context_in_a_cycle(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a full CI run once found after the test above: a context and its loaders, no view.
    The table of recent texts kept a refused text's validation errors, and with them the
    traceback of the scalar's ValueError: the frames of that request's validation, back to
    strawberry's, its context among their locals. When a later text pushed the entry out of the
    full table (above: the node query's text, the one new to the table inside the block), the
    frames and the errors they held were a cycle, that request's context and loaders in it."""
    agency = await world.agency_actor("DE")
    made = await agency.submit()
    table = document_table(world)
    marker = f"# {uuid.uuid4()}\n"  # texts no other request sent: parsed and validated here
    with cyclic_garbage() as left:
        for _ in range(2):  # validated, then answered from the table
            r = await agency.gql(marker + REFUSED)
            (error,) = r.json()["errors"]
            assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED", error
        monkeypatch.setattr(table, "max_documents", 1)  # full: the next new text pushes it out
        node = await agency.data(marker + BY_ID, {"id": made["id"]})
        assert table.get(marker + REFUSED) is None
    assert node["node"]["id"] == made["id"]
    assert stranded(left) == []


#: requests refused as they run: a field the caller's scopes do not reach, an id that is none
FAILING = [
    ("{ requests(first: 5) { edges { node { id findings { code } } } } }", None, "FORBIDDEN"),
    ("query($id: ID!) { node(id: $id) { id } }", {"id": "nonsense"}, "BAD_USER_INPUT"),
]


@pytest.mark.parametrize(("query", "variables", "code"), FAILING, ids=["forbidden", "bad-id"])
async def test_a_request_refused_as_it_runs_leaves_nothing_in_a_cycle(
    world: World, query: str, variables: dict[str, str] | None, code: str
) -> None:
    """An error's traceback holds the frames it passed through, and they the request's context,
    loaders and views: every refused field or malformed id left its request in a cycle (some
    280 objects), so a client sending failing requests kept the collector busy. The answer is
    the same without the frames (``errors.without_frames``)."""
    agency = await world.agency_actor("DE")
    await agency.submit()
    await agency.gql(query, variables)  # the text parsed and validated once, outside the block
    with cyclic_garbage() as left:
        for _ in range(3):
            r = await agency.gql(query, variables)
            assert [e["extensions"]["code"] for e in r.json()["errors"]] == [code]
    assert stranded(left) == []
