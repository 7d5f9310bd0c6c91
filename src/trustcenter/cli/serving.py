"""``trustcenter serve``: one process, or several under uvicorn's process manager.

This process checks the settings, migrates the database once (and loads the demo with
``--demo``) and makes the first signing key before any worker starts; then it serves itself
(``--workers 1``) or becomes the manager of N worker processes serving ``trustcenter.web.asgi``,
which replaces a worker that dies and, on SIGTERM, lets each finish the requests it has. What
this process decided reaches the workers through their environment (docs/operations.md,
Processes)."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import socket
import sys
import tempfile
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.engine import make_url

from trustcenter.bootstrap import Container, build
from trustcenter.cli import _operator, _run, main
from trustcenter.config import Settings
from trustcenter.db import migrate
from trustcenter.db.session import normalise_url
from trustcenter.domain.audit import Actor

if TYPE_CHECKING:
    from uvicorn import Config
    from uvicorn.supervisors import Multiprocess

#: what the workers of ``--workers N`` serve
ASGI_APP = "trustcenter.web.asgi:app"
#: the folder prometheus-client's multi-process mode keeps its files in
METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def sqlite_refusal(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes must not serve this database: SQLite is one process's."""
    if workers < 2 or make_url(normalise_url(settings.database_url)).get_backend_name() != "sqlite":
        return None
    return (
        f"--workers {workers} needs PostgreSQL: the SQLite file is for one process. Set "
        "TRUSTCENTER_DATABASE_URL=postgresql+asyncpg://USER@HOST/DATABASE (docs/operations.md, "
        "PostgreSQL) and run 'trustcenter db upgrade', or serve with --workers 1"
    )


def worker_environment(settings: Settings) -> dict[str, str]:
    """What this process decided, for workers that read their settings from the environment;
    they find the database migrated and do not migrate it again."""
    from trustcenter.web.asgi import PARENT  # (not imported by the other commands)

    return {
        "TRUSTCENTER_ISSUER": settings.issuer,
        "TRUSTCENTER_RELEASE_APPROVERS": str(settings.release_approvers),
        "TRUSTCENTER_SEAL_EVERY": repr(settings.seal_every),
        "TRUSTCENTER_MIGRATE_AT_START": "0",
        PARENT: str(os.getpid()),  # a worker whose manager is gone stops (web.asgi)
    }


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings for serving: its own access log off (the service writes one line per
    request itself), its log records through the service's handler (JSON in production: no
    logging configuration of its own), and forwarded headers believed only from the proxy's
    addresses (``TRUSTCENTER_FORWARDED_ALLOW_IPS``)."""
    return {
        "log_level": settings.log_level.lower(),
        "access_log": False,
        "log_config": None,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }


@contextlib.contextmanager
def metrics_dir() -> Iterator[None]:
    """A fresh folder for the workers' metrics unless ``PROMETHEUS_MULTIPROC_DIR`` names one;
    removed at the end."""
    if os.environ.get(METRICS_DIR):
        yield
        return
    folder = tempfile.mkdtemp(prefix="trustcenter-metrics-")
    os.environ[METRICS_DIR] = folder
    try:
        yield
    finally:
        os.environ.pop(METRICS_DIR, None)
        shutil.rmtree(folder, ignore_errors=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    help="Processes serving (one that dies is replaced); more than one needs PostgreSQL.",
)
@click.option("--demo", is_flag=True, help="Load the demo data on first start.")
@click.option(
    "--seal-every",
    type=click.FloatRange(0),
    help="Seconds between rounds of sealing new audit events into the chain (0: none). "
    "[default: TRUSTCENTER_SEAL_EVERY, or 2]",
)
def serve(host: str, port: int, workers: int, demo: bool, seal_every: float | None) -> None:
    """Serve the API (GraphQL, OAuth, the console, health) with uvicorn."""
    overrides: dict[str, object] = {}
    if demo and not os.environ.get("TRUSTCENTER_RELEASE_APPROVERS"):
        overrides["release_approvers"] = 2  # the demo shows four eyes: Rita asks, Sam approves
    if not os.environ.get("TRUSTCENTER_ISSUER"):
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host  # noqa: S104
        overrides["issuer"] = f"http://{shown}:{port}"
    if seal_every is not None:
        overrides["seal_every"] = seal_every
    settings = Settings.from_env(None, **overrides)
    refusal = settings.startup_refusal() or sqlite_refusal(settings, workers)
    if refusal is not None:
        click.echo(f"Error: {refusal}", err=True)
        sys.exit(2)

    async def prepare(container: Container) -> None:
        migrating = settings.migrate_at_start
        if workers > 1:  # the schema and the first signing key, once, before any worker starts
            await container.start(upgrade=migrating, check_revision=not migrating)
        elif migrating:  # one process: it loads the keys itself as it starts
            await migrate.upgrade(container.db.engine, container.db.url, settings.database_schema)
        elif (refusal := await container.revision_refusal()) is not None:
            raise click.ClickException(refusal)
        if demo:
            from trustcenter.demo import load_demo
            from trustcenter.demo_staff import describe_demo_staff, load_demo_staff

            summary = await load_demo(
                container.db,
                container.clock,
                keys=container.disclosure_keys,
                operator=Actor.operator(_operator()),
            )
            click.echo(summary.describe() if summary else "demo data already present")
            await load_demo_staff(container, _operator())
            click.echo(describe_demo_staff(f"{settings.issuer}/console"))

    try:
        _run(prepare, check=False, settings=settings)
    except SystemExit as refused:  # Container.start's refusals: a message, not a traceback
        if isinstance(refused.code, str):
            raise click.ClickException(refused.code) from None
        raise
    many = "" if workers == 1 else f", {workers} processes"
    click.echo(f"trustcenter on http://{host}:{port}/graphql  (issuer {settings.issuer}{many})")
    import uvicorn

    if workers == 1:
        from trustcenter.web.app import create_app

        served = build(dataclasses.replace(settings, migrate_at_start=False))
        app = create_app(served, manage_lifecycle=True, seal_every=settings.seal_every)
        uvicorn.run(app, host=host, port=port, **uvicorn_options(settings))
        return
    os.environ.update(worker_environment(settings))
    with metrics_dir():
        config = uvicorn.Config(
            ASGI_APP, host=host, port=port, workers=workers, **uvicorn_options(settings)
        )
        workers_manager = manager(config, sockets=[config.bind_socket()])
        workers_manager.run()
    if getattr(workers_manager, "failed", False):
        raise click.ClickException("a worker failed to start (its log says why): stopped")


def manager(config: Config, sockets: list[socket.socket]) -> Multiprocess:
    """uvicorn's process manager (what ``uvicorn.run`` runs for several workers), which also
    tells the metrics when a worker is gone — died and replaced, or retired by SIGHUP's restart
    or SIGTTOU — so its live gauges (its pool's connections) leave the sums, and remembers
    (``failed``) that it stopped because a worker failed to start, for the exit code."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    from trustcenter.observability.exposition import process_gone

    class Manager(Multiprocess):
        failed = False

        def _pids(self) -> set[int]:
            return {p.pid for p in self.processes if p.pid is not None}

        def _gone(self, before: set[int]) -> None:
            for pid in before - self._pids():
                process_gone(pid)

        def keep_subprocess_alive(self) -> None:
            before = self._pids()
            super().keep_subprocess_alive()
            self._gone(before)
            if any(p.exitcode == STARTUP_FAILURE for p in self.processes):
                self.failed = True  # uvicorn stops rather than start it again

        def handle_signals(self) -> None:
            before = self._pids()
            super().handle_signals()
            self._gone(before)

    return Manager(config, sockets=sockets)
