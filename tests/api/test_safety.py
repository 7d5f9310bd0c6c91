"""GraphQL safety: limits, masked errors, transport rules, production hardening."""

from __future__ import annotations

import dataclasses
import logging

import httpx

from tests.helpers import SUBMIT, submission
from trustcenter.web.app import create_app


async def test_deep_queries_are_refused(agency):
    inner = "id"
    for _ in range(8):
        inner = f"target {{ items {{ {inner} }} }}"
    query = f"{{ requests(first: 1) {{ edges {{ node {{ items {{ {inner} }} }} }} }} }}"
    r = await agency.gql(query)
    assert "exceeds maximum operation depth" in r.json()["errors"][0]["message"]
    assert "data" not in r.json() or r.json()["data"] is None


async def test_too_many_aliases_are_refused(agency):
    fields = " ".join(f"a{i}: me {{ clientId }}" for i in range(31))
    r = await agency.gql(f"{{ {fields} }}")
    assert "aliases" in r.json()["errors"][0]["message"].lower()


async def test_too_many_tokens_are_refused(agency):
    fields = " ".join("me { clientId }" for _ in range(1300))
    r = await agency.gql(f"{{ {fields} }}")
    assert "token" in r.json()["errors"][0]["message"].lower()


async def test_body_over_the_limit_gets_413(world, container):
    big = "x" * (container.settings.max_body_bytes + 1)
    r = await world.http.post("/graphql", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413


async def test_no_field_suggestions(agency):
    r = await agency.gql("{ requets { totalCount } }")
    message = r.json()["errors"][0]["message"]
    assert "requets" in message and "Did you mean" not in message


async def test_unexpected_errors_are_masked_with_an_id_that_is_logged(agency, monkeypatch, caplog):
    from trustcenter.services import reads

    async def broken(*args, **kwargs):
        raise RuntimeError("database said: password=hunter2 for jane@example.com")

    monkeypatch.setattr(reads, "count_requests", broken)
    with caplog.at_level(logging.ERROR, logger="trustcenter.graphql"):
        r = await agency.gql("{ requests { totalCount } }")
    error = r.json()["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    error_id = error["extensions"]["errorId"]
    assert error_id in error["message"]
    assert "hunter2" not in r.text and "jane@example.com" not in r.text
    assert any(error_id in rec.getMessage() for rec in caplog.records)


async def test_tokens_never_reach_the_log(world, caplog):
    with caplog.at_level(logging.DEBUG):
        actor = await world.agency_actor("DE")
        await actor.gql("{ me { clientId } }")
        await actor.gql("{ me { clientId } }", token=actor.token + "x")
    assert actor.token not in caplog.text
    assert actor.client_secret not in caplog.text


async def test_mutations_only_over_post_with_json(agency, container):
    query = "mutation { submitRequest(input: {}) { replayed } }"
    r = await agency.http.get(
        "/graphql", params={"query": query}, headers={"Authorization": f"Bearer {agency.token}"}
    )
    assert r.status_code == 405
    r = await agency.http.post(
        "/graphql", data={"query": SUBMIT}, headers={"Authorization": f"Bearer {agency.token}"}
    )
    assert r.status_code == 415
    r = await agency.http.post(
        "/graphql",
        content=b'{"query": "{ me { clientId } }"}',
        headers={"Authorization": f"Bearer {agency.token}", "content-type": "text/plain"},
    )
    assert r.status_code == 415


async def test_graphiql_and_introspection_outside_production(world, agency):
    r = await world.http.get("/graphql", headers={"accept": "text/html"})
    assert r.status_code == 200 and "graphiql" in r.text.lower()
    data = await agency.data("{ __schema { queryType { name } } }")
    assert data["__schema"]["queryType"]["name"] == "Query"


async def test_production_turns_off_graphiql_and_introspection(container, world):
    prod = dataclasses.replace(
        container, settings=dataclasses.replace(container.settings, env="production")
    )
    app = create_app(prod)
    agency = await world.agency_actor("DE")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        r = await client.get("/graphql", headers={"accept": "text/html"})
        assert r.status_code == 405
        r = await client.post(
            "/graphql",
            json={"query": "{ __schema { types { name } } }"},
            headers={"Authorization": f"Bearer {agency.token}"},
        )
        assert "introspection" in r.json()["errors"][0]["message"].lower()
        r = await client.post(
            "/graphql",
            json={"query": SUBMIT, "variables": {"input": submission()}},
            headers={"Authorization": f"Bearer {agency.token}"},
        )
        assert r.json()["data"]["submitRequest"]["request"]["status"] == "RECEIVED"


async def test_health_and_readiness(world):
    assert (await world.http.get("/healthz")).json() == {"status": "ok"}
    r = await world.http.get("/readyz")
    assert r.status_code == 200 and r.json()["status"] == "ready"
