"""OpenTelemetry traces (issue: production operation, section 3), on SQLite and PostgreSQL:
one GraphQL request's span tree — the server span, the operation's span under it, the
database statements and the plugin hook calls under that — with an in-memory exporter; and
traces stay off unless the ``OTEL_*`` variables ask for them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from tests.helpers import SUBMIT, VALID_SUBMISSION, World
from trustcenter.bootstrap import Container, build
from trustcenter.clock import FixedClock
from trustcenter.observability.tracing import Tracing, from_env, wanted
from trustcenter.web.app import create_app


@pytest.fixture
async def traced(
    container: Container, clock: FixedClock
) -> AsyncIterator[tuple[World, InMemorySpanExporter]]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider)
    c = build(container.settings, clock, db=container.db, tracing=tracing)
    await c.start(upgrade=False)
    transport = httpx.ASGITransport(app=create_app(c))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as h:
            yield World(c, h), exporter
    finally:
        tracing.shutdown()  # the shared engine is left as it was: no spans for later tests


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


async def test_one_submit_is_one_trace_server_span_operation_statements_hooks(
    traced: tuple[World, InMemorySpanExporter],
) -> None:
    world, exporter = traced
    agency = await world.agency_actor("DE")
    exporter.clear()
    r = await world.http.post(
        "/graphql?probe=secret-code",
        json={"query": SUBMIT, "variables": {"input": VALID_SUBMISSION}},
        headers={"Authorization": f"Bearer {agency.token}"},
    )
    assert r.status_code == 200 and not r.json()["data"]["submitRequest"]["userErrors"]
    spans = list(exporter.get_finished_spans())
    assert len({s.context.trace_id for s in spans}) == 1  # one trace
    [server] = [s for s in spans if s.parent is None]
    assert server.kind is SpanKind.SERVER and server.name == "POST /graphql"
    assert "secret-code" not in str(dict(server.attributes or {}))  # no query string
    [operation] = [s for s in _children(spans, server) if s.name == "mutation Submit"]
    assert operation.attributes is not None
    assert operation.attributes["graphql.operation.type"] == "mutation"
    assert operation.attributes["graphql.operation.name"] == "Submit"
    under = {s.context.span_id for s in _descendants(spans, operation)}
    statements = [s for s in spans if s.attributes and "db.statement" in s.attributes]
    others = {s.name for s in spans if s not in statements and s not in hooks_of(spans)}
    assert others <= {"POST /graphql", "mutation Submit", "connect"}, others
    text = {s.context.span_id: str((s.attributes or {})["db.statement"]) for s in statements}
    # the token's standing is read before the operation; the request is written inside it,
    # with the submission's other rows, in one statement (``db.write_batch``)
    written = [i for i, t in text.items() if re.search(r"\bINSERT INTO requests\b", t)]
    assert written and all(i in under for i in written), text
    # the values are never on a span: the target's identifier is not in any attribute
    assert not any("example.com" in str(dict(s.attributes or {})).lower() for s in spans)
    hooks = hooks_of(spans)
    assert hooks and all(s.context.span_id in under for s in hooks)
    called = {(s.attributes["trustcenter.hook"], s.attributes["trustcenter.plugin"]) for s in hooks}  # type: ignore[index]
    assert ("trustcenter_response_deadline", "trustcenter.jurisdiction") in called, called


def hooks_of(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [s for s in spans if s.name.startswith("plugin ")]


def _descendants(spans: list[ReadableSpan], root: ReadableSpan) -> list[ReadableSpan]:
    out, frontier = [], [root]
    while frontier:
        parent = frontier.pop()
        for child in _children(spans, parent):
            out.append(child)
            frontier.append(child)
    return out


async def test_probes_are_not_traced(traced: tuple[World, InMemorySpanExporter]) -> None:
    world, exporter = traced
    exporter.clear()
    assert (await world.http.get("/healthz")).status_code == 200
    assert exporter.get_finished_spans() == ()


def test_traces_are_off_unless_the_otel_variables_ask(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not wanted({})
    assert not from_env({}).on
    assert wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert wanted({"OTEL_TRACES_EXPORTER": "console"})
    assert not wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "x"})
    assert not wanted({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "tc-eu")
    console = from_env()
    assert console.on and console.provider is not None
    assert console.provider.resource.attributes["service.name"] == "tc-eu"
    console.shutdown()
    monkeypatch.delenv("OTEL_SERVICE_NAME")
    named = from_env()
    assert named.provider is not None
    assert named.provider.resource.attributes["service.name"] == "trustcenter"
    named.shutdown()
    with pytest.raises(SystemExit, match="OTEL_TRACES_EXPORTER"):
        from_env({"OTEL_TRACES_EXPORTER": "zipkin"})
