"""GraphQL budgets: a static query cost with a per-request maximum, and per-caller budgets of
requests and cost per minute, reported in ``extensions.cost`` and enforced with 429."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from limits import RateLimitItemPerSecond

from tests.helpers import Actor, World, counting
from trustcenter.bootstrap import Container
from trustcenter.graphql import cost as cost_module
from trustcenter.web.app import create_app

REDIS_URL = os.environ.get("TRUSTCENTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = bool(os.environ.get("CI"))

PAGE = "query($n: Int) { requests(first: $n) { edges { node { id } } } }"
#: requests 1 + edges (1 + n x (node 1 + id 1))
PAGE_COST: Callable[[int], int] = lambda n: 2 + 2 * n  # noqa: E731

DEEP = """query($n: Int) { requests(first: $n) { edges { node { ...deep } } } }
fragment deep on Request {
  targets { items { target { items { ... on RequestedItem { target { identifier } } } } } }
}"""


@asynccontextmanager
async def app_with(
    container: Container, client: tuple[str, int] = ("127.0.0.1", 1234), **settings: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A second app on the same database, with its own settings (and budget storage)."""
    changed = dataclasses.replace(
        container, settings=dataclasses.replace(container.settings, **settings)
    )
    transport = httpx.ASGITransport(app=create_app(changed), client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        yield http


def on(http: httpx.AsyncClient, actor: Actor) -> Actor:
    return dataclasses.replace(actor, http=http)


def cost_of(r: httpx.Response) -> dict[str, Any]:
    return r.json()["extensions"]["cost"]  # type: ignore[no-any-return]


async def test_an_operation_above_the_maximum_cost_is_refused_before_any_resolver_runs(
    world: World, container: Container
) -> None:
    staff = await world.staff_actor()
    with counting(container.db.engine) as baseline:  # what authenticating the token costs
        r = await staff.gql("{ __typename }")
    assert r.status_code == 200
    with counting(container.db.engine) as statements:
        r = await staff.gql(DEEP, {"n": 100})
    body = r.json()
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "TOO_COMPLEX"
    # requests 1 + edges (1 + 100 x (node 1 + targets (1 + 5 x (1 + 5 x (1 + 1 + 5 x 2)))))
    assert "30702" in error["message"] and "25000" in error["message"]
    assert len(statements) == len(baseline), statements
    # the same query with small pages fits, and is charged what it costs
    r = await staff.gql(DEEP, {"n": 3})
    assert r.status_code == 200 and "errors" not in r.json(), r.json()
    assert cost_of(r)["requestedQueryCost"] == 2 + 3 * 307


async def test_fragments_inline_fragments_and_variables_cost_what_the_plain_query_costs(
    world: World,
) -> None:
    agency = await world.agency_actor()
    plain = "{ requests(first: 7) { totalCount edges { cursor node { id status } } } }"
    spread = """query($n: Int) { requests(first: $n) { totalCount edges { ...e } } }
    fragment e on RequestEdge { cursor node { ... on Request { id status } } }"""
    costs = []
    for query, variables in ((plain, {}), (spread, {"n": 7})):
        r = await agency.gql(query, variables)
        assert r.status_code == 200 and "errors" not in r.json(), r.json()
        costs.append(cost_of(r)["requestedQueryCost"])
    # requests, totalCount, edges; 7 x (cursor, node, id, status)
    assert costs == [3 + 7 * 4] * 2
    # no first: the default page size; a page size above the largest counts as the largest
    r = await agency.gql(PAGE)
    assert cost_of(r)["requestedQueryCost"] == PAGE_COST(world.container.settings.default_page_size)
    r = await agency.gql(PAGE, {"n": 10**6})
    assert cost_of(r)["requestedQueryCost"] == PAGE_COST(world.container.settings.max_page_size)


@pytest.fixture
def walked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One element per walk of a document for its cost."""
    walks: list[int] = []
    walk = cost_module.query_cost

    def counted(*args: Any) -> int:
        walks.append(1)
        return walk(*args)

    monkeypatch.setattr(cost_module, "query_cost", counted)
    return walks


async def test_a_text_asked_again_costs_what_its_page_size_costs_each_time(
    world: World, walked: list[int]
) -> None:
    """The cost is remembered per text and variables: asked again, a text costs the same
    without the document being walked again, and another page size is its own cost."""
    agency = await world.agency_actor()
    # a text no other run asked (the comment is part of the text, not of the cost)
    text = PAGE.replace("{ id }", "{ id status }") + f" # {uuid.uuid4()}"
    default = world.container.settings.default_page_size
    costs = []
    for variables in ({"n": 3}, {"n": 5}, {"n": 3}, {}, {"n": None}, {"n": 3}):
        r = await agency.gql(text, variables)
        assert r.status_code == 200 and "errors" not in r.json(), r.json()
        costs.append(cost_of(r)["requestedQueryCost"])
    per_node = lambda n: 2 + 3 * n  # noqa: E731 (requests, edges; n x node, id, status)
    assert costs == [per_node(n) for n in (3, 5, 3, default, default, 3)]
    assert len(walked) == 4  # n: 3, 5, none given, null


async def test_a_text_without_a_page_size_variable_is_walked_once_whatever_its_variables(
    world: World, walked: list[int]
) -> None:
    """Variables that give no page size (here an input object, a mutation's kind of variable)
    do not change the cost: the text is walked once, and bad variables cost the same."""
    agency = await world.agency_actor()
    text = (
        "query($f: RequestFilterInput) { requests(first: 4, filter: $f) { edges { node { id } } } }"
        f" # {uuid.uuid4()}"
    )
    costs, errors = [], []
    for variables in (
        {"f": {"status": ["RECEIVED"]}}, {"f": {"emergency": True}}, {}, {"f": {"status": ["NO"]}},
    ):  # fmt: skip
        r = await agency.gql(text, variables)
        costs.append(cost_of(r)["requestedQueryCost"])
        errors.append(bool(r.json().get("errors")))
    assert costs == [PAGE_COST(4)] * 4
    assert errors == [False, False, False, True]  # the last status is no status: refused
    assert len(walked) == 1


async def test_every_answer_reports_the_budget_and_what_remains_of_it(
    world: World, container: Container
) -> None:
    staff = await world.staff_actor()
    async with app_with(container, graphql_cost_per_minute=1000) as http:
        me = on(http, staff)
        first = cost_of(await me.gql(PAGE, {"n": 10}))
        second = cost_of(await me.gql(PAGE, {"n": 10}))
        refused = await me.gql("{ requets }")  # not valid: nothing runs, nothing is charged
        third = cost_of(await me.gql(PAGE, {"n": 2}))
    assert refused.json()["errors"]
    assert first["requestedQueryCost"] == PAGE_COST(10) == 22
    assert first["maximumAvailable"] == 1000
    assert (first["remaining"], second["remaining"], third["remaining"]) == (978, 956, 950)
    reset = datetime.fromisoformat(first["resetAt"].replace("Z", "+00:00"))
    assert 0 < (reset - datetime.now(UTC)).total_seconds() <= 61


async def test_past_the_cost_budget_the_caller_gets_429_and_others_are_served(
    world: World, container: Container
) -> None:
    greedy, other = await world.agency_actor(), await world.agency_actor()
    async with app_with(container, graphql_cost_per_minute=100) as http:
        g, o = on(http, greedy), on(http, other)
        for _ in range(4):  # 4 x 22 = 88 of 100
            assert (await g.gql(PAGE, {"n": 10})).status_code == 200
        r = await g.gql(PAGE, {"n": 10})
        assert r.status_code == 429
        assert 1 <= int(r.headers["Retry-After"]) <= 60
        body = r.json()
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert cost_of(r)["remaining"] == 12  # the refused operation took nothing
        # what is left still serves a query that fits; another client has its own budget
        small = await g.gql(PAGE, {"n": 2})
        assert small.status_code == 200 and cost_of(small)["remaining"] == 6
        r = await o.gql(PAGE, {"n": 10})
        assert r.status_code == 200 and cost_of(r)["remaining"] == 78


async def test_past_the_request_budget_the_body_is_not_even_read(
    world: World, container: Container
) -> None:
    agency = await world.agency_actor()
    async with app_with(container, graphql_requests_per_minute=3) as http:
        me = on(http, agency)
        for _ in range(3):
            assert (await me.gql("{ __typename }")).status_code == 200
        r = await http.post(
            "/graphql",
            content=b"{not json",
            headers={"Authorization": f"Bearer {agency.token}", "content-type": "application/json"},
        )
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_anonymous_callers_are_budgeted_per_address_with_a_smaller_budget(
    world: World, container: Container
) -> None:
    agency = await world.agency_actor()
    settings = dataclasses.replace(
        container.settings,
        graphql_anonymous_requests_per_minute=2,
        graphql_requests_per_minute=50,
    )
    app = create_app(dataclasses.replace(container, settings=settings))
    answers = []
    for address, token in [("10.0.0.1", None)] * 3 + [("10.0.0.1", agency.token),
                                                       ("10.0.0.2", None)]:  # fmt: skip
        transport = httpx.ASGITransport(app=app, client=(address, 1))
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            r = await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
            answers.append(r.status_code)
    # the third anonymous call from one address is refused; a client calling from that
    # address has its own budget, and so has another address
    assert answers == [200, 200, 429, 200, 200]


async def test_the_budget_comes_back_when_its_window_ends(
    world: World, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the one test that waits: budgets use the wall clock, so the window is one second here
    monkeypatch.setattr(
        cost_module,
        "RateLimitItemPerMinute",
        lambda amount, namespace: RateLimitItemPerSecond(amount, 1, namespace=namespace),
    )
    agency = await world.agency_actor()
    async with app_with(container, graphql_cost_per_minute=40) as http:
        me = on(http, agency)
        assert (await me.gql(PAGE, {"n": 10})).status_code == 200
        assert (await me.gql(PAGE, {"n": 10})).status_code == 429
        await asyncio.sleep(1.1)
        r = await me.gql(PAGE, {"n": 10})
    assert r.status_code == 200 and cost_of(r)["remaining"] == 18


async def _redis_answers() -> str | None:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        async with asyncio.timeout(2):
            await client.ping()
        return None
    except Exception as exc:
        return f"Redis does not answer at {REDIS_URL}: {exc}"
    finally:
        await client.aclose()


async def test_two_processes_on_one_redis_share_one_budget(
    world: World, container: Container
) -> None:
    reason = await _redis_answers()
    if reason is not None:
        if REQUIRE_REDIS:
            pytest.fail(f"{reason}, and CI requires it")
        pytest.skip(reason)
    agency = await world.agency_actor()
    shared = {"rate_limit_storage": REDIS_URL, "graphql_cost_per_minute": 100}
    async with app_with(container, **shared) as one, app_with(container, **shared) as two:
        a, b = on(one, agency), on(two, agency)
        assert cost_of(await a.gql(PAGE, {"n": 10}))["remaining"] == 78
        assert cost_of(await b.gql(PAGE, {"n": 10}))["remaining"] == 56
        assert cost_of(await a.gql(PAGE, {"n": 10}))["remaining"] == 34
        assert cost_of(await a.gql(PAGE, {"n": 10}))["remaining"] == 12
        r = await b.gql(PAGE, {"n": 10})
    assert r.status_code == 429 and r.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
