"""The ``trustcenter`` command: the group, shared helpers, serving and the database.

The subcommand groups live in ``cli.admin`` (agencies, clients) and ``cli.records`` (vendors,
audit, signing keys); importing them here registers them on ``main``."""

from __future__ import annotations

import asyncio
import getpass
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from trustcenter.auth.principal import Principal
from trustcenter.bootstrap import Container, build
from trustcenter.config import Settings
from trustcenter.db import migrate
from trustcenter.domain.audit import Actor
from trustcenter.domain.errors import DomainError
from trustcenter.services import access

T = TypeVar("T")


def _run(
    work: Callable[[Container], Awaitable[T]],
    *,
    upgrade: bool = False,
    settings: Settings | None = None,
) -> T:
    async def main() -> T:
        container = build(settings)
        try:
            if upgrade:
                await migrate.upgrade(
                    container.db.engine, container.db.url, container.settings.database_schema
                )
            else:
                await _require_current(container)
            return await work(container)
        finally:
            await container.close()

    try:
        return asyncio.run(main())
    except DomainError as error:
        for p in error.problems:
            click.echo(f"error: {p.field}: {p.message}", err=True)
        sys.exit(2)


async def _require_current(container: Container) -> None:
    if container.db.dialect == "sqlite":
        await migrate.upgrade(container.db.engine, container.db.url)
        return
    current = await migrate.current_revision(container.db.engine)
    if current != migrate.head_revision():
        raise click.ClickException(
            f"the database is at revision {current or 'none'}, the code needs "
            f"{migrate.head_revision()}: run 'trustcenter db upgrade' first"
        )


def _emit(data: Any, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else text)


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an id printed by this tool") from None


def _operator() -> str:
    """Who runs this command: the system user (the audit names them "cli:<user>")."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _acting(*scopes: str) -> Principal:
    """The operator at the command line as the services see them, with exactly the scopes
    this command needs (``services.access.operator``)."""
    return access.operator(_operator(), frozenset(scopes))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trustcenter")
def main() -> None:
    """trustcenter: government data requests, reviewed, answered within limits, reported.

    Configuration comes from TRUSTCENTER_* environment variables; the database from
    TRUSTCENTER_DATABASE_URL (default: the SQLite file trustcenter.db in this folder)."""


#: serve's and the notice worker's option: how often their sealer runs
SEAL_EVERY = click.option(
    "--seal-every",
    default=2.0,
    show_default=True,
    type=click.FloatRange(0),
    help="Seconds between rounds of sealing new audit events into the chain (0: none).",
)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="Load the demo data on first start.")
@SEAL_EVERY
def serve(host: str, port: int, demo: bool, seal_every: float) -> None:
    """Serve the API (GraphQL, OAuth, health) with uvicorn."""
    import uvicorn

    from trustcenter.web.app import create_app

    overrides: dict[str, object] = {}
    if demo and not os.environ.get("TRUSTCENTER_RELEASE_APPROVERS"):
        overrides["release_approvers"] = 2  # the demo shows four eyes: Rita asks, Sam approves
    if not os.environ.get("TRUSTCENTER_ISSUER"):
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host  # noqa: S104
        overrides["issuer"] = f"http://{shown}:{port}"
    settings = Settings.from_env(None, **overrides)
    refusal = settings.startup_refusal()
    if refusal is not None:
        raise click.ClickException(refusal)

    async def prepare(container: Container) -> None:
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

    _run(prepare, settings=settings)
    container = build(settings)
    click.echo(f"trustcenter on http://{host}:{port}/graphql  (issuer {settings.issuer})")
    uvicorn.run(
        create_app(container, manage_lifecycle=True, seal_every=seal_every),
        host=host,
        port=port,
        log_level="info",
        access_log=False,
    )


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (needed before 'serve' on PostgreSQL)."""

    async def work(container: Container) -> str | None:
        return await migrate.current_revision(container.db.engine)

    click.echo(f"database at revision {_run(work, upgrade=True)}")


@main.group(invoke_without_command=True)
@click.pass_context
def demo(ctx: click.Context) -> None:
    """Load realistic demo data and the demo's staff (once; a second run changes nothing)."""
    if ctx.invoked_subcommand is not None:
        return
    from trustcenter.demo import load_demo
    from trustcenter.demo_staff import describe_demo_staff, load_demo_staff

    async def work(container: Container) -> str:
        summary = await load_demo(
            container.db,
            container.clock,
            keys=container.disclosure_keys,
            operator=Actor.operator(_operator()),
        )
        await load_demo_staff(container, _operator())
        loaded = summary.describe() if summary else "demo data already present; nothing changed"
        return f"{loaded}\n{describe_demo_staff(f'{container.settings.issuer}/console')}"

    click.echo(_run(work))


@demo.command("codes")
def demo_codes_command() -> None:
    """The demo staff's current one-time codes (for signing in without an authenticator app;
    refused in production)."""
    from trustcenter.clock import SystemClock
    from trustcenter.demo_staff import demo_codes

    if Settings.from_env().production:
        raise click.ClickException("the demo's codes are not shown in production")
    click.echo(demo_codes(SystemClock().now()))


@main.command("export-schema")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of standard output.",
)
def export_schema_cmd(output: Path | None) -> None:
    """Print the GraphQL schema (SDL) generated from the code."""
    from trustcenter.graphql.schema import export_schema

    sdl = export_schema()
    if output:
        output.write_text(sdl)
    else:
        click.echo(sdl, nl=False)


from trustcenter.cli import admin as _admin  # noqa: E402,F401  (registers the groups)
from trustcenter.cli import documents as _documents  # noqa: E402,F401
from trustcenter.cli import history as _history  # noqa: E402,F401
from trustcenter.cli import notices as _notices  # noqa: E402,F401
from trustcenter.cli import records as _records  # noqa: E402,F401
from trustcenter.cli import reports as _reports  # noqa: E402,F401
from trustcenter.cli import staff as _staff  # noqa: E402,F401
from trustcenter.cli import webhooks as _webhooks  # noqa: E402,F401
