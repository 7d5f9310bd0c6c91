"""Bad input is the caller's error, never an internal one: every GraphQL error carries a code,
echoes at most a short piece of what was sent, and changes nothing; list inputs are capped
before anything is coerced."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest
from graphql import (
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    get_named_type,
    specified_scalar_types,
)
from sqlalchemy import func, select

from tests.helpers import DECIDE, START_REVIEW, SUBMIT, submission
from trustcenter.config import Settings
from trustcenter.db.tables_audit import AuditEvent
from trustcenter.db.tables_requests import Request
from trustcenter.graphql.caps import LIST_CAPS
from trustcenter.graphql.errors import MAX_ECHO, MAX_MESSAGE
from trustcenter.graphql.schema import build_schema
from trustcenter.web.app import create_app

LONG = "x" * 10_000
CLIENT_CODES = {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT"}


async def written(container) -> tuple[int, int]:
    """(requests, audit events): what a refused call must leave as it was."""
    async with container.db.reader() as s:
        requests = await s.scalar(select(func.count()).select_from(Request))
        events = await s.scalar(select(func.count()).select_from(AuditEvent))
    return requests or 0, events or 0


def errors_of(r: httpx.Response) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    body = r.json()
    assert body.get("errors"), body
    for error in body["errors"]:
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", error
        assert len(error["message"]) <= MAX_MESSAGE + 1, error["message"][:300]
        assert "x" * (MAX_ECHO + 1) not in error["message"]
    return body["errors"]  # type: ignore[no-any-return]


def codes(r: httpx.Response) -> set[str]:
    return {e["extensions"]["code"] for e in errors_of(r)}


# --- custom scalars ---------------------------------------------------------------------------

LITERAL_VALUES = ['""', '"no such kind"', "5", "5.5", "true", '["A"]', "{a: 1}", f'"{LONG}"']
VARIABLE_VALUES: list[Any] = ["", "no such kind", 5, 5.5, True, [], {"a": 1}, LONG, "\t"]

SUBMIT_LITERAL = """mutation { submitRequest(input: {jurisdiction: "DE",
  officer: {name: "n", email: "e@example.com"},
  legalBasis: {kind: %s, reference: "r", issuedBy: "i", issuedAt: %s},
  targets: [], reason: "r"}) { replayed } }"""
DECIDE_LITERAL = """mutation { decideRequest(input: {requestId: "UmVxdWVzdDox", version: 1,
  decisions: [{itemId: "SXRlbTox", outcome: REJECT, reasonCode: %s}]}) { request { id } } }"""
DECIDE_VARIABLE = """mutation($v: ReasonCode!) { decideRequest(input: {requestId: "UmVxdWVzdDox",
  version: 1, decisions: [{itemId: "SXRlbTox", outcome: REJECT, reasonCode: $v}]})
  { request { id } } }"""
FILTER_LITERAL = "{ requests(filter: {category: [%s]}) { totalCount } }"
RECEIVED_LITERAL = "{ requests(filter: {receivedFrom: %s}) { totalCount } }"
FILTER_VARIABLE = "query($v: Category!) { requests(filter: {category: [$v]}) { totalCount } }"


def _submit_with(**legal_basis: Any) -> dict[str, Any]:
    data = submission()
    data["legalBasis"] = {**data["legalBasis"], **legal_basis}
    return {"input": data}


#: every custom scalar an input takes: (who calls, literal query, variables query and its
#: variables for a value)
SCALAR_CASES: dict[str, tuple[str, Any, Any]] = {
    "Category": (
        "agency",
        lambda v: FILTER_LITERAL % v,
        lambda v: (FILTER_VARIABLE, {"v": v}),
    ),
    "LegalBasisKind": (
        "agency",
        lambda v: SUBMIT_LITERAL % (v, '"2026-11-01"'),
        lambda v: (SUBMIT, _submit_with(kind=v)),
    ),
    "ReasonCode": (
        "staff",
        lambda v: DECIDE_LITERAL % v,
        lambda v: (DECIDE_VARIABLE, {"v": v}),
    ),
    "DateTime": (
        "agency",
        lambda v: RECEIVED_LITERAL % v,
        lambda v: (
            FILTER_VARIABLE.replace("Category!", "DateTime!").replace(
                "category: [$v]", "receivedFrom: $v"
            ),
            {"v": v},
        ),
    ),
    "Date": (
        "agency",
        lambda v: SUBMIT_LITERAL % ("WARRANT", v),
        lambda v: (SUBMIT, _submit_with(issuedAt=v)),
    ),
}


def _input_scalars() -> set[str]:
    """The custom scalars some input field or argument of the schema takes."""
    schema = build_schema()._schema
    found: set[str] = set()

    def visit(type_: Any) -> None:
        named = get_named_type(type_)
        if isinstance(named, GraphQLScalarType) and named.name not in specified_scalar_types:
            found.add(named.name)

    for named in schema.type_map.values():
        if isinstance(named, GraphQLInputObjectType):
            for field in named.fields.values():
                visit(field.type)
        for field in (
            getattr(named, "fields", {}).values()
            if not isinstance(named, GraphQLInputObjectType)
            else ()
        ):
            for arg in getattr(field, "args", {}).values():
                visit(arg.type)
    return found - {"GlobalID"}


def test_every_custom_input_scalar_has_hostile_cases():
    assert _input_scalars() == set(SCALAR_CASES)


@pytest.mark.parametrize("scalar", sorted(SCALAR_CASES))
async def test_hostile_scalar_values_are_the_callers_error(scalar, agency, staff, container):
    who, literal, variables = SCALAR_CASES[scalar]
    actor = agency if who == "agency" else staff
    before = await written(container)
    for value in LITERAL_VALUES:
        r = await actor.gql(literal(value))
        assert codes(r) == {"GRAPHQL_VALIDATION_FAILED"}, (value[:20], r.text[:300])
        assert r.json()["data"] is None
    for value in VARIABLE_VALUES:
        query, variable_values = variables(value)
        r = await actor.gql(query, variable_values)
        if scalar in ("Date", "DateTime") and value == "":
            assert codes(r) <= CLIENT_CODES
            continue
        assert codes(r) == {"BAD_USER_INPUT"}, (str(value)[:20], r.text[:300])
        assert scalar in errors_of(r)[0]["message"]
    assert await written(container) == before


async def test_a_malformed_category_literal_names_the_category(agency):
    r = await agency.gql('{ requests(filter: {category: [""]}) { totalCount } }')
    (error,) = errors_of(r)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Category" in error["message"] and "such as ACCOUNT" in error["message"]


# --- parse, validation and limits -------------------------------------------------------------


async def test_parse_and_validation_failures_carry_their_codes(agency):
    assert codes(await agency.gql("{ requests(first: 1 { id }")) == {"GRAPHQL_PARSE_FAILED"}
    assert codes(await agency.gql("{ nosuch }")) == {"GRAPHQL_VALIDATION_FAILED"}
    r = await agency.gql("query($x: Int!) { me { clientId } }")
    assert codes(r) == {"GRAPHQL_VALIDATION_FAILED"}


async def test_limits_carry_their_codes(agency):
    inner = "id"
    for _ in range(8):
        inner = f"target {{ items {{ {inner} }} }}"
    deep = f"{{ requests(first: 1) {{ edges {{ node {{ items {{ {inner} }} }} }} }} }}"
    assert codes(await agency.gql(deep)) == {"QUERY_TOO_DEEP"}
    aliases = " ".join(f"a{i}: me {{ clientId }}" for i in range(31))
    assert codes(await agency.gql(f"{{ {aliases} }}")) == {"TOO_MANY_ALIASES"}
    tokens = " ".join("me { clientId }" for _ in range(1300))
    r = await agency.gql(f"{{ {tokens} }}")  # refused by the transport gate, before parsing
    assert r.status_code == 413 and r.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"


async def test_a_long_unknown_field_is_echoed_cut_short(agency):
    r = await agency.gql("{ " + "y" * 5000 + " }")
    (error,) = errors_of(r)
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "y" * (MAX_ECHO + 1) not in error["message"] and "y" * 50 in error["message"]


# --- global ids -------------------------------------------------------------------------------


async def test_malformed_global_ids_are_bad_user_input(agency, staff, container):
    assert codes(await agency.gql('{ node(id: "garbage") { id } }')) == {"BAD_USER_INPUT"}
    r = await agency.gql("query($id: ID!) { node(id: $id) { id } }", {"id": "%%%"})
    assert codes(r) == {"BAD_USER_INPUT"}
    account_id = base64.b64encode(b"Account:00000000-0000-4000-8000-000000000000").decode()
    r = await agency.gql("query($id: ID!) { request(id: $id) { id } }", {"id": account_id})
    assert codes(r) == {"BAD_USER_INPUT"}
    request = await agency.submit()
    item_id = request["targets"][0]["items"][0]["id"]
    r = await agency.gql("query($id: ID!) { request(id: $id) { id } }", {"id": item_id})
    assert codes(r) == {"BAD_USER_INPUT"}
    assert "not of a Request" in errors_of(r)[0]["message"]
    before = await written(container)
    r = await staff.gql(START_REVIEW, {"i": {"requestId": "%%% not base64 %%%"}})
    assert codes(r) == {"BAD_USER_INPUT"}
    assert await written(container) == before


async def test_refusals_keep_their_codes(world):
    staff = await world.staff_actor(["reports"])
    r = await staff.gql("{ requests(first: 1) { totalCount } }")
    assert codes(r) == {"FORBIDDEN"}
    r = await world.http.post("/graphql", json={"query": "{ me { clientId } }"})
    assert r.status_code == 401
    assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert r.headers["www-authenticate"].startswith("Bearer")


async def test_a_bad_token_gets_a_graphql_shaped_401(agency, world):
    r = await agency.gql("{ me { clientId } }", token="not-a-token")
    assert r.status_code == 401
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    body = r.json()
    assert body["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert body["errors"][0]["message"] and "data" not in body
    r = await world.http.post(
        "/graphql", json={"query": "{ me { clientId } }"}, headers={"Authorization": "Basic eA=="}
    )
    assert r.status_code == 401 and r.json()["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )


async def test_the_token_endpoint_keeps_the_oauth_error_format(world):
    r = await world.http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=("nobody", "wrong")
    )
    assert r.status_code in (400, 401) and "error" in r.json() and "errors" not in r.json()


# --- list caps --------------------------------------------------------------------------------

COUNTRIES = "query($c: [String!]) { requests(filter: {country: $c}) { totalCount } }"
FILTER = "query($f: RequestFilterInput) { requests(filter: $f) { totalCount } }"


async def test_forty_thousand_countries_are_refused_naming_the_cap(staff):
    r = await staff.gql(FILTER, {"f": {"country": ["DE"] * 40_000}})
    (error,) = errors_of(r)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "maxItems": 100}
    assert "at most 100" in error["message"] and "RequestFilterInput.country" in error["message"]


async def test_filter_lists_take_their_cap_and_no_more(staff):
    for field, value in (("country", "DE"), ("status", "RECEIVED"), ("category", "ACCOUNT")):
        r = await staff.gql(FILTER, {"f": {field: [value] * 100}})
        assert r.json()["data"]["requests"]["totalCount"] == 0, r.text
        r = await staff.gql(FILTER, {"f": {field: [value] * 101}})
        assert errors_of(r)[0]["extensions"] == {"code": "BAD_USER_INPUT", "maxItems": 100}
    r = await staff.gql(COUNTRIES, {"c": ["DE"] * 101})
    assert "at most 100" in errors_of(r)[0]["message"]
    literal = ", ".join(['"DE"'] * 101)
    r = await staff.gql(f"{{ requests(filter: {{country: [{literal}]}}) {{ totalCount }} }}")
    (error,) = errors_of(r)
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED", "maxItems": 100}


async def test_too_many_targets_are_refused_before_anything_is_written(agency, container):
    before = await written(container)
    one = submission()["targets"][1]
    r = await agency.gql(SUBMIT, {"input": submission(targets=[one] * 101)})
    (error,) = errors_of(r)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "maxItems": 100}
    assert "SubmitRequestInput.targets" in error["message"]
    many_types = [{**one, "infoTypes": ["A", "B", "C", "D", "E", "A"]}]
    r = await agency.gql(SUBMIT, {"input": submission(targets=many_types)})
    assert errors_of(r)[0]["extensions"] == {"code": "BAD_USER_INPUT", "maxItems": 5}
    basis = {**submission()["legalBasis"], "documentIds": ["x"] * 21}
    r = await agency.gql(SUBMIT, {"input": submission(legalBasis=basis)})
    assert errors_of(r)[0]["extensions"] == {"code": "BAD_USER_INPUT", "maxItems": 20}
    assert await written(container) == before


async def test_a_request_with_the_largest_number_of_targets_is_accepted(agency):
    targets = [
        {"identifierType": "SERIAL_NUMBER", "identifier": f"c6n{i:07d}", "infoTypes": ["B"]}
        for i in range(100)
    ]
    request = await agency.submit(targets=targets)
    assert len(request["targets"]) == 100


async def test_too_many_decisions_are_refused_naming_the_cap(agency, staff, container):
    request = await agency.submit()
    started = await staff.data(START_REVIEW, {"i": {"requestId": request["id"]}})
    version = started["startReview"]["request"]["version"]
    item = started["startReview"]["request"]["items"][0]["id"]
    before = await written(container)
    decisions = [{"itemId": item, "outcome": "APPROVE"}] * 501
    r = await staff.gql(
        DECIDE, {"i": {"requestId": request["id"], "version": version, "decisions": decisions}}
    )
    (error,) = errors_of(r)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "maxItems": 500}
    assert "DecideRequestInput.decisions" in error["message"]
    assert await written(container) == before


def test_every_capped_field_exists_in_the_schema():
    schema = build_schema()._schema
    for key, cap in LIST_CAPS.items():
        type_name, field = key.split(".")
        input_type = schema.type_map[type_name]
        assert isinstance(input_type, GraphQLInputObjectType), key
        field_type = input_type.fields[field].type
        if isinstance(field_type, GraphQLNonNull):
            field_type = field_type.of_type
        assert isinstance(field_type, GraphQLList) and cap >= 1, key


# --- TRUSTCENTER_ENV --------------------------------------------------------------------------


def test_the_environment_is_case_insensitive_and_closed():
    assert Settings.from_env({"TRUSTCENTER_ENV": "Production"}).production
    assert Settings.from_env({"TRUSTCENTER_ENV": " PRODUCTION "}).production
    assert not Settings.from_env({"TRUSTCENTER_ENV": "Development"}).production
    assert not Settings.from_env({}).production
    with pytest.raises(SystemExit, match="TRUSTCENTER_ENV must be one of development, production"):
        Settings.from_env({"TRUSTCENTER_ENV": "prod"})


async def test_production_in_any_case_turns_off_graphiql_and_introspection(container, world):
    import dataclasses

    settings = Settings.from_env(
        {"TRUSTCENTER_ENV": "Production"},
        **{f.name: getattr(container.settings, f.name) for f in dataclasses.fields(Settings)
           if f.name != "env"},
    )  # fmt: skip
    app = create_app(dataclasses.replace(container, settings=settings))
    agency = await world.agency_actor("DE")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://localhost"
    ) as client:
        assert (await client.get("/graphql", headers={"accept": "text/html"})).status_code == 405
        r = await client.post(
            "/graphql",
            json={"query": "{ __schema { types { name } } }"},
            headers={"Authorization": f"Bearer {agency.token}"},
        )
        assert codes(r) == {"GRAPHQL_VALIDATION_FAILED"}
        assert "introspection" in r.json()["errors"][0]["message"].lower()
