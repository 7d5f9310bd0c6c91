"""Deadlines and the reviewers' queue (SPEC section 3), on SQLite and PostgreSQL.

Every request carries a deadline (30 days; 8 hours in an emergency); the queue puts emergencies
first, then the nearest deadline; the list can be filtered to overdue and due-soon requests.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from strawberry.relay import from_base64

from tests.conftest import START
from tests.helpers import Actor, World, mutation
from trustcenter.clock import FixedClock

PAGE = """query($first: Int, $after: String, $f: RequestFilterInput, $order: RequestOrder!) {
  requests(first: $first, after: $after, filter: $f, orderBy: $order) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id status emergency receivedAt deadline } }
  }
}"""

#: what the queue tests read of the request a mutation returns
FIELDS = "id status version items { id }"


EMERGENCY = {
    "emergency": True,
    "emergencyDescription": "A child is missing; the camera may show where she went.",
}


class Queue:
    def __init__(self, world: World, clock: FixedClock, agency: Actor, staff: Actor) -> None:
        self.world = world
        self.clock = clock
        self.agency = agency
        self.staff = staff

    async def submit(self, emergency: bool = False, at: timedelta | None = None) -> str:
        if at is not None:
            self.clock.set(START + at)
            await self.agency.fetch_token()
        changes = EMERGENCY if emergency else {}
        req = await self.agency.submit(**changes)
        return req["id"]  # type: ignore[no-any-return]

    async def ok(self, actor: Actor, name: str, **input: Any) -> dict[str, Any]:
        payload = (await actor.data(mutation(name, FIELDS), {"input": input}))[name]
        assert payload["userErrors"] == [], payload
        return payload["request"]  # type: ignore[no-any-return]

    async def reject(self, rid: str) -> None:
        started = await self.ok(self.staff, "startReview", requestId=rid)
        await self.ok(
            self.staff,
            "decideRequest",
            requestId=rid,
            version=started["version"],
            decisions=[
                {
                    "itemId": i["id"],
                    "outcome": "REJECT",
                    "reasonCode": "NO_LEGAL_BASIS",
                    "explanation": "The warrant does not cover this.",
                }
                for i in started["items"]
            ],
        )

    async def page(
        self,
        order: str = "QUEUE",
        f: dict[str, Any] | None = None,
        first: int = 100,
        after: str | None = None,
        actor: Actor | None = None,
    ) -> dict[str, Any]:
        variables = {"first": first, "after": after, "f": f, "order": order}
        return (await (actor or self.staff).data(PAGE, variables))["requests"]  # type: ignore[no-any-return]

    async def ids(self, f: dict[str, Any] | None = None, order: str = "QUEUE") -> list[str]:
        page = await self.page(order, f)
        assert page["totalCount"] == len(page["edges"])
        assert not page["pageInfo"]["hasNextPage"]
        return [e["node"]["id"] for e in page["edges"]]

    async def walk(self, first: int, f: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        after = None
        while True:
            page = await self.page("QUEUE", f, first, after)
            assert len(page["edges"]) <= first
            seen += [e["node"] for e in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return seen
            after = page["pageInfo"]["endCursor"]

    async def move(self, delta: timedelta) -> None:
        """Set the clock to START + delta; fresh tokens, as clients would fetch them."""
        self.clock.set(START + delta)
        await self.agency.fetch_token()
        await self.staff.fetch_token()


@pytest.fixture
async def queue(world: World, clock: FixedClock) -> Queue:
    agency = await world.agency_actor("DE")
    staff = await world.staff_actor(["review"])
    return Queue(world, clock, agency, staff)


def node_uuid(gid: str) -> uuid.UUID:
    return uuid.UUID(from_base64(gid)[1])


def at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- deadlines --------------------------------------------------------------------------------


async def test_deadlines_are_thirty_days_or_eight_hours_in_an_emergency(queue: Queue) -> None:
    normal = await queue.submit(at=timedelta(minutes=5))
    urgent = await queue.submit(emergency=True, at=timedelta(minutes=6))
    nodes = {e["node"]["id"]: e["node"] for e in (await queue.page())["edges"]}
    n, u = nodes[normal], nodes[urgent]
    assert at(n["deadline"]) == at(n["receivedAt"]) + timedelta(days=30)
    assert at(n["receivedAt"]) == START + timedelta(minutes=5)
    assert at(u["deadline"]) == at(u["receivedAt"]) + timedelta(hours=8)
    assert u["emergency"] is True


# --- the queue ----------------------------------------------------------------------------------


async def fill(queue: Queue) -> list[str]:
    """Normal and emergency requests, received out of deadline order, some at the same moment."""
    n_old = await queue.submit(at=timedelta(hours=0))
    n_tie_a = await queue.submit(at=timedelta(hours=1))
    n_tie_b = await queue.submit(at=timedelta(hours=1))  # the same deadline as n_tie_a
    e_late = await queue.submit(emergency=True, at=timedelta(hours=5))
    n_new = await queue.submit(at=timedelta(hours=6))
    e_early = await queue.submit(emergency=True, at=timedelta(hours=2))
    e_tie_a = await queue.submit(emergency=True, at=timedelta(hours=3))
    e_tie_b = await queue.submit(emergency=True, at=timedelta(hours=3))
    n_mid = await queue.submit(at=timedelta(hours=4))
    await queue.move(timedelta(hours=7))
    by_id = sorted([n_tie_a, n_tie_b], key=node_uuid)
    e_by_id = sorted([e_tie_a, e_tie_b], key=node_uuid)
    return [e_early, *e_by_id, e_late, n_old, *by_id, n_mid, n_new]


async def test_the_queue_puts_emergencies_first_then_the_nearest_deadline(queue: Queue) -> None:
    expected = await fill(queue)
    page = await queue.page()
    nodes = [e["node"] for e in page["edges"]]
    assert [n["id"] for n in nodes] == expected
    # the same order, stated on what the API shows
    keys = [(not n["emergency"], at(n["deadline"]), node_uuid(n["id"])) for n in nodes]
    assert keys == sorted(keys)
    # the default order is still newest first
    newest = await queue.ids(order="NEWEST")
    assert set(newest) == set(expected) and newest != expected


@pytest.mark.parametrize("first", [1, 2, 3, 4])
async def test_paging_through_the_queue_returns_each_request_once_in_order(
    queue: Queue, first: int
) -> None:
    expected = await fill(queue)
    walked = [n["id"] for n in await queue.walk(first)]
    assert walked == expected
    assert len(set(walked)) == len(walked)


async def test_paging_the_queue_with_a_filter(queue: Queue) -> None:
    expected = await fill(queue)
    emergencies = [n["id"] for n in await queue.walk(2, {"emergency": True})]
    assert emergencies == expected[:4]
    normal = [n["id"] for n in await queue.walk(2, {"emergency": False})]
    assert normal == expected[4:]


async def test_an_agency_sees_only_its_own_requests_in_the_queue(
    queue: Queue, world: World
) -> None:
    own = await fill(queue)
    other = await world.agency_actor("FR")
    # received last: due after own emergencies (a French agency submits for France)
    theirs = (await other.submit(jurisdiction="FR", **EMERGENCY))["id"]
    assert await queue.ids() == [*own[:4], theirs, *own[4:]]
    page = await queue.page(actor=queue.agency)
    assert [e["node"]["id"] for e in page["edges"]] == own
    page = await queue.page(actor=other)
    assert [e["node"]["id"] for e in page["edges"]] == [theirs]


async def test_a_cursor_of_another_ordering_is_refused(queue: Queue) -> None:
    await fill(queue)
    newest = await queue.page("NEWEST", first=2)
    r = await queue.staff.gql(
        PAGE, {"first": 2, "after": newest["pageInfo"]["endCursor"], "f": None, "order": "QUEUE"}
    )
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    assert not (body.get("data") or {}).get("requests")

    queued = await queue.page("QUEUE", first=2)
    r = await queue.staff.gql(
        PAGE, {"first": 2, "after": queued["pageInfo"]["endCursor"], "f": None, "order": "NEWEST"}
    )
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

    r = await queue.staff.gql(PAGE, {"first": 2, "after": "bm9wZQ", "f": None, "order": "QUEUE"})
    assert r.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


# --- overdue ------------------------------------------------------------------------------------


async def lifecycle_mix(queue: Queue) -> dict[str, str]:
    """One request in each kind of state, all received at START."""
    queue.clock.set(START)
    ids = {
        "received": await queue.submit(),
        "in_review": await queue.submit(),
        "withdrawn": await queue.submit(),
        "rejected": await queue.submit(),
        "closed": await queue.submit(),
        "emergency": await queue.submit(emergency=True),
    }
    await queue.ok(queue.staff, "startReview", requestId=ids["in_review"])
    await queue.ok(queue.agency, "withdrawRequest", requestId=ids["withdrawn"])
    await queue.reject(ids["rejected"])
    await queue.reject(ids["closed"])
    await queue.ok(queue.staff, "closeRequest", requestId=ids["closed"])
    return ids


async def test_overdue_lists_open_requests_past_their_deadline(queue: Queue) -> None:
    ids = await lifecycle_mix(queue)
    everything = set(ids.values())
    assert await queue.ids({"overdue": True}) == []
    assert set(await queue.ids({"overdue": False})) == everything

    await queue.move(timedelta(hours=8, seconds=1))
    assert await queue.ids({"overdue": True}) == [ids["emergency"]]
    assert set(await queue.ids({"overdue": False})) == everything - {ids["emergency"]}

    await queue.move(timedelta(days=30, seconds=1))
    late = await queue.ids({"overdue": True})
    assert late == [ids["emergency"], *sorted([ids["received"], ids["in_review"]], key=node_uuid)]
    rest = await queue.ids({"overdue": False})
    assert set(rest) == {ids["withdrawn"], ids["rejected"], ids["closed"]}
    assert set(late) | set(rest) == everything and not set(late) & set(rest)

    # one received now is not overdue
    fresh = await queue.submit()
    assert fresh not in await queue.ids({"overdue": True})
    assert fresh in await queue.ids({"overdue": False})


async def test_a_request_is_overdue_only_once_its_deadline_has_passed(queue: Queue) -> None:
    rid = await queue.submit(emergency=True, at=timedelta(0))
    await queue.move(timedelta(hours=8) - timedelta(seconds=1))
    assert await queue.ids({"overdue": True}) == []
    await queue.move(timedelta(hours=8, seconds=1))
    assert await queue.ids({"overdue": True}) == [rid]


async def test_overdue_combines_with_other_filters(queue: Queue) -> None:
    ids = await lifecycle_mix(queue)
    await queue.move(timedelta(days=31))
    assert await queue.ids({"overdue": True, "emergency": False}) == sorted(
        [ids["received"], ids["in_review"]], key=node_uuid
    )
    assert await queue.ids({"overdue": True, "status": ["IN_REVIEW"]}) == [ids["in_review"]]


# --- due soon -----------------------------------------------------------------------------------


async def test_due_soon_lists_open_requests_due_within_48_hours_and_not_yet_overdue(
    queue: Queue,
) -> None:
    normal = await queue.submit(at=timedelta(0))
    urgent = await queue.submit(emergency=True)
    withdrawn_urgent = await queue.submit(emergency=True)
    await queue.ok(queue.agency, "withdrawRequest", requestId=withdrawn_urgent)
    assert await queue.ids({"dueSoon": True}) == [urgent]

    # past the emergency's deadline it is overdue, no longer due soon
    await queue.move(timedelta(hours=9))
    assert await queue.ids({"dueSoon": True}) == []
    assert await queue.ids({"overdue": True}) == [urgent]

    await queue.move(timedelta(days=27))  # the normal one is due in three days
    assert await queue.ids({"dueSoon": True}) == []
    await queue.move(timedelta(days=28))  # exactly 48 hours before its deadline
    assert await queue.ids({"dueSoon": True}) == []
    await queue.move(timedelta(days=28, seconds=1))
    assert await queue.ids({"dueSoon": True}) == [normal]
    await queue.move(timedelta(days=29))
    assert await queue.ids({"dueSoon": True}) == [normal]
    assert await queue.ids({"dueSoon": True, "emergency": True}) == []
    await queue.move(timedelta(days=30, seconds=1))
    assert await queue.ids({"dueSoon": True}) == []
    assert await queue.ids({"overdue": True}) == [urgent, normal]


async def test_due_soon_false_leaves_out_the_requests_due_soon(queue: Queue) -> None:
    """ "Every condition given must hold": dueSoon: false means not due soon."""
    normal = await queue.submit(at=timedelta(0))
    urgent = await queue.submit(emergency=True)
    assert await queue.ids({"dueSoon": True}) == [urgent]
    assert await queue.ids({"dueSoon": False}) == [normal]
