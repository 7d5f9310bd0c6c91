"""A query text is validated once; what validation decided holds for every later request.

The schema's table of recent query texts (``graphql.document_cache``) keeps each text's
validation: its errors and the caps of the variables in capped list positions. Validation runs
are counted by patching strawberry's call of graphql-core's ``validate``. On SQLite and
PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from strawberry.schema import schema as strawberry_schema

from tests.helpers import submission


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first line of each document validated, in order."""
    seen: list[str] = []
    original = strawberry_schema.validate

    def counting(schema: Any, document: Any, rules: Any) -> Any:
        seen.append(document.loc.source.body.split("\n", 1)[0])
        return original(schema, document, rules)

    monkeypatch.setattr(strawberry_schema, "validate", counting)
    return seen


def errors_of(r: Any) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = r.json()["errors"]
    return errors


async def test_the_same_query_text_is_validated_once(agency, validations):
    marker = f"# {uuid.uuid4()}"
    query = f"{marker}\n{{ me {{ clientId }} }}"
    for _ in range(3):
        assert (await agency.data(query))["me"]["clientId"] == agency.client_id
    assert validations == [marker]
    other = f"{marker} other\n{{ me {{ clientId scopes }} }}"
    assert (await agency.data(other))["me"]["scopes"]
    assert validations == [marker, f"{marker} other"]


async def test_an_invalid_query_is_refused_from_the_cache_with_the_same_error(agency, validations):
    marker = f"# {uuid.uuid4()}"
    query = f"{marker}\n{{ me {{ clientId password }} }}"
    answers = []
    for _ in range(3):
        r = await agency.gql(query)
        assert r.status_code == 200 and r.json().get("data") is None
        answers.append(errors_of(r))
    assert answers[0] == answers[1] == answers[2]
    (error,) = answers[0]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "password" in error["message"]
    assert validations == [marker]


async def test_a_cached_text_still_checks_each_requests_variables_against_the_caps(
    agency, validations
):
    """The cap of a variable's list position comes from the cached validation: the second and
    third send of the same text refuse six information types as the first did, and a request
    within the cap gets through in between."""
    marker = f"# {uuid.uuid4()}"
    basis = submission()["legalBasis"]
    query = (
        f"{marker}\nmutation($t: [InfoType!]!, $b: LegalBasisInput!) {{ submitRequest(input: {{"
        ' jurisdiction: "DE", reason: "Cache test.",'
        ' officer: {name: "K. Weber", title: "KHKin", email: "k.weber@polizei.example",'
        ' phone: "+49 30 4664 0"}, legalBasis: $b,'
        ' targets: [{identifierType: EMAIL, identifier: "a@example.com", infoTypes: $t}]})'
        " { request { id } userErrors { code } } }"
    )
    six = ["A", "B", "C", "D", "E", "A"]
    for types in (six, ["A"], six):
        r = await agency.gql(query, {"t": types, "b": basis})
        if types is six:
            (error,) = errors_of(r)
            assert error["extensions"] == {"code": "BAD_USER_INPUT", "maxItems": 5}
            assert "TargetInput.infoTypes" in error["message"]
        else:
            body = r.json()
            assert not body.get("errors"), body
            assert body["data"]["submitRequest"]["request"]["id"]
    assert validations == [marker]
