"""The console's notices page (scope ``notices``) shows the status webhooks given up on: the
request, the event, the endpoint, the attempts and the last answer; on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid

from strawberry.relay import from_base64

from tests.api.console_admin_support import signed_in, text_of
from tests.api.test_webhook_endpoints import MANAGE, created, endpoint_uuid, failed_delivery
from tests.helpers import World
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock

PAGE = "/console/notices"


async def test_failed_webhooks_are_on_the_notices_page(
    container: Container, world: World, clock: FixedClock
) -> None:
    agency = await world.agency_actor("DE", scopes=MANAGE)
    request = await agency.submit()
    endpoint = (await created(agency))["endpoint"]
    async with signed_in(container, "notices") as b:
        empty = await b.http.get(PAGE)
        assert empty.status_code == 200 and "No status webhook has failed." in text_of(empty)
        row = failed_delivery(endpoint_uuid(endpoint["id"]), agency.agency_id, clock)
        row.request_id = uuid.UUID(from_base64(request["id"])[1])
        row.last_status, row.last_error = 503, "Service Unavailable"
        async with container.db.transaction() as s:
            s.add(row)
        page = await b.http.get(PAGE)
    part = page.text.split('id="webhooks"', 1)[1].split('id="review"', 1)[0]
    assert f'href="/console/requests/{request["id"]}"' in part
    assert "request.decided" in part and "https://hooks.example.org/trustcenter" in part
    assert "HTTP 503: Service Unavailable" in part and "<td>9</td>" in part
