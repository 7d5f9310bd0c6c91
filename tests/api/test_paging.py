"""requests(first:, after:, filter:): paged in SQL, filtered, and batched by DataLoaders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers import counting, submission

PAGE = """query($first: Int, $after: String, $f: RequestFilterInput) {
  requests(first: $first, after: $after, filter: $f) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id receivedAt status category emergency agency { country } } }
  }
}"""

DEEP = """query($first: Int) { requests(first: $first) { edges { node {
  id status agency { name country } legalBasis { kind reference }
  targets { identifier items { infoType outcome target { identifier } } }
  items { infoType } } } } }"""


async def fill(agency, clock, n: int, **changes) -> list[str]:
    ids = []
    for _ in range(n):
        clock.advance(timedelta(seconds=7))
        ids.append((await agency.submit(**changes))["id"])
    return ids


async def walk(actor, first: int, f=None) -> list[str]:
    seen, after = [], None
    while True:
        page = (await actor.data(PAGE, {"first": first, "after": after, "f": f}))["requests"]
        seen += [e["node"]["id"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return seen
        after = page["pageInfo"]["endCursor"]


async def test_pages_cover_every_request_once_newest_first(world, clock):
    agency = await world.agency_actor("DE")
    ids = await fill(agency, clock, 23)
    assert await walk(agency, 10) == list(reversed(ids))
    first = (await agency.data(PAGE, {"first": 10}))["requests"]
    assert first["totalCount"] == 23 and first["pageInfo"]["hasNextPage"] is True
    stamps = [e["node"]["receivedAt"] for e in first["edges"]]
    assert stamps == sorted(stamps, reverse=True)


async def test_requests_received_in_the_same_instant_are_not_lost_between_pages(world, clock):
    agency = await world.agency_actor("DE")
    ids = [(await agency.submit())["id"] for _ in range(7)]  # the clock does not move
    assert sorted(await walk(agency, 3)) == sorted(ids)


async def test_filters(world, clock):
    de = await world.agency_actor("DE")
    us = await world.agency_actor("US")
    staff = await world.staff_actor(["review"])
    early = await fill(de, clock, 3)
    emergencies = await fill(
        us, clock, 2, jurisdiction="US", emergency=True, emergencyDescription="Threat to life"
    )
    orders = await fill(
        de,
        clock,
        2,
        targets=[{"identifierType": "ORDER_ID", "identifier": "ORD-9", "infoTypes": ["D"]}],
    )
    clock.advance(timedelta(seconds=1))
    cut = clock.now()
    late = await fill(de, clock, 2)

    async def ids(f) -> set[str]:
        return set(await walk(staff, 50, f))

    assert await ids({"country": ["US"]}) == set(emergencies)
    assert await ids({"emergency": True}) == set(emergencies)
    assert await ids({"emergency": False}) == set(early + orders + late)
    assert await ids({"category": ["TRANSACTION"]}) == set(orders)
    assert await ids({"category": ["ACCOUNT", "EMERGENCY"]}) == set(early + emergencies + late)
    assert await ids({"status": ["RECEIVED"]}) == set(early + emergencies + orders + late)
    assert await ids({"status": ["IN_REVIEW"]}) == set()
    assert await ids({"receivedFrom": cut.isoformat()}) == set(late)
    assert await ids({"receivedTo": cut.isoformat()}) == set(early + emergencies + orders)
    total = (await staff.data(PAGE, {"first": 1, "f": {"country": ["DE"]}}))["requests"]
    assert total["totalCount"] == 7


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_page_size_is_capped(world, first):
    agency = await world.agency_actor("DE")
    r = await agency.gql(PAGE, {"first": first})
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "between 1 and 100" in r.json()["errors"][0]["message"]


async def test_a_cursor_not_given_out_is_refused(world):
    agency = await world.agency_actor("DE")
    r = await agency.gql(PAGE, {"first": 5, "after": "bm90LWEtY3Vyc29y"})
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_reversed_received_range_is_refused(world):
    agency = await world.agency_actor("DE")
    f = {
        "receivedFrom": datetime(2026, 6, 1, tzinfo=UTC).isoformat(),
        "receivedTo": datetime(2026, 1, 1, tzinfo=UTC).isoformat(),
    }
    r = await agency.gql(PAGE, {"first": 5, "f": f})
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_statement_count_does_not_grow_with_page_size(world, container, clock):
    """DataLoaders batch every nested field: 100 requests cost what 10 cost."""
    agency = await world.agency_actor("DE")
    staff = await world.staff_actor(["review"])
    for i in range(100):
        clock.advance(timedelta(seconds=1))
        await agency.submit(
            targets=submission()["targets"]
            + [{"identifierType": "USERNAME", "identifier": f"user{i}", "infoTypes": ["A", "E"]}]
        )
    counts = {}
    for first in (10, 100):
        with counting(container.db.engine) as statements:
            data = await staff.data(DEEP, {"first": first})
        assert len(data["requests"]["edges"]) == first
        assert all(len(e["node"]["targets"]) == 3 for e in data["requests"]["edges"])
        counts[first] = len(statements)
    assert counts[10] == counts[100]
    assert counts[100] <= 10, counts


AGENCY_NAMES = """query { requests(first: 10) { edges { node { id agency { name } } } } }"""
AGENCY_IN_FRAGMENT = """fragment Who on Request { agency { name } }
query { requests(first: 10) { edges { node { id ...Who } } } }"""


async def test_each_row_names_its_own_agency_read_once_per_page(world, container, clock):
    """The page's agencies are read in one batch, asked directly or in a fragment: each row
    shows its own agency, and the statements are the same either way."""
    de, fr = await world.agency_actor("DE"), await world.agency_actor("FR")
    staff = await world.staff_actor(["review"])
    submitted = {}
    for actor, country in ((de, "DE"), (fr, "FR"), (de, "DE"), (fr, "FR")):
        submitted[(await fill(actor, clock, 1, jurisdiction=country))[0]] = f"Agency {country}"
    counts = []
    for query in (AGENCY_NAMES, AGENCY_IN_FRAGMENT):
        with counting(container.db.engine) as statements:
            edges = (await staff.data(query))["requests"]["edges"]
        counts.append(len(statements))
        assert {e["node"]["id"]: e["node"]["agency"]["name"] for e in edges} == submitted
    assert counts[0] == counts[1]


async def test_the_cursors_read_are_the_same_whichever_ones_the_query_asks_for(world, clock):
    agency = await world.agency_actor("DE")
    await fill(agency, clock, 5)
    every = """query { requests(first: 4) { pageInfo { startCursor endCursor }
      edges { cursor } } }"""
    ends = """query { requests(first: 4) { pageInfo { startCursor endCursor }
      edges { node { id } } } }"""
    fragment = """query { requests(first: 4) { edges { ...E } } }
      fragment E on RequestEdge { c: cursor }"""
    full = (await agency.data(every))["requests"]
    cursors = [e["cursor"] for e in full["edges"]]
    assert len(set(cursors)) == 4 and all(cursors)
    assert full["pageInfo"] == {"startCursor": cursors[0], "endCursor": cursors[-1]}
    assert (await agency.data(ends))["requests"]["pageInfo"] == full["pageInfo"]
    assert [e["c"] for e in (await agency.data(fragment))["requests"]["edges"]] == cursors
    walked = (await agency.data(PAGE, {"first": 2, "after": cursors[1]}))["requests"]["edges"]
    assert [e["cursor"] for e in walked] == cursors[2:4]
