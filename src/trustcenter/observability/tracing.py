"""OpenTelemetry traces: off unless the standard ``OTEL_*`` variables ask for them.

On when ``OTEL_TRACES_EXPORTER`` names an exporter (``otlp``, ``console``; ``none`` is off) or
an OTLP endpoint is set (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``);
``OTEL_SDK_DISABLED=true`` wins over both. The SDK reads the rest itself: the endpoint, headers
and protocol of the OTLP exporter, ``OTEL_SERVICE_NAME`` and ``OTEL_RESOURCE_ATTRIBUTES``
(the service is ``trustcenter`` unless they say otherwise), ``OTEL_TRACES_SAMPLER``.

What is traced (``docs/operations.md``, *Traces*): each HTTP request (the server span, without
its query string), each statement sent to the database, each GraphQL operation and each
plugin hook call. Off, nothing of OpenTelemetry is even imported, and a span is a null context.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from sqlalchemy.ext.asyncio import AsyncEngine
    from starlette.types import ASGIApp, Receive, Scope, Send

EXPORTERS = ("otlp", "console", "none")
#: probes and scrapes: frequent, and nothing to learn from their traces
UNTRACED = "/healthz,/readyz,/metrics"
#: where the query string waits while the OpenTelemetry middleware looks at the request
_QUERY = "trustcenter.query_string"

AttributeValue = str | bool | int | float


def wanted(env: Mapping[str, str]) -> bool:
    """Whether the ``OTEL_*`` variables ask for traces."""
    if (env.get("OTEL_SDK_DISABLED") or "").strip().lower() == "true":
        return False
    exporters = (env.get("OTEL_TRACES_EXPORTER") or "").strip().lower()
    if exporters:
        return exporters != "none"
    return bool(
        env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


class Tracing:
    """The process's tracer, or none. Built by the composition root (``bootstrap.build``);
    a test hands one its own provider (an in-memory exporter)."""

    def __init__(self, provider: TracerProvider | None = None) -> None:
        self.provider = provider
        self._tracer = provider.get_tracer("trustcenter") if provider is not None else None
        self._instrumented = False

    @property
    def on(self) -> bool:
        return self._tracer is not None

    def span(
        self, name: str, attributes: Mapping[str, AttributeValue] | None = None
    ) -> AbstractContextManager[Any]:
        """A span around a block, the current one's child; a null context when off."""
        if self._tracer is None:
            return nullcontext()
        return self._tracer.start_as_current_span(name, attributes=attributes)

    def hook_span(self, hook: str, plugin: str) -> AbstractContextManager[Any]:
        """The span of one plugin's answer to one hook (the plugin host runs each call in it)."""
        return self.span(f"plugin {hook}", {"trustcenter.plugin": plugin, "trustcenter.hook": hook})

    def asgi(self, app: ASGIApp) -> ASGIApp:
        """``app`` with a server span per HTTP request (none for the probes and ``/metrics``).
        The span never records the query string: it may carry an authorization code."""
        if self.provider is None:
            return app
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        traced = OpenTelemetryMiddleware(
            _QueryBack(app),
            excluded_urls=UNTRACED,
            tracer_provider=self.provider,
            exclude_spans=["receive", "send"],
        )
        return _QueryHidden(traced)

    def instrument(self, engine: AsyncEngine) -> None:
        """A span per statement the engine runs (its SQL with placeholders, never values)."""
        if self.provider is None or self._instrumented:
            return
        from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

        # Its declared range ends before SQLAlchemy 2.1, whose engine events it uses unchanged:
        # tests/api/test_tracing.py checks the statements' spans on every run.
        SQLAlchemyInstrumentor().instrument(
            engine=engine.sync_engine, tracer_provider=self.provider, skip_dep_check=True
        )
        self._instrumented = True

    def shutdown(self) -> None:
        """Send what is buffered, stop the engine's instrumentation (at the process's end)."""
        if self._instrumented:
            from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor

            SQLAlchemyInstrumentor().uninstrument()
            self._instrumented = False
        if self.provider is not None:
            self.provider.shutdown()


def from_env(env: Mapping[str, str] | None = None) -> Tracing:
    """The tracing the ``OTEL_*`` variables ask for; an unknown exporter stops start-up."""
    e = os.environ if env is None else env
    if not wanted(e):
        return Tracing()
    names = [n.strip() for n in (e.get("OTEL_TRACES_EXPORTER") or "otlp").lower().split(",")]
    unknown = [n for n in names if n not in EXPORTERS]
    if unknown:
        raise SystemExit(
            f"OTEL_TRACES_EXPORTER: {unknown[0][:40]!r} is not one of {', '.join(EXPORTERS)}"
        )
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    named = e.get("OTEL_SERVICE_NAME") or "service.name=" in (
        e.get("OTEL_RESOURCE_ATTRIBUTES") or ""
    )
    provider = TracerProvider(
        resource=Resource.create({} if named else {"service.name": "trustcenter"})
    )
    for name in names:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    return Tracing(provider)


class _QueryHidden:
    """Outside the OpenTelemetry middleware: puts the query string aside."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            scope = {**scope, "query_string": b"", _QUERY: scope["query_string"]}
        await self.app(scope, receive, send)


class _QueryBack:
    """Inside it: gives the application its query string back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if _QUERY in scope:
            scope = {**scope, "query_string": scope[_QUERY]}
            del scope[_QUERY]
        await self.app(scope, receive, send)
