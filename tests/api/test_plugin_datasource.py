"""A plugin's data source feeds the package, and minimisation still holds for what it yields."""

from __future__ import annotations

import json

from tests.helpers import RELEASE, approve_all
from trustcenter.plugins import hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load


class Warehouse:
    """Yields more than was asked: an extra field and a record outside the range."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    async def records(self, target, scope):
        self.calls.append((target.identifier, scope.info_type.value))
        if scope.info_type.value == "C":
            yield {
                "occurred_at": "2026-03-05T10:00:00+00:00",
                "kind": "login",
                "ip_address": "203.0.113.7",
                "password_hash": "never",
            }
            yield {
                "occurred_at": "2025-01-01T10:00:00+00:00",
                "kind": "login",
                "ip_address": "203.0.113.8",
            }


class WarehousePlugin:
    def __init__(self, source: Warehouse) -> None:
        self.source = source

    @hookimpl
    def trustcenter_data_source(self, db):
        return self.source


def test_the_built_in_source_is_the_default(container):
    assert type(container.data_source).__name__ == "SqlDataSource"


async def test_a_plugin_source_is_used_and_still_minimised(container, world):
    source = Warehouse()
    host = PluginHost(*load("", extra=[("warehouse", WarehousePlugin(source))]))
    container.plugins = host
    container.data_source = host.data_source(container.db)
    assert container.data_source is source
    agency = await world.agency_actor("DE")
    request = await agency.submit(
        targets=[
            {
                "identifierType": "EMAIL",
                "identifier": "a@example.com",
                "infoTypes": ["C"],
                "from": "2026-01-01",
                "to": "2026-06-30",
            }
        ]
    )
    staff = await world.staff_actor()
    await approve_all(staff, request["id"])
    path = (await staff.data(RELEASE, {"i": {"requestId": request["id"]}}))["releaseDisclosure"][
        "request"
    ]["disclosure"]["downloadPath"]
    body = await agency.http.get(path, headers={"Authorization": f"Bearer {agency.token}"})
    records = json.loads(body.content)["targets"][0]["items"][0]["records"]
    assert records == [
        {"occurred_at": "2026-03-05T10:00:00+00:00", "kind": "login", "ip_address": "203.0.113.7"}
    ]
    assert source.calls == [("a@example.com", "C")]
