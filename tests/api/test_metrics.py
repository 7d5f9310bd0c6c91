"""``/metrics``: scraped before and after a scripted flow (submit, review, decide, release, a
bad client secret, a GraphQL error), every count moved by exactly what the flow did; closed
without the token (404 when none is configured, 401 for a wrong one), the token never in the
output, and the labels bounded whatever names a hostile client sends."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from tests.api.disclosure.support import READ, REQUEST_FIELDS, SUSPECT_TARGETS, UserData
from tests.helpers import Flow, World
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Disclosure, Notice
from trustcenter.observability.metrics import (
    MAX_OPERATION_NAMES,
    OPERATION_NAME,
    RECORDER,
    BoundedLabels,
)
from trustcenter.web.app import create_app

TOKEN = "mt-" + "0123456789abcdefghijklmnopqrstuvwxyzABCDEF"

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def container(container: Container) -> Container:
    """The suite's container with the metrics token configured."""
    container.settings = dataclasses.replace(container.settings, metrics_token=TOKEN)
    return container


@pytest.fixture
def fresh_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    """Operation names labelled as by a process that has seen none yet (a
    process running the whole suite may have given out its budget of names to other tests);
    the names other tests use stay as they were."""
    names = BoundedLabels(MAX_OPERATION_NAMES, OPERATION_NAME, "other")
    monkeypatch.setattr(RECORDER, "operation_label", names)


def parsed(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def labelled(samples: Samples, name: str, label: str) -> set[str]:
    return {dict(labels)[label] for (n, labels) in samples if n == name}


async def scrape(http: httpx.AsyncClient) -> Samples:
    r = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert TOKEN not in r.text
    return parsed(r.text)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@pytest.mark.usefixtures("fresh_labels")
async def test_a_scripted_flow_moves_each_count_by_what_it_did(
    flow: Flow, world: World, container: Container, clock: FixedClock
) -> None:
    flow = Flow(world, clock, flow.agency, flow.staff, fields=REQUEST_FIELDS, read=READ)
    await UserData().seed(container)
    before = await scrape(world.http)

    released = await flow.released(SUSPECT_TARGETS)  # Submit, then three anonymous mutations
    assert released["status"] == "DISCLOSED"
    emergency = await flow.submit(
        emergency=True, emergencyDescription="A child is missing; the camera may show where."
    )
    await flow.submit()  # open, not an emergency
    await flow.agency.fetch_token()
    bad = await world.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(flow.agency.client_id, "not-the-secret"),
    )
    assert bad.status_code == 401
    broken = await flow.agency.gql("query Broken { noSuchField }")
    assert broken.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    missing = await world.http.get(f"/disclosures/{uuid.uuid4()}")
    assert missing.status_code in (401, 404)
    clock.advance(timedelta(hours=1))

    after = await scrape(world.http)
    m = lambda name, **labels: moved(before, after, name, **labels)  # noqa: E731

    # GraphQL: each operation once under its name (or "anonymous") and type; the error's code
    gql = "trustcenter_graphql_operation_duration_seconds_count"
    assert m(gql, operation="Submit", type="mutation") == 3
    assert m(gql, operation="anonymous", type="mutation") == 3
    assert m(gql, operation="Broken", type="query") == 1
    assert m("trustcenter_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert m("trustcenter_graphql_errors_total", code="INTERNAL_SERVER_ERROR") == 0
    # the token endpoint: one issued, one refused client
    assert m("trustcenter_oauth_token_requests_total", outcome="issued") == 1
    assert m("trustcenter_oauth_token_requests_total", outcome="invalid_client") == 1
    assert m("trustcenter_oauth_token_requests_total", outcome="throttled") == 0
    # HTTP by route template, never the raw path
    http = "trustcenter_http_request_duration_seconds_count"
    assert m(http, route="/oauth/token", method="POST", status="2xx") == 1
    assert m(http, route="/oauth/token", method="POST", status="4xx") == 1
    assert m(http, route="/graphql", method="POST", status="2xx") == 7
    assert m(http, route="/disclosures/{id}", method="GET", status="4xx") == 1
    raw_id = missing.url.path.rsplit("/", 1)[1]
    assert not [route for route in labelled(after, http, "route") if raw_id in route]
    # the release: one package, its bytes exactly
    async with container.db.reader() as session:
        size = await session.scalar(select(func.sum(Disclosure.size)))
    assert size and m("trustcenter_disclosures_released_total") == 1
    assert m("trustcenter_disclosure_released_bytes_total") == size
    # the plugin host timed each hook call: three submissions classified and given their
    # deadline, one release's notice delay
    hooks = "trustcenter_plugin_hook_duration_seconds_count"
    assert m(hooks, plugin="trustcenter.categories", hook="trustcenter_classify") == 3
    assert m(hooks, plugin="trustcenter.jurisdiction", hook="trustcenter_response_deadline") == 3
    assert m(hooks, plugin="trustcenter.jurisdiction", hook="trustcenter_notice_delay") == 1
    # the work, read from the database at scrape time
    assert (
        value(
            after,
            "trustcenter_requests_open",
            status="received",
            category=emergency["category"].lower(),
        )
        >= 1
    )
    open_total = sum(v for (n, _), v in after.items() if n == "trustcenter_requests_open")
    assert open_total == 2
    received = datetime.fromisoformat(emergency["receivedAt"].replace("Z", "+00:00"))
    age = (clock.now() - received).total_seconds()
    assert age >= 3600
    assert value(after, "trustcenter_oldest_open_emergency_age_seconds") == age
    notices = {
        state: value(after, "trustcenter_notices", state=state)
        for state in ("due", "held", "failed")
    }
    assert notices == {"due": 0, "held": 0, "failed": 0}  # scheduled a month ahead
    assert value(after, "trustcenter_notice_worker_lag_seconds") == 0
    # the pool: what is checked out now (nothing between two requests)
    assert (
        value(after, "trustcenter_db_pool_connections_in_use")
        == container.db.engine.pool.checkedout()
    )

    # forty days on, the release's notices are due and the worker (not running) is behind
    clock.advance(timedelta(days=40))
    later = await scrape(world.http)
    async with container.db.reader() as session:
        count, first_due = (
            await session.execute(
                select(func.count(), func.min(Notice.due_at)).where(Notice.status == "scheduled")
            )
        ).one()
    assert count >= 1
    assert value(later, "trustcenter_notices", state="due") == count
    lag = (clock.now() - first_due.replace(tzinfo=clock.now().tzinfo)).total_seconds()
    assert value(later, "trustcenter_notice_worker_lag_seconds") == lag
    assert value(later, "trustcenter_requests_overdue") == 2  # the two open requests


async def test_metrics_need_the_token_and_never_show_it(world: World) -> None:
    assert (await world.http.get("/metrics")).status_code == 401
    for header in (f"Bearer {TOKEN}x", f"Basic {TOKEN}", "Bearer ", TOKEN, f"Bearer {TOKEN[:-1]}"):
        r = await world.http.get("/metrics", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert TOKEN not in r.text
    r = await world.http.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 405


async def test_without_a_token_configured_metrics_are_not_there(
    container: Container,
) -> None:
    container.settings = dataclasses.replace(container.settings, metrics_token="")
    transport = httpx.ASGITransport(app=create_app(container))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        for headers in ({}, {"Authorization": f"Bearer {TOKEN}"}, {"Authorization": "Bearer "}):
            r = await client.get("/metrics", headers=headers)
            assert r.status_code in (401, 404), headers  # a bearer header is checked as a token
            assert "trustcenter_" not in r.text
        assert (await client.get("/metrics")).status_code == 404


#: twice the names a process labels: the first half keep their names, the rest count as "other"
HOSTILE_NAMES = 2 * MAX_OPERATION_NAMES


@pytest.mark.usefixtures("fresh_labels")
async def test_twice_the_budget_of_operation_names_stays_a_bounded_label_set(
    world: World,
) -> None:
    ops = "trustcenter_graphql_operation_duration_seconds_count"
    before = await scrape(world.http)
    # first, names that must not use up the budget (were they given labels, the first
    # well-formed names below would no longer all keep theirs)
    for i in range(20):  # names the document lacks: refused before any operation runs
        r = await world.http.post(
            "/graphql",
            json={"query": "query Q { __typename }", "operationName": f"Missing{i}"},
        )
        assert r.status_code == 400
    for i in range(20):  # documents that do not parse: their names mean nothing
        r = await world.http.post(
            "/graphql", json={"query": f"query Garbage{i} {{", "operationName": f"Garbage{i}"}
        )
        assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    for i in range(HOSTILE_NAMES):
        r = await world.http.post(
            "/graphql",
            json={"query": f"query Hostile{i} {{ __typename }}", "operationName": f"Hostile{i}"},
        )
        assert r.status_code == 200
    after = await scrape(world.http)
    hostile = {n for n in labelled(after, ops, "operation") if n.startswith("Hostile")}
    assert hostile == {f"Hostile{i}" for i in range(MAX_OPERATION_NAMES)}  # the first come
    other = HOSTILE_NAMES - MAX_OPERATION_NAMES
    assert moved(before, after, ops, operation="other", type="query") == other
    assert moved(before, after, ops, operation="invalid", type="unknown") == 20
    names = labelled(after, ops, "operation")
    assert not {n for n in names if n.startswith(("Missing", "Garbage"))}
    http = "trustcenter_http_request_duration_seconds_count"
    assert moved(before, after, http, route="/graphql", method="POST", status="4xx") == 20


async def test_a_throttled_client_is_counted_as_throttled(
    container: Container, world: World
) -> None:
    container.settings = dataclasses.replace(container.settings, auth_failures_per_minute=1)
    agency = await world.agency_actor("FR")
    before = await scrape(world.http)
    answers = []
    for _ in range(3):
        r = await world.http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(agency.client_id, "wrong"),
        )
        answers.append(r.status_code)
    after = await scrape(world.http)
    outcomes = "trustcenter_oauth_token_requests_total"
    assert answers.count(401) == moved(before, after, outcomes, outcome="invalid_client") >= 1
    assert answers.count(429) == moved(before, after, outcomes, outcome="throttled") >= 1
