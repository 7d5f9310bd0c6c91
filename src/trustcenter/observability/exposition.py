"""The scrape: every instrument in the Prometheus text format, followed by the work gauges
read from the database at this moment (``services.work_metrics``).

With ``PROMETHEUS_MULTIPROC_DIR`` set (several processes serve), the instruments are summed
over the files of every process (the client library's ``MultiProcessCollector``); the work
gauges come from the database, so whichever process answers gives the same figures.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

from trustcenter.services.work_metrics import WorkSnapshot

CONTENT_TYPE = CONTENT_TYPE_LATEST


class _Work(Collector):
    def __init__(self, work: WorkSnapshot) -> None:
        self._work = work

    def collect(self) -> Iterator[Metric]:
        w = self._work
        open_requests = GaugeMetricFamily(
            "trustcenter_requests_open",
            "Open requests (the company owes an answer) by status and category",
            labels=["status", "category"],
        )
        for status, category, count in w.open_requests:
            open_requests.add_metric([status, category], count)
        yield open_requests
        yield GaugeMetricFamily(
            "trustcenter_requests_overdue", "Open requests past their deadline", value=w.overdue
        )
        yield GaugeMetricFamily(
            "trustcenter_requests_due_soon",
            "Open requests due within TRUSTCENTER_DUE_SOON_HOURS",
            value=w.due_soon,
        )
        yield GaugeMetricFamily(
            "trustcenter_oldest_open_emergency_age_seconds",
            "Seconds since the oldest open emergency request was received (0: none open)",
            value=w.oldest_emergency_age,
        )
        notices = GaugeMetricFamily(
            "trustcenter_notices",
            "User notices: due (waiting for the worker or a retry), held (an exception in "
            "force), failed (given up)",
            labels=["state"],
        )
        notices.add_metric(["due"], w.notices_due)
        notices.add_metric(["held"], w.notices_held)
        notices.add_metric(["failed"], w.notices_failed)
        yield notices
        yield GaugeMetricFamily(
            "trustcenter_notice_worker_lag_seconds",
            "Seconds since the oldest due, undelivered notice fell due (0: none due)",
            value=w.notice_lag,
        )


def multiprocess_dir() -> str | None:
    """The folder the processes write their values to, when several serve."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def process_gone(pid: int, folder: str | None = None) -> None:
    """A worker process ended: its live gauges (the pool's connections) leave the sums; its
    counters and histograms stay counted. The process manager that replaces a worker calls it."""
    folder = folder or multiprocess_dir()
    if folder is not None:
        mark_process_dead(pid, folder)  # type: ignore[no-untyped-call]


def instruments_text(folder: str | None = None) -> bytes:
    """The instruments, summed over the processes when ``folder`` (or the environment) names
    the multi-process folder, else this process's."""
    folder = folder or multiprocess_dir()
    if folder is None:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry(auto_describe=False)
    MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    return generate_latest(registry)


class _WorkRead(Collector):
    def __init__(self, ok: bool) -> None:
        self._ok = ok

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "trustcenter_work_read_ok",
            "1 when this scrape read the work gauges from the database, 0 when it could not",
            value=1 if self._ok else 0,
        )


def scrape(work: WorkSnapshot | None, folder: str | None = None) -> bytes:
    """The whole answer to a scrape (``work`` None: the database could not be read, and the
    work gauges are left out rather than reported as zero)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_WorkRead(work is not None))
    if work is not None:
        registry.register(_Work(work))
    return instruments_text(folder) + generate_latest(registry)
