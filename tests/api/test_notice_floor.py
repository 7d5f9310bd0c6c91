"""The user-notice delay is never shorter than the guideline's 31 days.

A jurisdiction plugin may lengthen it; a plugin answering less — or answering something that is
not a delay — is a plugin failure named at release: the release is refused and rolled back, the
request stays approved, nothing is disclosed and no notice is scheduled.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import RELEASE, Actor, World, account_and_camera_owner, approve_all
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import AuditEvent, Disclosure, DisclosureChunk, Notice
from trustcenter.plugins import hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

TARGETS = [
    {"identifierType": "EMAIL", "identifier": "owner@example.com", "infoTypes": ["A"]},
    {"identifierType": "SERIAL_NUMBER", "identifier": "CAM0000001", "infoTypes": ["B"]},
]
READ = """query($id: ID!) { request(id: $id) {
  status disclosure { id } notices { status dueAt } } }"""


class GermanDelay:
    """Claims Germany and answers the notice delay with whatever it was given."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["DE"]

    @hookimpl
    def trustcenter_notice_delay(self, request: Any) -> Any:
        return self.answer


@pytest.fixture
async def users(container: Container) -> None:
    await account_and_camera_owner(container)


async def approved(world: World, container: Container, answer: Any) -> tuple[str, Actor]:
    container.plugins = PluginHost(*load("", extra=[("german-delay", GermanDelay(answer))]))
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=TARGETS)
    staff = await world.staff_actor()
    decided = await approve_all(staff, request["id"])
    assert decided["userErrors"] == [] and decided["request"]["status"] == "APPROVED"
    return request["id"], staff


async def counts(container: Container) -> dict[str, int]:
    out = {}
    async with container.db.reader() as s:
        for model in (Disclosure, DisclosureChunk, Notice):
            out[model.__name__] = int(await s.scalar(select(func.count()).select_from(model)) or 0)
        out["released events"] = int(
            await s.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.in_(["disclosure.released", "notices.scheduled"]))
            )
            or 0
        )
    return out


NOTHING = {"Disclosure": 0, "DisclosureChunk": 0, "Notice": 0, "released events": 0}


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (timedelta(days=7), "7 days"),
        (timedelta(days=30, hours=23), "30.9583 days"),
        (timedelta(days=-40), "-40 days"),
        ("45 days", "not a timedelta"),
        (45, "not a timedelta"),
        (timedelta(days=5000), "more than ten years"),
        (timedelta(days=999_999_999), "more than ten years"),  # past any date: never a 500
    ],
)
async def test_a_plugin_answering_less_than_31_days_or_nonsense_fails_the_release(
    users: None, world: World, container: Container, answer: Any, says: str
) -> None:
    request_id, staff = await approved(world, container, answer)

    r = await staff.gql(RELEASE, {"i": {"requestId": request_id}})
    assert r.status_code == 200
    body = r.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "PLUGIN_FAILED", error
    assert error["extensions"]["plugin"] == "german-delay"
    assert "'german-delay'" in error["message"]
    assert "trustcenter_notice_delay" in error["message"]
    assert says in error["message"]
    assert "nothing was changed" in error["message"]
    assert body["data"]["releaseDisclosure"] is None

    # nothing released, no notice scheduled: the request is still waiting for release
    after = (await staff.data(READ, {"id": request_id}))["request"]
    assert after == {"status": "APPROVED", "disclosure": None, "notices": []}
    assert await counts(container) == NOTHING


@pytest.mark.parametrize("days", [31, 45])
async def test_a_plugin_may_lengthen_the_delay(
    users: None, world: World, container: Container, clock: FixedClock, days: int
) -> None:
    request_id, staff = await approved(world, container, timedelta(days=days))
    done = await staff.data(RELEASE, {"i": {"requestId": request_id}})
    assert done["releaseDisclosure"]["userErrors"] == []
    after = (await staff.data(READ, {"id": request_id}))["request"]
    assert after["status"] == "DISCLOSED"
    assert [n["status"] for n in after["notices"]] == ["SCHEDULED", "SCHEDULED"]
    assert {datetime.fromisoformat(n["dueAt"]) for n in after["notices"]} == {
        clock.now() + timedelta(days=days)
    }


async def test_a_plugin_with_no_opinion_leaves_the_guidelines_31_days(
    users: None, world: World, container: Container, clock: FixedClock
) -> None:
    request_id, staff = await approved(world, container, None)
    done = await staff.data(RELEASE, {"i": {"requestId": request_id}})
    assert done["releaseDisclosure"]["userErrors"] == []
    notices = (await staff.data(READ, {"id": request_id}))["request"]["notices"]
    assert {datetime.fromisoformat(n["dueAt"]) for n in notices} == {
        clock.now() + timedelta(days=31)
    }
