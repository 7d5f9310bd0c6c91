"""trustcenter-vendor-attestation at release: refuses lapsing attestations, tells vendors."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import trustcenter_vendor_attestation.plugin as vendor_plugin
from sqlalchemy import func, select

from tests.helpers import OPERATOR, RELEASE, approve_all
from trustcenter.db.models import Disclosure
from trustcenter.domain.enums import InfoType
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load
from trustcenter.services.vendors import create_vendor, record_attestation


@pytest.fixture
def notices(container, tmp_path, monkeypatch):
    path = tmp_path / "vendor-notices.jsonl"
    monkeypatch.setenv("TRUSTCENTER_VENDOR_NOTICE_FILE", str(path))
    container.plugins = PluginHost(*load("", extra=[("vendor-attestation", vendor_plugin)]))
    return path


async def approved_request(world) -> str:
    agency = await world.agency_actor("DE")
    request = await agency.submit()
    await approve_all(await world.staff_actor(), request["id"])
    return request["id"]


async def test_a_lapsing_attestation_refuses_release_and_a_lasting_one_notifies(
    notices, world, container, clock
):
    vendor = await create_vendor(
        container, OPERATOR, name="Log archive", same_standards_clause=True, info_types=[InfoType.C]
    )
    await record_attestation(
        container,
        OPERATOR,
        vendor.id,
        reference="ATT-1",
        expires_at=clock.now() + timedelta(days=10),
    )
    request_id = await approved_request(world)
    staff = await world.staff_actor()
    refused = (await staff.data(RELEASE, {"i": {"requestId": request_id}}))["releaseDisclosure"]
    assert [e["code"] for e in refused["userErrors"]] == ["VENDOR_NOT_ATTESTED"]
    assert "vendor-attestation" in refused["userErrors"][0]["message"]
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(Disclosure)) == 0
    assert not notices.exists()

    await record_attestation(
        container,
        OPERATOR,
        vendor.id,
        reference="ATT-2",
        expires_at=clock.now() + timedelta(days=365),
    )
    released = (await staff.data(RELEASE, {"i": {"requestId": request_id}}))["releaseDisclosure"]
    assert released["userErrors"] == [] and released["request"]["status"] == "DISCLOSED"
    [line] = notices.read_text().splitlines()
    notice = json.loads(line)
    assert notice["vendor"] == "Log archive" and notice["info_types"] == ["C"]
    assert "suspect@example.com" not in line
