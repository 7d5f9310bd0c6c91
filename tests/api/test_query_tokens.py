"""The token limit is counted before GraphQL parses anything, and repeated texts parse once.

A query text within the byte limit can still hold thousands of fields, and parsing and
validating those holds the event loop for every other caller. The gate counts lexical tokens
first (comments are not tokens) and refuses past ``max_tokens`` with 413 ``QUERY_TOO_LARGE``;
graphql-core's parser is never reached. Parsing is counted by patching the parser's entry.
"""

from __future__ import annotations

import uuid

import pytest
from graphql.language import parser as graphql_parser

from trustcenter.config import Settings


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts graphql-core parsed as documents, in order."""
    seen: list[str] = []
    original = graphql_parser.Parser.parse_document

    def counting(self: graphql_parser.Parser):  # type: ignore[no-untyped-def]
        seen.append(self._lexer.source.body)
        return original(self)

    monkeypatch.setattr(graphql_parser.Parser, "parse_document", counting)
    return seen


def typenames(tokens: int) -> str:
    """A query of exactly ``tokens`` tokens: braces and ``__typename`` fields."""
    return "{ " + "__typename " * (tokens - 2) + "}"


def code_of(r) -> str:  # type: ignore[no-untyped-def]
    return str(r.json()["errors"][0]["extensions"]["code"])


async def test_the_default_limit_is_2000_tokens_and_settable():
    assert Settings().max_tokens == 2000
    assert Settings.from_env({"TRUSTCENTER_MAX_TOKENS": "40"}).max_tokens == 40


async def test_one_token_over_the_limit_is_413_and_never_parsed(world, container, parses):
    agency = await world.agency_actor()
    limit = container.settings.max_tokens
    r = await agency.gql(typenames(limit + 1))
    assert r.status_code == 413 and code_of(r) == "QUERY_TOO_LARGE"
    assert f"more than {limit} tokens" in r.json()["errors"][0]["message"]
    assert parses == []


async def test_thousands_of_fields_within_the_byte_limit_are_never_parsed(world, container, parses):
    staff = await world.staff_actor()
    query = ("{ " + "__typename " * 4000)[: container.settings.max_query_bytes - 1] + "}"
    r = await staff.gql(query)
    assert r.status_code == 413 and code_of(r) == "QUERY_TOO_LARGE"
    assert parses == []


async def test_a_query_of_exactly_the_limit_is_answered(world, container, parses):
    agency = await world.agency_actor()
    # a text of its own (a comment is no token): the parse cache outlives one app
    r = await agency.gql(f"# {uuid.uuid4()}\n" + typenames(container.settings.max_tokens))
    body = r.json()
    # past the token gate and parsed once; graphql-core's own guard may then abort validating
    # two thousand identical fields, which is a validation error, never a refusal by size
    assert r.status_code == 200 and len(parses) == 1
    codes = [e["extensions"]["code"] for e in body.get("errors") or []]
    assert body.get("data") == {"__typename": "Query"} or codes == ["GRAPHQL_VALIDATION_FAILED"]


async def test_comments_are_not_tokens(world, container, parses):
    agency = await world.agency_actor()
    remark = "# " + "why " * container.settings.max_tokens + "\n"
    r = await agency.gql(remark + "{ me { clientId } }")
    assert r.status_code == 200 and r.json()["data"]["me"]["clientId"] == agency.client_id


async def test_a_repeated_query_text_is_parsed_once(world, parses):
    agency = await world.agency_actor()
    query = f"# {uuid.uuid4()}\n{{ me {{ clientId }} }}"
    for _ in range(3):
        assert (await agency.data(query))["me"]["clientId"] == agency.client_id
    assert parses == [query]
    other = query.replace("clientId", "clientId __typename")
    assert (await agency.data(other))["me"]["__typename"]
    assert parses == [query, other]


async def test_a_cached_query_is_still_validated_per_request(world, parses):
    """The cache spares parsing, never the checks: a variable's list over its cap is refused
    on the second send of the same text as on the first."""
    agency = await world.agency_actor()
    query = f"# {uuid.uuid4()}\nquery($x: Int!) {{ me {{ clientId }} }}"
    for _ in range(2):
        r = await agency.gql(query, {"x": 1})
        assert r.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert parses == [query]
