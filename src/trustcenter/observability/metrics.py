"""The Prometheus instruments and the recorder that feeds them (``instruments.install``).

One process: the client library's default registry. Several (``serve --workers N``): every
process writes its values to files in ``PROMETHEUS_MULTIPROC_DIR`` (set before the workers
start) and a scrape sums them (``exposition``). Label values are bounded: routes are templates,
GraphQL operation names are kept for the first :data:`MAX_OPERATION_NAMES` well-formed names a
process sees (the rest count as ``other``), error codes and token outcomes come from fixed sets.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from trustcenter.observability import instruments

#: distinct GraphQL operation names one process labels; later names count as "other"
MAX_OPERATION_NAMES = 100
#: distinct error codes one process labels; later codes count as "OTHER"
MAX_ERROR_CODES = 64
#: a GraphQL operation name as a label may hold it
OPERATION_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,63}")
_CODE = re.compile(r"[A-Z][A-Z0-9_]{0,47}")
TOKEN_OUTCOMES = frozenset(
    {
        "issued",
        "invalid_client",
        "invalid_request",
        "invalid_grant",
        "invalid_scope",
        "unauthorized_client",
        "unsupported_grant_type",
        "throttled",
    }
)
OPERATION_TYPES = frozenset({"query", "mutation", "subscription"})
_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_HOOK_SECONDS = (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0)

HTTP_DURATION = Histogram(
    "trustcenter_http_request_duration_seconds",
    "HTTP requests by route template, method and status class (2xx, 4xx, ...)",
    ["route", "method", "status"],
    buckets=_SECONDS,
)
GRAPHQL_DURATION = Histogram(
    "trustcenter_graphql_operation_duration_seconds",
    "GraphQL operations by operation name and type",
    ["operation", "type"],
    buckets=_SECONDS,
)
GRAPHQL_ERRORS = Counter(
    "trustcenter_graphql_errors_total",
    "Errors in GraphQL responses by extensions.code",
    ["code"],
)
TOKEN_REQUESTS = Counter(
    "trustcenter_oauth_token_requests_total",
    "Requests to the token endpoint by outcome (issued, an OAuth error code, throttled)",
    ["outcome"],
)
DISCLOSED_BYTES = Counter(
    "trustcenter_disclosure_released_bytes_total",
    "Bytes of the disclosure packages released",
)
DISCLOSURES = Counter(
    "trustcenter_disclosures_released_total",
    "Disclosure packages released",
)
HOOK_DURATION = Histogram(
    "trustcenter_plugin_hook_duration_seconds",
    "Plugin hook calls by plugin and hook (awaiting included)",
    ["plugin", "hook"],
    buckets=_HOOK_SECONDS,
)
POOL_IN_USE = Gauge(
    "trustcenter_db_pool_connections_in_use",
    "Database connections checked out of the pool (summed over the live processes)",
    multiprocess_mode="livesum",
)


class Children:
    """A labelled instrument's children by label values, found once each (the client
    library's ``labels`` checks and converts its arguments on every call). The keys are
    bounded label values only."""

    __slots__ = ("_known", "_metric")

    def __init__(self, metric: Any) -> None:
        self._metric = metric
        self._known: dict[tuple[str, ...], Any] = {}

    def __call__(self, *values: str) -> Any:
        child = self._known.get(values)
        if child is None:
            child = self._known[values] = self._metric.labels(*values)
        return child


HTTP_CHILDREN = Children(HTTP_DURATION)


class BoundedLabels:
    """The label values a process has given out, at most ``cap`` of them."""

    def __init__(self, cap: int, pattern: re.Pattern[str], other: str) -> None:
        self._cap, self._pattern, self._other = cap, pattern, other
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, value: str) -> str:
        if value in self._seen:
            return value
        if not self._pattern.fullmatch(value):
            return self._other
        with self._lock:
            if len(self._seen) >= self._cap:
                return self._other
            self._seen.add(value)
        return value


class PrometheusRecorder:
    """Records the core's measurements on the instruments above."""

    def __init__(self) -> None:
        self.operation_label = BoundedLabels(MAX_OPERATION_NAMES, OPERATION_NAME, "other")
        self.code_label = BoundedLabels(MAX_ERROR_CODES, _CODE, "OTHER")
        self._operations = Children(GRAPHQL_DURATION)

    def hook_called(self, plugin: str, hook: str, seconds: float) -> None:
        HOOK_DURATION.labels(plugin, hook).observe(seconds)

    def disclosure_released(self, size: int) -> None:
        DISCLOSURES.inc()
        DISCLOSED_BYTES.inc(size)

    def token_outcome(self, outcome: str) -> None:
        TOKEN_REQUESTS.labels(outcome if outcome in TOKEN_OUTCOMES else "other").inc()

    def graphql_operation(
        self, name: str | None, kind: str, seconds: float, codes: list[str]
    ) -> None:
        if kind not in OPERATION_TYPES:
            label, kind = "invalid", "unknown"  # never parsed: the name means nothing yet
        else:
            label = "anonymous" if not name else self.operation_label(name)
        self._operations(label, kind).observe(seconds)
        for code in codes:
            GRAPHQL_ERRORS.labels(self.code_label(code)).inc()


RECORDER = PrometheusRecorder()


def install() -> PrometheusRecorder:
    """Record the core's measurements on the Prometheus instruments from now on."""
    instruments.install(RECORDER)
    return RECORDER


def _checked_out(*_: Any) -> None:
    POOL_IN_USE.inc()


def _checked_in(*_: Any) -> None:
    POOL_IN_USE.dec()


def observe_pool(engine: Any) -> None:
    """Count the connections ``engine``'s pool hands out and takes back (once per engine,
    however many applications are made on it)."""
    from sqlalchemy import event

    target = getattr(engine, "sync_engine", engine)
    if not event.contains(target, "checkout", _checked_out):
        event.listen(target, "checkout", _checked_out)
        event.listen(target, "checkin", _checked_in)
