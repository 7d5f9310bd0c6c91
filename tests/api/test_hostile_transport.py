"""Hostile traffic at the GraphQL transport: limits bite before any work is done.

An anonymous body above a few KiB, a GraphQL body above its limit, JSON nested thousands deep,
a megabyte of query text, invalid UTF-8, NUL and lone surrogates: each is refused with a 4xx and
a GraphQL-shaped body, before GraphQL parses or executes anything; the largest request each
limit admits is answered (never a 5xx) while ``/healthz`` keeps answering on a real server.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.helpers import SUBMIT, submission
from trustcenter.web import graphql_app
from trustcenter.web.app import create_app

KIB = 1024
PIECE = 64 * KIB


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many bodies reached the gate's JSON parsing."""
    calls: list[int] = []
    real = graphql_app.admit

    def counting(body: bytes, limits: Any) -> dict[str, Any]:
        calls.append(len(body))
        return real(body, limits)

    monkeypatch.setattr(graphql_app, "admit", counting)
    return calls


def code_of(r: httpx.Response) -> str:
    return str(r.json()["errors"][0]["extensions"]["code"])


def submit_body(targets: int, size: int | None = None) -> bytes:
    """A submitRequest with ``targets`` targets, padded with JSON whitespace to ``size`` bytes."""
    target = {"identifierType": "EMAIL", "identifier": "x@example.com", "infoTypes": ["A"]}
    variables = {"input": submission(targets=[target] * targets)}
    body = json.dumps({"query": SUBMIT, "variables": variables}).encode()
    if size is not None:
        assert len(body) <= size
        body += b" " * (size - len(body))
    return body


async def streamed(body: bytes, seen: list[int]) -> AsyncIterator[bytes]:
    for start in range(0, len(body), PIECE):
        seen.append(start + PIECE)
        yield body[start : start + PIECE]


def post(http: httpx.AsyncClient, body: Any, token: str | None = None) -> Any:
    headers = {"content-type": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return http.post("/graphql", content=body, headers=headers)


# --- bodies refused before they are read or parsed ---------------------------------------------


async def test_an_anonymous_eleven_megabyte_submission_is_413_and_never_parsed(world, parsed):
    body = submit_body(150_000)
    assert len(body) > 10 * 1024 * KIB
    r = await post(world.http, body)
    assert r.status_code == 413
    assert code_of(r) == "PAYLOAD_TOO_LARGE"
    assert parsed == []
    # streamed without a Content-Length: cut off as soon as it passes the anonymous limit
    seen: list[int] = []
    r = await post(world.http, streamed(body, seen))
    assert r.status_code == 413 and code_of(r) == "PAYLOAD_TOO_LARGE"
    assert seen[-1] <= 2 * PIECE  # the rest of the 11 MB was never read
    assert parsed == []


async def test_an_anonymous_body_above_a_few_kib_is_refused_on_any_path(world, container, parsed):
    limit = container.settings.max_anonymous_bytes
    r = await post(world.http, b" " * (limit + 1))
    assert r.status_code == 413 and parsed == []
    token = await world.http.post("/oauth/token", data={"pad": "x" * limit})
    assert token.status_code == 413
    assert token.json()["error"] == "request_too_large"


async def test_an_invalid_token_is_401_without_the_body_being_read(world, staff, parsed):
    seen: list[int] = []
    body = submit_body(2_000)  # a few hundred KiB, under every limit a valid token would have
    r = await post(world.http, streamed(body, seen), token=staff.token + "x")
    assert r.status_code == 401
    assert seen == [] or seen[-1] <= PIECE
    assert parsed == []


async def test_a_staff_body_above_the_graphql_limit_is_413(staff, container, parsed):
    limit = container.settings.max_graphql_bytes
    assert limit == 256 * KIB
    r = await post(staff.http, submit_body(100, limit + 1), token=staff.token)
    assert r.status_code == 413 and code_of(r) == "PAYLOAD_TOO_LARGE"
    assert parsed == []


# --- what the gate refuses ---------------------------------------------------------------------


async def test_json_nested_five_thousand_deep_is_400_not_500(staff):
    deep = "[" * 5000 + "]" * 5000
    body = f'{{"query": "{{ __typename }}", "variables": {{"x": {deep}}}}}'
    r = await post(staff.http, body, token=staff.token)
    assert r.status_code == 400 and code_of(r) == "JSON_TOO_DEEP"
    assert "32" in r.json()["errors"][0]["message"]


async def test_brackets_inside_strings_do_not_count_as_nesting(staff):
    variables = {"x": "[" * 5000}
    r = await post(
        staff.http, json.dumps({"query": "{ __typename }", "variables": variables}), staff.token
    )
    assert r.status_code == 200 and r.json()["data"] == {"__typename": "Query"}


async def test_a_megabyte_of_whitespace_query_is_refused(staff, container):
    query = "{" + " " * (1024 * KIB) + "__typename }"
    r = await post(staff.http, json.dumps({"query": query}), token=staff.token)
    assert r.status_code == 413  # above the body limit already
    async with _client(container, max_graphql_bytes=2 * 1024 * KIB) as http:
        r = await post(http, json.dumps({"query": query}), token=staff.token)
        assert r.status_code == 413 and code_of(r) == "QUERY_TOO_LARGE"
    query = "{" + " " * (40 * KIB) + "__typename }"  # within the body limit, above the query cap
    r = await post(staff.http, json.dumps({"query": query}), token=staff.token)
    assert r.status_code == 413 and code_of(r) == "QUERY_TOO_LARGE"


@pytest.mark.parametrize(
    "body",
    [b'{"query": "{ __typename }", "variables": {"x": "\xff\xfe"}}', b"\xc3\x28", b"\xed\xa0\x80"],
    ids=["in-a-string", "truncated-sequence", "encoded-surrogate"],
)
async def test_invalid_utf8_is_400_not_500(staff, body):
    r = await post(staff.http, body, token=staff.token)
    assert r.status_code == 400 and code_of(r) == "BAD_REQUEST"
    assert "UTF-8" in r.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", b'[{"query": "{ __typename }"}]', b'{"query": 1}', b'{"variables": []}'],
    ids=["not-json", "empty-batch", "batch", "query-not-a-string", "variables-not-an-object"],
)
async def test_a_body_that_is_not_one_operation_is_400(staff, body):
    r = await post(staff.http, body, token=staff.token)
    assert r.status_code == 400 and code_of(r) == "BAD_REQUEST"


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udc00"], ids=["nul", "high", "low"])
async def test_nul_and_lone_surrogates_in_a_variable_are_refused(staff, container, escape):
    reason = f"Investigation {escape} of a burglary series."
    body = json.dumps({"query": SUBMIT, "variables": {"input": submission()}})
    body = body.replace("Investigation", f"Investigation {escape}")
    assert reason.split()[1] in body
    r = await post(staff.http, body, token=staff.token)
    assert r.status_code == 400 and code_of(r) == "BAD_USER_INPUT"
    # as an object key too, and from an agency that could otherwise submit
    keyed = '{"query": "{ __typename }", "variables": {"k' + escape + '": 1}}'
    r = await post(staff.http, keyed, token=staff.token)
    assert r.status_code == 400 and code_of(r) == "BAD_USER_INPUT"


async def test_nul_escaped_in_a_graphql_string_literal_is_refused(staff):
    for literal in ("\\u0000", "\\u{0}"):
        query = '{ requests(filter: {jurisdiction: ["D' + literal + 'E"]}) { totalCount } }'
        r = await post(staff.http, json.dumps({"query": query}), token=staff.token)
        assert r.status_code == 400 and code_of(r) == "BAD_USER_INPUT"


async def test_surrogate_pairs_and_escaped_backslashes_are_ordinary_text(staff):
    variables = {"emoji": "\U0001f600", "path": "C:\\u0000"}  # a pair; a backslash then "u0000"
    body = json.dumps({"query": "{ __typename }", "variables": variables})
    assert "\\ud83d\\ude00" in body and "\\\\u0000" in body
    r = await post(staff.http, body, token=staff.token)
    assert r.status_code == 200 and r.json()["data"] == {"__typename": "Query"}


# --- the largest admitted requests, while /healthz is polled on a real server ----------------


def largest_query(settings: Any) -> str:
    """As many fields as the token limit admits, padded with a comment to the byte limit."""
    query = "{ " + "__typename " * (settings.max_tokens - 2) + "}\n#"
    return query + "x" * (settings.max_query_bytes - len(query))


def largest_admitted(settings: Any, token: str) -> list[tuple[str, bytes, str | None]]:
    """(name, body, token) of the largest request each limit admits."""
    deep = "[" * (settings.max_json_depth - 2) + "]" * (settings.max_json_depth - 2)
    depth = f'{{"query": "{{ __typename }}", "variables": {{"x": {deep}}}}}'.encode()
    query = largest_query(settings)
    return [
        ("anonymous", submit_body(20, settings.max_anonymous_bytes), None),
        ("graphql body", submit_body(1_400, settings.max_graphql_bytes), token),
        ("json depth", depth, token),
        ("query text", json.dumps({"query": query}).encode(), token),
    ]


async def test_the_largest_admitted_requests_are_answered_and_never_5xx(world, staff, container):
    for name, body, token in largest_admitted(container.settings, staff.token):
        r = await post(world.http, body, token=token)
        assert r.status_code < 500, (name, r.text)
        assert "INTERNAL_SERVER_ERROR" not in r.text, name
        if r.status_code == 200:
            assert r.json().get("errors") or r.json().get("data"), name
        if name == "query text":  # admitted: parsed and answered, never refused by its size
            assert r.status_code == 200, r.text
            codes = [e["extensions"]["code"] for e in r.json().get("errors") or []]
            assert "QUERY_TOO_LARGE" not in codes
            assert r.json().get("data") == {"__typename": "Query"} or codes == [
                "GRAPHQL_VALIDATION_FAILED"
            ]


async def test_healthz_answers_throughout_admitted_and_refused_attacks(staff, container):
    deep = "[" * 5000 + "]" * 5000
    refused = [
        ("deep", f'{{"query": "{{ __typename }}", "variables": {{"x": {deep}}}}}', staff.token),
        ("utf-8", b'{"query": "{ __typename }", "variables": {"x": "\xff"}}', staff.token),
    ]
    attacks = (largest_admitted(container.settings, staff.token) + refused) * 3
    async with (
        _served(container) as base,
        httpx.AsyncClient(base_url=base, timeout=60) as probe_client,
        httpx.AsyncClient(base_url=base, timeout=60) as attacker,
    ):
        done = asyncio.Event()
        probes: list[int] = []

        async def poll() -> None:
            while not done.is_set():
                probes.append((await probe_client.get("/healthz")).status_code)

        async def attack() -> list[int]:
            try:
                answers = await asyncio.gather(
                    *(post(attacker, body, token) for _, body, token in attacks)
                )
            finally:
                done.set()
            return [a.status_code for a in answers]

        statuses, _ = await asyncio.gather(attack(), poll())
    assert all(s < 500 for s in statuses), statuses
    assert [
        s for (name, *_), s in zip(attacks, statuses, strict=True) if name in {"deep", "utf-8"}
    ] == [400] * 6
    assert probes and probes == [200] * len(probes)


# --- helpers -----------------------------------------------------------------------------------


def _client(container: Any, **settings: Any) -> httpx.AsyncClient:
    from dataclasses import replace

    container.settings = replace(container.settings, **settings)
    transport = httpx.ASGITransport(app=create_app(container))
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


class _Served:
    def __init__(self, container: Any) -> None:
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        config = uvicorn.Config(
            create_app(container), host="127.0.0.1", log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)


def _served(container: Any) -> Any:
    """The app served by uvicorn on a free port of 127.0.0.1, in this event loop (the test's
    container and its database pool belong to it)."""
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def serving() -> AsyncIterator[str]:
        served = _Served(container)
        task = asyncio.create_task(served.server.serve(sockets=[served.sock]))
        while not served.server.started:
            assert not task.done(), "uvicorn stopped before it started serving"
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{served.port}"
        finally:
            served.server.should_exit = True
            await task
            served.sock.close()

    return serving()
