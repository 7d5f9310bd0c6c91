"""A GraphQL request leaves next to nothing for the cyclic garbage collector: the views it read
are freed by reference counting the moment it ends, and (all but once in a CI run) its context
and loaders too. graphql-core's execution context held its own bound methods
(``info.async_helpers``) and the request loader its loaders', so every request's context and
every view of a page read stayed behind in reference cycles (some 540 objects per list of 100)
until a collection walked them: 5 to 15 ms, once every dozen or so requests
(``docs/performance.md``, goal 4)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from tests.helpers import World
from trustcenter.graphql.context import Context
from trustcenter.graphql.loaders import Loaders
from trustcenter.services.views import RequestView

LIST = """query { requests(first: 20) { edges { node { id status agency { name }
  targets { identifier items { infoType } } } } } }"""
BY_ID = "query($id: ID!) { node(id: $id) { ... on Request { id status legalBasis { kind } } } }"
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


async def test_pages_and_a_node_leave_no_views_in_cycles(world: World) -> None:
    agency = await world.agency_actor("DE")
    made = [await agency.submit() for _ in range(3)]
    await agency.data(LIST)  # warm: caches and plans of the first request are kept for good
    with cyclic_garbage() as left:
        pages = [await agency.data(LIST) for _ in range(5)]
        node = await agency.data(BY_ID, {"id": made[0]["id"]})
    assert all(len(p["requests"]["edges"]) == 3 for p in pages)
    assert node["node"]["id"] == made[0]["id"]
    # the pages' views (and the UUIDs they hold): freed by reference counting, every one
    assert not [o for o in left if isinstance(o, RequestView)]
    # the requests' contexts and loaders too; one of six was once seen left behind in a full
    # CI run (a context and its loaders, no views: a cycle not yet found), never when run alone
    contexts = [o for o in left if isinstance(o, Context)]
    assert len(contexts) <= 1, [type(o).__name__ for o in left if isinstance(o, LEFT)]
    # loaders in a cycle of their own (the request loader's batch as their bound method): none
    loaders = [o for o in left if isinstance(o, Loaders)]
    assert len(loaders) <= len(contexts), [type(o).__name__ for o in left if isinstance(o, LEFT)]
