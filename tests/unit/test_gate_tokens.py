"""The gate's token count of a text within the limit is remembered; a text past it is counted
(and refused) every time, and the count is the same either way."""

from __future__ import annotations

import pytest

from trustcenter.web import graphql_gate
from trustcenter.web.graphql_gate import GateLimits, Refused, admit, token_count

LIMITS = GateLimits(max_json_depth=20, max_query_bytes=32 * 1024, max_tokens=6)


@pytest.fixture
def lexed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the gate ran the lexer over, in order."""
    seen: list[str] = []
    original = graphql_gate._lexed

    def counting(query: str, limit: int) -> int:
        seen.append(query)
        return original(query, limit)

    monkeypatch.setattr(graphql_gate, "_lexed", counting)
    graphql_gate._COUNTED.clear()
    return seen


def test_a_text_within_the_limit_is_lexed_once(lexed: list[str]) -> None:
    query = "{ a b # a comment is no token\n c }"
    assert [token_count(query, 6) for _ in range(3)] == [5, 5, 5]
    assert lexed == [query]
    assert token_count(query, 4) == 5  # another limit: counted again, to its own stop
    assert lexed == [query, query]


def test_a_text_past_the_limit_is_refused_every_time(lexed: list[str]) -> None:
    body = b'{"query": "{ a b c d e f }"}'
    for _ in range(2):
        with pytest.raises(Refused) as refused:
            admit(body, LIMITS)
        assert refused.value.status == 413 and refused.value.code == "QUERY_TOO_LARGE"
    assert lexed == ["{ a b c d e f }"] * 2


def test_the_remembered_texts_are_bounded(lexed: list[str]) -> None:
    for n in range(graphql_gate.COUNTED_TEXTS + 10):
        token_count(f"{{ a{n} }}", 6)
    assert len(graphql_gate._COUNTED) == graphql_gate.COUNTED_TEXTS
    token_count("{ a0 }", 6)  # the oldest went first: lexed again
    assert lexed[-1] == "{ a0 }" and len(lexed) == graphql_gate.COUNTED_TEXTS + 11
