"""The ``trustcenter`` command."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from trustcenter.auth.scopes import parse_scopes
from trustcenter.bootstrap import Container, build
from trustcenter.config import Settings
from trustcenter.db import migrate
from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.domain.errors import DomainError

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


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trustcenter")
def main() -> None:
    """trustcenter: government data requests, reviewed, answered within limits, reported.

    Configuration comes from TRUSTCENTER_* environment variables; the database from
    TRUSTCENTER_DATABASE_URL (default: the SQLite file trustcenter.db in this folder)."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--demo", is_flag=True, help="Load the demo data on first start.")
def serve(host: str, port: int, demo: bool) -> None:
    """Serve the API (GraphQL, OAuth, health) with uvicorn."""
    import uvicorn

    from trustcenter.web.app import create_app

    overrides: dict[str, object] = {}
    if not os.environ.get("TRUSTCENTER_ISSUER"):
        shown = "localhost" if host in ("127.0.0.1", "0.0.0.0", "::") else host  # noqa: S104
        overrides["issuer"] = f"http://{shown}:{port}"
    settings = Settings.from_env(None, **overrides)

    async def prepare(container: Container) -> None:
        if demo:
            from trustcenter.demo import load_demo

            summary = await load_demo(container.db, container.clock)
            click.echo(summary.describe() if summary else "demo data already present")

    _run(prepare, settings=settings)
    container = build(settings)
    click.echo(f"trustcenter on http://{host}:{port}/graphql  (issuer {settings.issuer})")
    uvicorn.run(
        create_app(container, manage_lifecycle=True),
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


@main.command()
def demo() -> None:
    """Load realistic demo data (once; a second run changes nothing)."""
    from trustcenter.demo import load_demo

    async def work(container: Container) -> str:
        summary = await load_demo(container.db, container.clock)
        return summary.describe() if summary else "demo data already present; nothing changed"

    click.echo(_run(work))


@main.group()
def agency() -> None:
    """Agencies that may send requests."""


@agency.command("create")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice([k.value for k in AgencyKind]))
@click.option("--country", required=True, help="ISO 3166-1 alpha-2, such as DE.")
@click.option("--region", help="ISO 3166-2 subdivision, such as US-CA.")
@click.option("--contact-email")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def agency_create(
    name: str, kind: str, country: str, region: str | None, contact_email: str | None, as_json: bool
) -> None:
    """Create an agency (pending until verified)."""
    from trustcenter.services.agencies import create_agency

    async def work(c: Container) -> Any:
        return await create_agency(
            c.db,
            c.clock,
            name=name,
            kind=AgencyKind(kind),
            country=country,
            region=region,
            contact_email=contact_email,
        )

    row = _run(work)
    _emit({"id": str(row.id)}, as_json, f"agency {row.id} created (pending verification)")


def _set_state(agency_id: str, state: VerificationState, as_json: bool) -> None:
    from trustcenter.services.agencies import set_verification

    async def work(c: Container) -> Any:
        return await set_verification(c.db, c.clock, _uuid(agency_id), state)

    row = _run(work)
    _emit(
        {"id": str(row.id), "verification": row.verification},
        as_json,
        f"agency {row.id} is now {row.verification}",
    )


@agency.command("verify")
@click.argument("agency_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def agency_verify(agency_id: str, as_json: bool) -> None:
    """Mark an agency verified: its clients may submit requests."""
    _set_state(agency_id, VerificationState.VERIFIED, as_json)


@agency.command("suspend")
@click.argument("agency_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def agency_suspend(agency_id: str, as_json: bool) -> None:
    """Suspend an agency: its clients get no tokens and their tokens stop working."""
    _set_state(agency_id, VerificationState.SUSPENDED, as_json)


@agency.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def agency_list(as_json: bool) -> None:
    """List agencies."""
    from trustcenter.services.agencies import list_agencies

    async def work(c: Container) -> Any:
        return await list_agencies(c.db)

    rows = _run(work)
    data = [
        {
            "id": str(a.id),
            "name": a.name,
            "kind": a.kind,
            "country": a.country,
            "region": a.region,
            "verification": a.verification,
        }
        for a in rows
    ]
    text = (
        "\n".join(
            f"{a['id']}  {a['country']:<2}  {a['verification']:<9}  {a['kind']:<15}  {a['name']}"
            for a in data
        )
        or "no agencies"
    )
    _emit(data, as_json, text)


@main.group()
def client() -> None:
    """OAuth clients."""


@client.command("create")
@click.option("--agency", "agency_id", help="The agency the client acts for.")
@click.option("--staff", is_flag=True, help="A staff client (review, notices, reports, ...).")
@click.option(
    "--scopes", required=True, help='Space-separated, e.g. "requests:submit requests:read".'
)
@click.option("--name", help="A label for the client.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def client_create(
    agency_id: str | None, staff: bool, scopes: str, name: str | None, as_json: bool
) -> None:
    """Create a client; its secret is printed once and never stored in clear."""
    from trustcenter.services.clients import create_client

    if staff == (agency_id is not None):
        raise click.UsageError("give exactly one of --agency ID or --staff")

    async def work(c: Container) -> Any:
        return await create_client(
            c.db,
            c.clock,
            scopes=parse_scopes(scopes),
            agency_id=_uuid(agency_id) if agency_id else None,
            name=name,
        )

    new = _run(work)
    _emit(
        {
            "client_id": new.client_id,
            "client_secret": new.client_secret,
            "scopes": list(new.scopes),
        },
        as_json,
        f"client_id:     {new.client_id}\nclient_secret: {new.client_secret}\n"
        f"scopes:        {' '.join(new.scopes)}\n(the secret is shown only this once)",
    )


@main.group()
def audit() -> None:
    """The audit chain."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def audit_verify(as_json: bool) -> None:
    """Recompute the hash chain; exit 1 and name the first broken event if it does not hold."""
    from trustcenter.services.audit import verify

    async def work(c: Container) -> Any:
        return await verify(c.db)

    result = _run(work)
    if result.broken is None:
        _emit(
            {"ok": True, "events": result.checked},
            as_json,
            f"audit chain intact: {result.checked} events verified",
        )
        return
    b = result.broken
    _emit(
        {"ok": False, "events": result.checked, "broken_seq": b.seq, "reason": b.reason},
        as_json,
        f"audit chain BROKEN at event {b.seq}: {b.reason}",
    )
    sys.exit(1)


@main.group()
def keys() -> None:
    """Token signing keys."""


@keys.command("rotate")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def keys_rotate(as_json: bool) -> None:
    """Start signing with a new key; tokens signed by the old one stay valid until they expire."""

    async def work(c: Container) -> str:
        return await c.keys.rotate(c.clock.now())

    kid = _run(work)
    _emit({"kid": kid}, as_json, f"now signing with key {kid}")


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
