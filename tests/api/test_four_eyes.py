"""Four eyes on a release (issue 14), over GraphQL, on SQLite and PostgreSQL.

With ``TRUSTCENTER_RELEASE_APPROVERS=2`` (or a plugin asking for it for a request), the first
``releaseDisclosure`` records its caller's approval and releases nothing; a second person, who
decided no item, approves (``approveRelease``) and the release goes ahead as ever, naming both.
Every way of bending that is refused: approving twice (also as the same person over another
session), the decider approving their own decisions, an agency approving, approving after the
request changed, a plugin answering nonsense.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from strawberry.relay import from_base64

from tests.helpers import Actor, World, approve_all, counting
from trustcenter.auth.principal import Principal
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.config import Settings
from trustcenter.db.models import AuditEvent, Disclosure, ReleaseApproval
from trustcenter.graphql.context import Context
from trustcenter.graphql.loaders import Loaders
from trustcenter.graphql.schema import build_schema
from trustcenter.plugins import RequestView, hookimpl
from trustcenter.plugins.host import PluginFailure, PluginHost
from trustcenter.plugins.manager import load
from trustcenter.plugins.testing import make_request

RELEASE = """mutation($i: ReleaseDisclosureInput!) { releaseDisclosure(input: $i) {
  approvalNeeded approvals { approvedBy approvedAt version }
  request { id status version disclosure { id sha256 downloadPath } }
  userErrors { field code message } } }"""
APPROVE = """mutation($i: ApproveReleaseInput!) { approveRelease(input: $i) {
  approvalNeeded approvals { approvedBy version }
  request { id status version disclosure { id sha256 downloadPath } }
  userErrors { field code message } } }"""
READ = """query($id: ID!) { request(id: $id) {
  status version approvalsNeeded releaseApprovals { approvedBy version } disclosure { id } } }"""
RECLASSIFY = """mutation($i: ReclassifyRequestInput!) { reclassifyRequest(input: $i) {
  request { version category } userErrors { code message } } }"""


def four_eyes_settings(container: Container) -> Settings:
    """The test container's settings (``tests/conftest.py``), read again from an environment
    that sets TRUSTCENTER_RELEASE_APPROVERS=2."""
    kept = (
        "database_url",
        "database_schema",
        "issuer",
        "disclosure_keys",
        "plugins",
        "graphql_cost_per_minute",
        "graphql_requests_per_minute",
        "graphql_anonymous_cost_per_minute",
        "graphql_anonymous_requests_per_minute",
    )
    overrides = {name: getattr(container.settings, name) for name in kept}
    return Settings.from_env({"TRUSTCENTER_RELEASE_APPROVERS": "2"}, **overrides)


@pytest.fixture
def four_eyes(container: Container) -> Container:
    container.settings = four_eyes_settings(container)
    assert container.settings.release_approvers == 2
    return container


class Desk:
    """An agency, three reviewers (machine clients) and the clock."""

    def __init__(self, world: World, clock: FixedClock, agency: Actor, *staff: Actor) -> None:
        self.world, self.clock, self.agency = world, clock, agency
        self.a, self.b, self.c = staff

    async def decided(self, decider: Actor | None = None, **changes: Any) -> str:
        """A request approved in full by ``decider`` (A unless said)."""
        self.clock.advance(timedelta(seconds=1))
        rid: str = (await self.agency.submit(**changes))["id"]
        payload = await approve_all(decider or self.a, rid)
        assert payload["userErrors"] == [] and payload["request"]["status"] == "APPROVED"
        return rid

    async def release(self, actor: Actor, rid: str) -> dict[str, Any]:
        self.clock.advance(timedelta(seconds=1))
        out: dict[str, Any] = (await actor.data(RELEASE, {"i": {"requestId": rid}}))[
            "releaseDisclosure"
        ]
        return out

    async def approve(self, actor: Actor, rid: str, **more: Any) -> dict[str, Any]:
        self.clock.advance(timedelta(seconds=1))
        out: dict[str, Any] = (await actor.data(APPROVE, {"i": {"requestId": rid, **more}}))[
            "approveRelease"
        ]
        return out

    async def read(self, rid: str, actor: Actor | None = None) -> dict[str, Any]:
        found: dict[str, Any] = (await (actor or self.a).data(READ, {"id": rid}))["request"]
        return found


@pytest.fixture
async def desk(world: World, clock: FixedClock) -> Desk:
    agency = await world.agency_actor("DE")
    staff = [await world.staff_actor(["review", "audit"]) for _ in range(3)]
    return Desk(world, clock, agency, *staff)


def codes(payload: dict[str, Any]) -> list[str]:
    assert payload["request"] is None, payload
    return [e["code"] for e in payload["userErrors"]]


async def approvals_of(container: Container, rid: str) -> list[tuple[str, int]]:
    gid = uuid.UUID(_raw(rid))
    async with container.db.reader() as s:
        rows = await s.execute(
            select(ReleaseApproval.actor_id, ReleaseApproval.version)
            .where(ReleaseApproval.request_id == gid)
            .order_by(ReleaseApproval.created_at)
        )
        return [(r.actor_id, r.version) for r in rows]


async def disclosures_of(container: Container, rid: str) -> list[Disclosure]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(Disclosure).where(Disclosure.request_id == uuid.UUID(_raw(rid)))
        )
        return list(rows.all())


async def events(container: Container, rid: str, action: str) -> list[AuditEvent]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(AuditEvent)
            .where(AuditEvent.request_id == uuid.UUID(_raw(rid)), AuditEvent.action == action)
            .order_by(AuditEvent.seq)
        )
        return list(rows.all())


def _raw(gid: str) -> str:
    return from_base64(gid)[1]


# --- the whole path ---------------------------------------------------------------------------


async def test_the_first_release_asks_the_second_person_releases_and_the_agency_downloads_once(
    four_eyes: Container, desk: Desk
) -> None:
    rid = await desk.decided()
    assert (await desk.read(rid))["approvalsNeeded"] == 2

    asked = await desk.release(desk.a, rid)
    assert asked["userErrors"] == [] and asked["approvalNeeded"] is True
    assert asked["request"]["status"] == "APPROVED" and asked["request"]["disclosure"] is None
    assert [(a["approvedBy"], a["version"]) for a in asked["approvals"]] == [
        (desk.a.client_id, asked["request"]["version"])
    ]
    # asking changes nothing the agency sees, and its version stays (an approval voids nothing)
    seen = await desk.read(rid, desk.agency)
    assert seen["status"] == "APPROVED" and seen["disclosure"] is None
    assert seen["releaseApprovals"] == [] and seen["approvalsNeeded"] is None
    assert (await desk.read(rid))["version"] == asked["request"]["version"]
    [requested] = await events(four_eyes, rid, "release.approval_requested")
    assert requested.actor_id == desk.a.client_id
    assert await disclosures_of(four_eyes, rid) == []

    done = await desk.approve(desk.b, rid)
    assert done["userErrors"] == [] and done["approvalNeeded"] is False
    assert done["request"]["status"] == "DISCLOSED"
    assert [a["approvedBy"] for a in done["approvals"]] == [desk.a.client_id, desk.b.client_id]
    staff_view = await desk.read(rid)
    assert [a["approvedBy"] for a in staff_view["releaseApprovals"]] == [
        desk.a.client_id,
        desk.b.client_id,
    ]

    # one package, released by the one who asked, approved by the second, both in the audit
    [package] = await disclosures_of(four_eyes, rid)
    assert package.released_by == desk.a.client_id
    [approved] = await events(four_eyes, rid, "release.approved")
    assert approved.actor_id == desk.b.client_id
    [released] = await events(four_eyes, rid, "disclosure.released")
    assert released.actor_id == desk.b.client_id
    assert '"approved_by": "' + desk.b.client_id + '"' in released.data
    assert '"released_by": "' + desk.a.client_id + '"' in released.data

    path = done["request"]["disclosure"]["downloadPath"]
    r = await desk.world.http.get(path, headers={"Authorization": f"Bearer {desk.agency.token}"})
    assert r.status_code == 200, r.text
    assert len(await events(four_eyes, rid, "disclosure.downloaded")) == 1

    # nothing more to approve: a third person, or B again, finds it released
    assert codes(await desk.approve(desk.c, rid)) == ["INVALID_TRANSITION"]
    assert codes(await desk.approve(desk.b, rid)) == ["INVALID_TRANSITION"]
    assert len(await disclosures_of(four_eyes, rid)) == 1


async def test_with_one_approver_a_release_is_one_persons_as_before(
    container: Container, desk: Desk
) -> None:
    rid = await desk.decided()
    assert (await desk.read(rid))["approvalsNeeded"] == 1
    done = await desk.release(desk.a, rid)
    assert done["approvalNeeded"] is False and done["approvals"] == []
    assert done["request"]["status"] == "DISCLOSED"
    assert await events(container, rid, "release.approval_requested") == []
    [released] = await events(container, rid, "disclosure.released")
    assert "approved_by" not in released.data
    # approveRelease has nothing to approve
    other = await desk.decided()
    assert codes(await desk.approve(desk.b, other)) == ["INVALID_TRANSITION"]


# --- the callers who bend the rule ------------------------------------------------------------


async def test_nobody_approves_twice(four_eyes: Container, desk: Desk) -> None:
    rid = await desk.decided()
    await desk.release(desk.a, rid)
    again = await desk.release(desk.a, rid)
    assert codes(again) == ["RELEASE_REFUSED"] and "already" in again["userErrors"][0]["message"]
    assert codes(await desk.approve(desk.a, rid)) == ["RELEASE_REFUSED"]
    assert await approvals_of(four_eyes, rid) == [(desk.a.client_id, 3)]
    assert (await desk.read(rid))["status"] == "APPROVED"


async def test_the_decider_cannot_approve_their_own_decisions(
    four_eyes: Container, desk: Desk
) -> None:
    rid = await desk.decided(desk.a)
    asked = await desk.release(desk.c, rid)  # C did not decide, and may ask
    assert asked["approvalNeeded"] is True
    refused = await desk.approve(desk.a, rid)
    assert codes(refused) == ["RELEASE_REFUSED"]
    assert "decided" in refused["userErrors"][0]["message"]
    # nor by calling release instead
    assert codes(await desk.release(desk.a, rid)) == ["RELEASE_REFUSED"]
    assert await disclosures_of(four_eyes, rid) == []
    done = await desk.approve(desk.b, rid)
    assert done["request"]["status"] == "DISCLOSED"
    [package] = await disclosures_of(four_eyes, rid)
    assert package.released_by == desk.c.client_id


async def test_a_second_release_call_by_another_person_is_the_second_approval(
    four_eyes: Container, desk: Desk
) -> None:
    rid = await desk.decided()
    await desk.release(desk.a, rid)
    done = await desk.release(desk.b, rid)
    assert done["approvalNeeded"] is False and done["request"]["status"] == "DISCLOSED"
    assert [a["approvedBy"] for a in done["approvals"]] == [desk.a.client_id, desk.b.client_id]


async def test_an_agency_cannot_approve(four_eyes: Container, desk: Desk) -> None:
    rid = await desk.decided()
    await desk.release(desk.a, rid)
    r = await desk.agency.gql(APPROVE, {"i": {"requestId": rid}})
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert body["data"]["approveRelease"] is None
    assert await approvals_of(four_eyes, rid) == [(desk.a.client_id, 3)]
    assert (await desk.read(rid))["status"] == "APPROVED"


async def test_a_change_after_the_ask_voids_the_approval(four_eyes: Container, desk: Desk) -> None:
    """Decisions cannot change once a request is APPROVED; what can change (a reclassification,
    here) bumps the version, and an approval given at the old version no longer counts."""
    rid = await desk.decided()
    asked = await desk.release(desk.a, rid)
    version = asked["request"]["version"]
    current = await desk.a.data("query($id: ID!) { request(id: $id) { category } }", {"id": rid})
    other = "PRODUCT" if current["request"]["category"] != "PRODUCT" else "ACCOUNT"
    moved = await desk.a.data(
        RECLASSIFY,
        {"i": {"requestId": rid, "version": version, "category": other, "reason": "A camera."}},
    )
    assert moved["reclassifyRequest"]["request"]["version"] == version + 1
    assert (await desk.read(rid))["releaseApprovals"] == []  # voided: nothing in force

    refused = await desk.approve(desk.b, rid)
    assert codes(refused) == ["CONFLICT"]
    assert "changed" in refused["userErrors"][0]["message"]
    assert await disclosures_of(four_eyes, rid) == []

    # the version B read is checked too
    assert codes(await desk.approve(desk.b, rid, version=version)) == ["CONFLICT"]

    again = await desk.release(desk.a, rid)
    assert again["approvalNeeded"] is True
    done = await desk.approve(desk.b, rid, version=version + 1)
    assert done["request"]["status"] == "DISCLOSED"
    assert await approvals_of(four_eyes, rid) == [
        (desk.a.client_id, version),
        (desk.a.client_id, version + 1),
        (desk.b.client_id, version + 1),
    ]


async def test_nobody_asked_yet(four_eyes: Container, desk: Desk) -> None:
    rid = await desk.decided()
    refused = await desk.approve(desk.b, rid)
    assert codes(refused) == ["INVALID_TRANSITION"]
    assert "nobody has asked" in refused["userErrors"][0]["message"]
    assert await approvals_of(four_eyes, rid) == []


# --- people, not only clients -----------------------------------------------------------------


def person(name: str, email: str, session: str) -> Principal:
    return Principal.person(uuid.uuid4(), name, email, frozenset({"review"}), session)


async def as_person(container: Container, who: Principal, query: str, **variables: Any) -> Any:
    """The operation run by the product's schema for a signed-in person (the principal the
    console's session gives)."""
    result = await build_schema().execute(
        query,
        variable_values=variables,
        context_value=Context(principal=who, app=container, loaders=Loaders(container, who)),
    )
    assert not result.errors, result.errors
    return result.data


async def test_a_person_is_the_same_person_over_another_session(
    four_eyes: Container, desk: Desk
) -> None:
    ana = person("Ana Reviewer", "ana@company.example", "s-1")
    ana_again = dataclasses.replace(ana, session_id="s-2")
    ben = person("Ben Reviewer", "ben@company.example", "s-3")
    rid = await desk.decided(desk.c)
    asked = await as_person(four_eyes, ana, RELEASE, i={"requestId": rid})
    assert asked["releaseDisclosure"]["approvalNeeded"] is True
    again = await as_person(four_eyes, ana_again, APPROVE, i={"requestId": rid})
    assert [e["code"] for e in again["approveRelease"]["userErrors"]] == ["RELEASE_REFUSED"]
    done = await as_person(four_eyes, ben, APPROVE, i={"requestId": rid})
    payload = done["approveRelease"]
    assert payload["request"]["status"] == "DISCLOSED"
    assert [a["approvedBy"] for a in payload["approvals"]] == ["Ana Reviewer", "Ben Reviewer"]
    assert await approvals_of(four_eyes, rid) == [
        ("person:ana@company.example", 3),
        ("person:ben@company.example", 3),
    ]


async def test_a_person_who_decided_cannot_approve(four_eyes: Container, desk: Desk) -> None:
    dan = person("Dan Decider", "dan@company.example", "s-4")
    rid = (await desk.agency.submit())["id"]
    started = await as_person(
        four_eyes,
        dan,
        """mutation($i: StartReviewInput!) { startReview(input: $i) {
          request { version items { id } } } }""",
        i={"requestId": rid},
    )
    request = started["startReview"]["request"]
    decided = await as_person(
        four_eyes,
        dan,
        "mutation($i: DecideRequestInput!) { decideRequest(input: $i) { request { status } } }",
        i={
            "requestId": rid,
            "version": request["version"],
            "decisions": [{"itemId": i["id"], "outcome": "APPROVE"} for i in request["items"]],
        },
    )
    assert decided["decideRequest"]["request"]["status"] == "APPROVED"
    await desk.release(desk.a, rid)
    refused = await as_person(four_eyes, dan, APPROVE, i={"requestId": rid})
    assert [e["code"] for e in refused["approveRelease"]["userErrors"]] == ["RELEASE_REFUSED"]


# --- a plugin asks for four eyes ----------------------------------------------------------------


class ContentNeedsFourEyes:
    """Two people for any request that asks for content (C); the deployment decides the rest."""

    @hookimpl
    def trustcenter_release_approvers(self, request: RequestView) -> int | None:
        return 2 if any(i.info_type == "C" for i in request.items) else None


class Answers:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    @hookimpl
    def trustcenter_release_approvers(self, request: RequestView) -> object:
        return self.answer


async def test_a_plugin_asks_for_four_eyes_on_the_requests_it_governs(
    container: Container, desk: Desk
) -> None:
    container.plugins = PluginHost(*load("", extra=[("content-rule", ContentNeedsFourEyes())]))
    content = await desk.decided()  # the default submission asks for A, B and C
    plain = await desk.decided(
        targets=[
            {"identifierType": "SERIAL_NUMBER", "identifier": "c6n1234567", "infoTypes": ["B"]}
        ]
    )
    assert (await desk.read(content))["approvalsNeeded"] == 2
    assert (await desk.read(plain))["approvalsNeeded"] == 1
    assert (await desk.release(desk.a, content))["approvalNeeded"] is True
    assert (await desk.release(desk.a, plain))["request"]["status"] == "DISCLOSED"
    assert (await desk.approve(desk.b, content))["request"]["status"] == "DISCLOSED"


async def test_a_plugin_cannot_lower_the_deployments_four_eyes(
    four_eyes: Container, desk: Desk
) -> None:
    four_eyes.plugins = PluginHost(*load("", extra=[("lenient", Answers(1))]))
    rid = await desk.decided()
    assert (await desk.read(rid))["approvalsNeeded"] == 2
    assert (await desk.release(desk.a, rid))["approvalNeeded"] is True


@pytest.mark.parametrize("answer", [3, 0, "yes", True, 2.0])
async def test_a_nonsense_answer_is_the_plugins_failure_and_changes_nothing(
    container: Container, desk: Desk, answer: object
) -> None:
    rid = await desk.decided()
    before = await desk.read(rid)
    container.plugins = PluginHost(*load("", extra=[("confused", Answers(answer))]))
    r = await desk.a.gql(RELEASE, {"i": {"requestId": rid}})
    body = r.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "PLUGIN_FAILED", body
    assert "'confused'" in error["message"] and "trustcenter_release_approvers" in error["message"]
    container.plugins = PluginHost(*load("", extra=[]))
    assert await desk.read(rid) == before
    assert await approvals_of(container, rid) == []
    assert await disclosures_of(container, rid) == []


@pytest.mark.parametrize(
    ("answers", "expected"), [((), None), ((None,), None), ((1,), 1), ((2, 1, None), 2)]
)
async def test_the_host_keeps_the_largest_answer(answers: tuple[Any, ...], expected: Any) -> None:
    host = PluginHost(*load("", extra=[(f"p{n}", Answers(a)) for n, a in enumerate(answers)]))
    assert await host.release_approvers(make_request()) == expected


@pytest.mark.parametrize("answer", [3, "2", True, 2.5])
async def test_the_host_names_the_plugin_answering_nonsense(answer: object) -> None:
    host = PluginHost(*load("", extra=[("fine", Answers(2)), ("odd", Answers(answer))]))
    with pytest.raises(PluginFailure) as failed:
        await host.release_approvers(make_request())
    assert failed.value.plugin == "odd"


async def test_counting_is_one_statement_per_batch(four_eyes: Container, desk: Desk) -> None:
    """approvalsNeeded and releaseApprovals cost the same for 2 requests as for 6."""
    for _ in range(6):
        rid = await desk.decided()
        await desk.release(desk.a, rid)
    query = """query($n: Int!) { requests(first: $n) { edges { node {
      approvalsNeeded releaseApprovals { approvedBy } } } } }"""
    counts = {}
    for n in (2, 6):
        with counting(four_eyes.db.engine) as statements:
            data = await desk.a.data(query, {"n": n})
        nodes = [e["node"] for e in data["requests"]["edges"]]
        assert len(nodes) == n
        assert all(x["approvalsNeeded"] == 2 and len(x["releaseApprovals"]) == 1 for x in nodes)
        counts[n] = len(statements)
    assert counts[2] == counts[6], counts
