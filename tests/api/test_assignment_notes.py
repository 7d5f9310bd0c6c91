"""The reviewers' queue and their internal notes (issue 14), over GraphQL, on SQLite and
PostgreSQL.

A request is assigned to an active reviewer (or to nobody), the list filters a person's own
queue (``assignedToMe``) or anyone's (``assignedTo``); staff write internal notes that staff
read and agencies never do, by any query. Neither changes the request's version, both are
audited (a note by its id, never its text), and both are read in batches.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from strawberry.relay import from_base64, to_base64

from tests.helpers import Actor, World, counting
from trustcenter.auth.principal import Principal
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import AuditEvent, StaffMember
from trustcenter.graphql.context import Context
from trustcenter.graphql.loaders import Loaders
from trustcenter.graphql.schema import build_schema

ASSIGN = """mutation($i: AssignRequestInput!) { assignRequest(input: $i) {
  request { id version assignedTo { id name } assignedAt }
  userErrors { field code message } } }"""
NOTE = """mutation($i: AddInternalNoteInput!) { addInternalNote(input: $i) {
  note { id author body createdAt } request { id version }
  userErrors { field code message } } }"""
READ = """query($id: ID!) { request(id: $id) {
  version assignedTo { id name } assignedAt internalNotes { id author body createdAt } } }"""
AGENCY_READ = "query($id: ID!) { request(id: $id) { version assignedTo { id name } assignedAt } }"
QUEUE = """query($f: RequestFilterInput) { requests(first: 50, filter: $f) {
  totalCount edges { node { id } } } }"""

SECRET = "The officer's earlier request was refused; check with legal first."


async def staff_member(
    container: Container, name: str, *, roles: str = "reviewer", status: str = "active"
) -> uuid.UUID:
    """A staff member's row, as the staff administration writes it (no password needed)."""
    now = container.clock.now()
    async with container.uow() as uow:
        member = StaffMember(
            email=f"{name.split()[0].lower()}@company.example",
            name=name,
            roles=roles,
            status=status,
            created_at=now,
            updated_at=now,
        )
        uow.add(member)
        await uow.flush()
        return member.id


def staff_gid(staff_id: uuid.UUID) -> str:
    return to_base64("StaffMember", str(staff_id))


def person(staff_id: uuid.UUID, name: str) -> Principal:
    email = f"{name.split()[0].lower()}@company.example"
    return Principal.person(staff_id, name, email, frozenset({"review"}), "s-1")


async def as_person(container: Container, who: Principal, query: str, **variables: Any) -> Any:
    """The operation run by the product's schema for a signed-in person (the principal the
    console's session gives)."""
    result = await build_schema().execute(
        query,
        variable_values=variables,
        context_value=Context(principal=who, app=container, loaders=Loaders(container, who)),
    )
    return result


async def audit_of(container: Container, rid: str, action: str) -> list[AuditEvent]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.request_id == uuid.UUID(from_base64(rid)[1]),
                AuditEvent.action == action,
            )
            .order_by(AuditEvent.seq)
        )
        return list(rows.all())


class Team:
    def __init__(
        self, container: Container, clock: FixedClock, agency: Actor, staff: Actor
    ) -> None:
        self.container, self.clock, self.agency, self.staff = container, clock, agency, staff

    async def submit(self) -> str:
        self.clock.advance(timedelta(seconds=1))
        rid: str = (await self.agency.submit())["id"]
        return rid

    async def assign(self, rid: str, staff_id: str | None) -> dict[str, Any]:
        self.clock.advance(timedelta(seconds=1))
        data = await self.staff.data(ASSIGN, {"i": {"requestId": rid, "staffId": staff_id}})
        out: dict[str, Any] = data["assignRequest"]
        return out

    async def note(self, rid: str, body: str, actor: Actor | None = None) -> dict[str, Any]:
        self.clock.advance(timedelta(seconds=1))
        data = await (actor or self.staff).data(NOTE, {"i": {"requestId": rid, "body": body}})
        out: dict[str, Any] = data["addInternalNote"]
        return out

    async def read(self, rid: str, actor: Actor | None = None) -> dict[str, Any]:
        found: dict[str, Any] = (await (actor or self.staff).data(READ, {"id": rid}))["request"]
        return found


@pytest.fixture
async def team(world: World, container: Container, clock: FixedClock) -> Team:
    return Team(
        container, clock, await world.agency_actor("DE"), await world.staff_actor(["review"])
    )


def refused(payload: dict[str, Any]) -> list[tuple[str, str]]:
    assert payload["request"] is None, payload
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


# --- assignment -------------------------------------------------------------------------------


async def test_a_request_goes_to_a_reviewers_queue_and_back_to_nobodys(
    team: Team, container: Container
) -> None:
    rita = await staff_member(container, "Rita Reviewer")
    rid = await team.submit()
    version = (await team.read(rid))["version"]

    done = await team.assign(rid, staff_gid(rita))
    assert done["userErrors"] == []
    assert done["request"]["assignedTo"] == {"id": staff_gid(rita), "name": "Rita Reviewer"}
    assert done["request"]["assignedAt"] is not None
    assert done["request"]["version"] == version  # the agency's request did not change
    seen = (await team.agency.data(AGENCY_READ, {"id": rid}))["request"]
    assert seen["assignedTo"] is None and seen["assignedAt"] is None

    back = await team.assign(rid, None)
    assert back["request"]["assignedTo"] is None and back["request"]["assignedAt"] is None
    audited = await audit_of(container, rid, "request.assigned")
    assert [e.actor_id for e in audited] == [team.staff.client_id] * 2
    assert f'"to": "{rita}"' in audited[0].data and '"from": null' in audited[0].data
    assert f'"from": "{rita}"' in audited[1].data and '"to": null' in audited[1].data


async def test_only_an_active_reviewer_takes_requests(team: Team, container: Container) -> None:
    auditor = await staff_member(container, "Aldo Auditor", roles="auditor")
    disabled = await staff_member(container, "Dora Gone", status="disabled")
    rid = await team.submit()
    assert refused(await team.assign(rid, staff_gid(auditor))) == [("staffId", "INVALID_INPUT")]
    assert refused(await team.assign(rid, staff_gid(disabled))) == [("staffId", "INVALID_INPUT")]
    assert refused(await team.assign(rid, staff_gid(uuid.uuid4()))) == [("staffId", "NOT_FOUND")]
    assert refused(await team.assign(rid, rid)) == [("staffId", "NOT_FOUND")]  # a Request's id
    assert refused(await team.assign(rid, "not an id")) == [("staffId", "NOT_FOUND")]
    assert await audit_of(container, rid, "request.assigned") == []
    assert (await team.read(rid))["assignedTo"] is None


async def test_an_agency_neither_assigns_nor_writes_notes(team: Team, container: Container) -> None:
    rita = await staff_member(container, "Rita Reviewer")
    rid = await team.submit()
    for query, i in (
        (ASSIGN, {"requestId": rid, "staffId": staff_gid(rita)}),
        (NOTE, {"requestId": rid, "body": "from the agency"}),
    ):
        body = (await team.agency.gql(query, {"i": i})).json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert (await team.read(rid))["assignedTo"] is None
    assert (await team.read(rid))["internalNotes"] == []


async def test_my_queue_and_anyones(team: Team, container: Container, world: World) -> None:
    rita = await staff_member(container, "Rita Reviewer")
    sam = await staff_member(container, "Sam Second")
    mine, sams, nobodys = await team.submit(), await team.submit(), await team.submit()
    await team.assign(mine, staff_gid(rita))
    await team.assign(sams, staff_gid(sam))

    as_rita = await as_person(
        container, person(rita, "Rita Reviewer"), QUEUE, f={"assignedToMe": True}
    )
    assert not as_rita.errors, as_rita.errors
    assert [e["node"]["id"] for e in as_rita.data["requests"]["edges"]] == [mine]
    assert as_rita.data["requests"]["totalCount"] == 1
    both = await as_person(
        container,
        person(rita, "Rita Reviewer"),
        QUEUE,
        f={"assignedToMe": True, "assignedTo": staff_gid(rita)},
    )
    assert [e["node"]["id"] for e in both.data["requests"]["edges"]] == [mine]
    clash = await as_person(
        container,
        person(rita, "Rita Reviewer"),
        QUEUE,
        f={"assignedToMe": True, "assignedTo": staff_gid(sam)},
    )
    assert clash.errors and clash.errors[0].extensions["code"] == "INVALID_INPUT"

    anyone = await team.staff.data(QUEUE, {"f": {"assignedTo": staff_gid(sam)}})
    assert [e["node"]["id"] for e in anyone["requests"]["edges"]] == [sams]
    everyone = await team.staff.data(QUEUE, {"f": {"assignedToMe": False}})
    assert everyone["requests"]["totalCount"] == 3
    assert {e["node"]["id"] for e in everyone["requests"]["edges"]} == {mine, sams, nobodys}

    # a machine client has no queue of its own: a clear refusal, not an empty list
    body = (await team.staff.gql(QUEUE, {"f": {"assignedToMe": True}})).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body
    assert "only a person" in body["errors"][0]["message"]
    # and an agency learns nothing of the staff's queues
    body = (await team.agency.gql(QUEUE, {"f": {"assignedTo": staff_gid(rita)}})).json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body


# --- internal notes -------------------------------------------------------------------------


async def test_staff_write_and_read_internal_notes(
    team: Team, container: Container, world: World
) -> None:
    rita = await staff_member(container, "Rita Reviewer")
    rid = await team.submit()
    version = (await team.read(rid))["version"]

    first = await team.note(rid, f"  {SECRET}  ")
    assert first["userErrors"] == []
    assert first["note"]["body"] == SECRET and first["note"]["author"] == team.staff.client_id
    assert first["request"]["version"] == version
    team.clock.advance(timedelta(seconds=1))
    by_rita = await as_person(
        container,
        person(rita, "Rita Reviewer"),
        NOTE,
        i={"requestId": rid, "body": "Legal says go ahead."},
    )
    assert by_rita.data["addInternalNote"]["note"]["author"] == "Rita Reviewer"

    auditor = await world.staff_actor(["audit"])
    for reader in (team.staff, auditor):
        notes = (await team.read(rid, reader))["internalNotes"]
        assert [(n["author"], n["body"]) for n in notes] == [
            (team.staff.client_id, SECRET),
            ("Rita Reviewer", "Legal says go ahead."),
        ]
    assert (await team.read(rid))["version"] == version

    audited = await audit_of(container, rid, "request.note_added")
    assert len(audited) == 2
    assert first["note"]["id"] in audited[0].data and f'"length": {len(SECRET)}' in audited[0].data
    assert SECRET not in audited[0].data  # the audit names the note, never its text
    assert audited[1].actor_id == str(rita) and audited[1].actor_name == "Rita Reviewer"


async def test_a_note_is_1_to_10000_characters(team: Team) -> None:
    rid = await team.submit()
    for body in ("", "   \n "):
        assert refused(await team.note(rid, body)) == [("body", "INVALID_INPUT")]
    assert refused(await team.note(rid, "x" * 10_001)) == [("body", "INVALID_INPUT")]
    assert (await team.note(rid, " " + "x" * 10_000 + " "))["note"]["body"] == "x" * 10_000
    unknown = to_base64("Request", str(uuid.uuid4()))
    assert refused(await team.note(unknown, "on nothing")) == [("requestId", "NOT_FOUND")]


async def test_an_agency_cannot_read_a_note_by_any_query(team: Team, world: World) -> None:
    rid = await team.submit()
    await team.note(rid, SECRET)
    queries = [
        ("query($id: ID!) { request(id: $id) { internalNotes { body } } }", {"id": rid}),
        ("query($id: ID!) { node(id: $id) { ... on Request { internalNotes { body } } } }",
         {"id": rid}),
        ("{ requests(first: 10) { edges { node { internalNotes { body author } } } } }", {}),
        ("query($id: ID!) { request(id: $id) { messages { body } auditTrail { data } } }",
         {"id": rid}),
    ]  # fmt: skip
    for query, variables in queries:
        r = await team.agency.gql(query, variables)
        assert SECRET not in r.text, (query, r.text)
        body = r.json()
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", (query, body)
    # what the agency may read of its request holds no note either
    r = await team.agency.gql(
        "query($id: ID!) { request(id: $id) { messages { body } status } }", {"id": rid}
    )
    assert r.status_code == 200 and "errors" not in r.json() and SECRET not in r.text
    # nor does a staff client that reads no requests
    reports = await world.staff_actor(["reports"])
    r = await reports.gql(queries[0][0], queries[0][1])
    assert SECRET not in r.text and r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_notes_and_assignees_are_read_in_batches(team: Team, container: Container) -> None:
    rita = await staff_member(container, "Rita Reviewer")
    for n in range(6):
        rid = await team.submit()
        await team.assign(rid, staff_gid(rita))
        await team.note(rid, f"note {n}")
    query = """query($n: Int!) { requests(first: $n) { edges { node {
      assignedTo { name } internalNotes { author body } } } } }"""
    counts = {}
    for n in (2, 6):
        with counting(container.db.engine) as statements:
            data = await team.staff.data(query, {"n": n})
        nodes = [e["node"] for e in data["requests"]["edges"]]
        assert len(nodes) == n
        assert all(x["assignedTo"] == {"name": "Rita Reviewer"} for x in nodes)
        assert all(len(x["internalNotes"]) == 1 for x in nodes)
        counts[n] = len(statements)
    assert counts[2] == counts[6], counts
