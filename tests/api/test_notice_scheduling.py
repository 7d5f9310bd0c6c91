"""Releasing a disclosure schedules one notice per affected user, in the same transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers import RELEASE, VALID_SUBMISSION, account_and_camera_owner, approve_all
from trustcenter.db.models import AuditEvent, Notice
from trustcenter.plugins import hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

NOTICES = """query($id: ID!) { request(id: $id) {
  notices { status releasedAt dueAt deliveredAt deliveries } } }"""
TARGETS = [
    {"identifierType": "EMAIL", "identifier": "owner@example.com", "infoTypes": ["A"]},
    {"identifierType": "SERIAL_NUMBER", "identifier": "CAM0000001", "infoTypes": ["B"]},
    {"identifierType": "EMAIL", "identifier": "nobody@example.com", "infoTypes": ["A"]},
]


@pytest.fixture
async def users(container):
    return await account_and_camera_owner(container)


async def released(world, **changes) -> tuple[str, object]:
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=TARGETS, **changes)
    staff = await world.staff_actor()
    await approve_all(staff, request["id"])
    done = await staff.data(RELEASE, {"i": {"requestId": request["id"]}})
    assert done["releaseDisclosure"]["userErrors"] == []
    return request["id"], staff


async def test_one_notice_per_affected_user_due_after_31_days(users, world, container, clock):
    request_id, staff = await released(world)
    notices = (await staff.data(NOTICES, {"id": request_id}))["request"]["notices"]
    assert len(notices) == 2  # the account's owner and the camera's owner; nobody@ is not held
    for n in notices:
        assert n["status"] == "SCHEDULED" and n["deliveries"] == 0 and n["deliveredAt"] is None
        assert datetime.fromisoformat(n["dueAt"]) == clock.now() + timedelta(days=31)
    async with container.db.reader() as s:
        owners = set((await s.scalars(select(Notice.account_id))).all())
        event = (
            await s.scalars(select(AuditEvent).where(AuditEvent.action == "notices.scheduled"))
        ).one()
    assert owners == {u.id for u in users}
    assert '"notices": 2' in event.data


async def test_a_non_disclosure_order_pushes_the_notice_back(users, world, clock):
    basis = {
        "kind": "COURT_ORDER",
        "reference": "NDO-1",
        "issuedBy": "Court",
        "issuedAt": "2026-11-01",
        "nonDisclosureUntil": "2027-06-30",
        "document": VALID_SUBMISSION["legalBasis"]["document"],  # approving needs the order
    }
    request_id, staff = await released(world, legalBasis=basis)
    notices = (await staff.data(NOTICES, {"id": request_id}))["request"]["notices"]
    assert {n["dueAt"] for n in notices} == {"2027-07-01T00:00:00+00:00"}


class LongerDelay:
    @hookimpl
    def trustcenter_jurisdictions(self):
        return ["DE"]

    @hookimpl
    def trustcenter_notice_delay(self, request):
        return timedelta(days=60)


async def test_a_jurisdiction_plugin_sets_the_delay(users, world, container, clock):
    container.plugins = PluginHost(*load("", extra=[("longer", LongerDelay())]))
    request_id, staff = await released(world)
    notices = (await staff.data(NOTICES, {"id": request_id}))["request"]["notices"]
    assert {datetime.fromisoformat(n["dueAt"]) for n in notices} == {
        clock.now() + timedelta(days=60)
    }


async def test_agencies_do_not_see_notices(users, world, container):
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=TARGETS)
    r = await agency.gql(NOTICES, {"id": request["id"]})
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    async with container.db.reader() as s:
        assert await s.scalar(select(func.count()).select_from(Notice)) == 0
