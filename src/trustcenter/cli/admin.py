"""Agencies and their OAuth clients."""

from __future__ import annotations

from typing import Any

import click

from trustcenter.auth.scopes import parse_scopes
from trustcenter.bootstrap import Container
from trustcenter.cli import _emit, _run, _uuid, main
from trustcenter.domain.enums import AgencyKind, VerificationState


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


def _set_state(
    agency_id: str,
    state: VerificationState,
    as_json: bool,
    *,
    jurisdictions: str | None = None,
    evidence: str | None = None,
    verified_by: str | None = None,
) -> None:
    from trustcenter.services.agencies import set_verification

    async def work(c: Container) -> Any:
        return await set_verification(
            c.db,
            c.clock,
            _uuid(agency_id),
            state,
            jurisdictions=[jurisdictions] if jurisdictions is not None else None,
            verified_by=verified_by,
            evidence=evidence,
        )

    row = _run(work)
    granted = row.granted_jurisdictions.split()
    text = f"agency {row.id} is now {row.verification}"
    if state is VerificationState.VERIFIED:
        text += f" (by {row.verified_by}); may submit for {row.country} and its subdivisions" + (
            f", and {', '.join(granted)}" if granted else ""
        )
    _emit(
        {
            "id": str(row.id),
            "verification": row.verification,
            "granted_jurisdictions": granted,
            "verified_by": row.verified_by,
        },
        as_json,
        text,
    )


@agency.command("verify")
@click.argument("agency_id")
@click.option(
    "--jurisdictions",
    help="Codes it may submit for beyond its own country, such as DE,DE-BE or FR (ISO 3166); "
    "replaces earlier grants. Its own country and that country's subdivisions always count.",
)
@click.option(
    "--evidence",
    help="Why the agency may act there (the law or agreement); required for codes outside "
    "its own country.",
)
@click.option("--by", "verified_by", help="The verifying person's name (default: you).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def agency_verify(
    agency_id: str,
    jurisdictions: str | None,
    evidence: str | None,
    verified_by: str | None,
    as_json: bool,
) -> None:
    """Mark an agency verified: its clients may submit requests."""
    _set_state(
        agency_id,
        VerificationState.VERIFIED,
        as_json,
        jurisdictions=jurisdictions,
        evidence=evidence,
        verified_by=verified_by,
    )


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
            "granted_jurisdictions": a.granted_jurisdictions.split(),
            "verified_by": a.verified_by,
        }
        for a in rows
    ]
    text = (
        "\n".join(
            f"{a['id']}  {a['country']:<2}  {a['verification']:<9}  {a['kind']:<15}  {a['name']}"
            + (
                f"  (also {' '.join(a['granted_jurisdictions'])})"
                if a["granted_jurisdictions"]
                else ""
            )
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
