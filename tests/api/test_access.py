"""SPEC section 8: an agency sees only its own requests; anything else looks like nothing."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import func, select

from tests.helpers import SUBMIT, submission
from trustcenter.db.models import Request
from trustcenter.domain.enums import VerificationState

REQUEST = """query($id: ID!) { request(id: $id) { id status agency { name } } }"""
NODE = """query($id: ID!) { node(id: $id) { id ... on Request { status } } }"""
LIST = """query($f: RequestFilterInput) { requests(first: 50, filter: $f) {
  totalCount edges { node { id agency { country } } } } }"""


@pytest.fixture
async def two_agencies(world):
    de = await world.agency_actor("DE")
    fr = await world.agency_actor("FR")
    de_req = await de.submit()
    fr_req = await fr.submit(jurisdiction="FR")
    return de, fr, de_req, fr_req


async def answers_as_missing(actor, query: str, variables: dict) -> dict:
    r = await actor.gql(query, variables)
    body = r.json()
    assert r.status_code == 200 and "errors" not in body, body
    return body["data"]


def missing_id(type_name: str = "Request") -> str:
    return base64.b64encode(f"{type_name}:00000000-0000-0000-0000-000000000000".encode()).decode()


async def test_request_of_another_agency_is_answered_like_a_missing_one(two_agencies):
    de, _fr, _de_req, fr_req = two_agencies
    other = await answers_as_missing(de, REQUEST, {"id": fr_req["id"]})
    absent = await answers_as_missing(de, REQUEST, {"id": missing_id()})
    assert other == absent == {"request": None}


async def test_node_of_another_agency_is_answered_like_a_missing_one(two_agencies):
    de, _fr, _de_req, fr_req = two_agencies
    for node_id in [
        fr_req["id"],
        fr_req["targets"][0]["id"],
        fr_req["targets"][0]["items"][0]["id"],
    ]:
        assert await answers_as_missing(de, NODE, {"id": node_id}) == {"node": None}
    assert await answers_as_missing(de, NODE, {"id": missing_id()}) == {"node": None}


async def test_own_request_is_visible_through_request_and_node(two_agencies):
    de, _fr, de_req, _ = two_agencies
    data = await de.data(REQUEST, {"id": de_req["id"]})
    assert data["request"]["id"] == de_req["id"]
    node = await de.data(NODE, {"id": de_req["targets"][0]["items"][0]["id"]})
    assert node["node"]["id"] == de_req["targets"][0]["items"][0]["id"]


async def test_list_and_filters_only_show_own_requests(two_agencies):
    de, fr, _de_req, fr_req = two_agencies
    for f in [None, {"country": ["FR"]}, {"country": ["DE", "FR"]}, {"status": ["RECEIVED"]}]:
        data = await de.data(LIST, {"f": f})
        ids = [e["node"]["id"] for e in data["requests"]["edges"]]
        assert fr_req["id"] not in ids
        assert data["requests"]["totalCount"] == len(ids)
    fr_view = await fr.data(LIST, {"f": None})
    assert [e["node"]["id"] for e in fr_view["requests"]["edges"]] == [fr_req["id"]]


async def test_agency_sees_its_own_agency_but_no_other(two_agencies, world):
    de, _fr, _de_req, _ = two_agencies
    data = await de.data("{ me { kind agency { id name country } } }")
    assert data["me"]["kind"] == "AGENCY" and data["me"]["agency"]["country"] == "DE"
    other_agency = await world.agency("GB")
    gid = base64.b64encode(f"Agency:{other_agency}".encode()).decode()
    assert await answers_as_missing(de, NODE, {"id": gid}) == {"node": None}


async def test_staff_see_every_request(two_agencies, world):
    _de, _fr, de_req, fr_req = two_agencies
    staff = await world.staff_actor(["review"])
    data = await staff.data(LIST, {"f": None})
    ids = {e["node"]["id"] for e in data["requests"]["edges"]}
    assert ids == {de_req["id"], fr_req["id"]}
    assert (await staff.data(REQUEST, {"id": fr_req["id"]}))["request"]["agency"]["name"]
    assert (await staff.data("{ me { kind agency { id } } }"))["me"] == {
        "kind": "STAFF",
        "agency": None,
    }


async def test_staff_without_a_reading_scope_are_forbidden(two_agencies, world):
    staff = await world.staff_actor(["reports"])
    r = await staff.gql(LIST, {"f": None})
    assert r.status_code == 200
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert r.json()["data"] is None


async def test_staff_resolve_what_the_company_holds_agencies_may_not(two_agencies, world):
    de, _fr, de_req, _ = two_agencies
    query = """query($id: ID!) { request(id: $id) { targets { identifier
      subject { __typename ... on Account { username } ... on Product { serialNumber } } } } }"""
    staff = await world.staff_actor(["review"])
    data = await staff.data(query, {"id": de_req["id"]})
    # the company holds no such account in an empty database: null, not an error
    assert [t["subject"] for t in data["request"]["targets"]] == [None, None]
    r = await de.gql(query, {"id": de_req["id"]})
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_missing_scope_is_forbidden_and_changes_nothing(world, container):
    reader = await world.agency_actor("DE", scopes=["requests:read"])
    r = await reader.gql(SUBMIT, {"input": submission()})
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["data"]["submitRequest"] is None
    submitter = await world.agency_actor("DE", scopes=["requests:submit"])
    r = await submitter.gql(LIST, {"f": None})
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    staff = await world.staff_actor(["review", "admin"])
    r = await staff.gql(SUBMIT, {"input": submission()})
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Request)) == 0


@pytest.mark.parametrize("state", [VerificationState.PENDING])
async def test_unverified_agency_cannot_submit(world, container, state):
    pending = await world.agency_actor("BR", state=state)
    r = await pending.gql(SUBMIT, {"input": submission(jurisdiction="BR")})
    payload = r.json()["data"]["submitRequest"]
    assert payload["request"] is None
    assert payload["userErrors"][0]["code"] == "AGENCY_NOT_VERIFIED"
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Request)) == 0
    # it may still read (its own, empty) list
    assert (await pending.data(LIST, {"f": None}))["requests"]["totalCount"] == 0
