"""``TRUSTCENTER_METRICS_ADDR``: a separate listener serves ``/metrics`` without a token,
while the main port keeps it closed."""

from __future__ import annotations

import socket

import httpx

from tests.helpers import World
from trustcenter.bootstrap import Container
from trustcenter.web.metrics import metrics_listener, scraper


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_separate_listener_serves_metrics_and_the_main_port_does_not(
    world: World, container: Container
) -> None:
    await world.agency_actor("DE")  # an issued token, counted
    port = _free_port()
    listening = metrics_listener(f"127.0.0.1:{port}", scraper(container))
    async with listening, httpx.AsyncClient() as client:
        r = await client.get(f"http://127.0.0.1:{port}/metrics")
        assert r.status_code == 200
        assert 'trustcenter_oauth_token_requests_total{outcome="issued"}' in r.text
        assert "trustcenter_requests_open" in r.text
        assert (await client.get(f"http://127.0.0.1:{port}/graphql")).status_code == 404
    assert (await world.http.get("/metrics")).status_code == 404


async def test_with_the_database_down_the_instruments_still_answer(container: Container) -> None:
    def down() -> None:
        raise ConnectionError("the database is down")

    container.uow.read = down  # type: ignore[method-assign]  # every read unit fails
    text = (await scraper(container)()).decode()
    assert "trustcenter_work_read_ok 0.0" in text
    assert "trustcenter_http_request_duration_seconds" in text
    assert "trustcenter_requests_open" not in text
