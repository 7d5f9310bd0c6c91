"""Agencies and their OAuth clients."""

from __future__ import annotations

from typing import Any

import click

from trustcenter.auth.scopes import ADMIN, parse_scopes
from trustcenter.bootstrap import Container
from trustcenter.cli import _acting, _emit, _run, _uuid, main
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
            c,
            _acting(ADMIN),
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
            c,
            _acting(ADMIN),
            _uuid(agency_id),
            state,
            jurisdictions=[jurisdictions] if jurisdictions is not None else None,
            verified_by=verified_by,
            evidence=evidence,
        )

    _report_state(_run(work), state, as_json)


def _report_state(row: Any, state: VerificationState, as_json: bool) -> None:
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
@click.option(
    "--reason",
    default="suspended by the operator at the command line",
    show_default=True,
    help="Why (kept in the audit).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def agency_suspend(agency_id: str, reason: str, as_json: bool) -> None:
    """Suspend an agency: its clients get no tokens and their tokens stop working."""
    from trustcenter.services.agencies import suspend_agency

    async def work(c: Container) -> Any:
        return await suspend_agency(c, _acting(ADMIN), _uuid(agency_id), reason=reason)

    _report_state(_run(work), VerificationState.SUSPENDED, as_json)


@agency.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def agency_list(as_json: bool) -> None:
    """List agencies."""
    from trustcenter.services.agencies import list_agencies

    async def work(c: Container) -> Any:
        return await list_agencies(c, _acting(ADMIN))

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
@click.option(
    "--jwks",
    "jwks_file",
    type=click.File("r"),
    help="The client's public keys (a JWKS file): it authenticates with private_key_jwt.",
)
@click.option(
    "--jwks-uri", help="Where the client publishes its public keys (https): private_key_jwt."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def client_create(
    agency_id: str | None,
    staff: bool,
    scopes: str,
    name: str | None,
    jwks_file: Any,
    jwks_uri: str | None,
    as_json: bool,
) -> None:
    """Create a client; its secret is printed once and never stored in clear. With --jwks or
    --jwks-uri it has no secret and signs client assertions with its own key instead."""
    import json

    from trustcenter.auth.client_auth import PRIVATE_KEY_JWT
    from trustcenter.services.clients import create_client

    if staff == (agency_id is not None):
        raise click.UsageError("give exactly one of --agency ID or --staff")
    if jwks_file is not None and jwks_uri is not None:
        raise click.UsageError("give --jwks FILE or --jwks-uri URL, not both")
    jwks = None
    if jwks_file is not None:
        try:
            jwks = json.load(jwks_file)
        except ValueError as exc:
            raise click.UsageError(f"--jwks is not JSON: {exc}") from exc

    async def work(c: Container) -> Any:
        return await create_client(
            c,
            _acting(ADMIN),
            scopes=parse_scopes(scopes),
            agency_id=_uuid(agency_id) if agency_id else None,
            name=name,
            jwks=jwks,
            jwks_uri=jwks_uri,
        )

    new = _run(work)
    data: dict[str, Any] = {"client_id": new.client_id, "client_secret": new.client_secret}
    data["scopes"] = list(new.scopes)
    if new.client_secret is None:
        data["token_endpoint_auth_method"] = PRIVATE_KEY_JWT
        text = (
            f"client_id:     {new.client_id}\nauth method:   private_key_jwt (no secret)\n"
            f"scopes:        {' '.join(new.scopes)}"
        )
    else:
        text = (
            f"client_id:     {new.client_id}\nclient_secret: {new.client_secret}\n"
            f"scopes:        {' '.join(new.scopes)}\n(the secret is shown only this once)"
        )
    _emit(data, as_json, text)


def _client_data(row: Any) -> dict[str, Any]:
    return {
        "client_id": row.client_id,
        "name": row.name,
        "agency_id": str(row.agency_id) if row.agency_id else None,
        "scopes": row.scopes.split(),
        "auth_method": row.auth_method,
        "created_at": row.created_at.isoformat(),
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
        "secret_rotated_at": row.secret_rotated_at.isoformat() if row.secret_rotated_at else None,
        "previous_secret_until": (
            row.previous_secret_until.isoformat() if row.previous_secret_until else None
        ),
    }


@client.command("list")
@click.option("--agency", "agency_id", help="Only this agency's clients.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def client_list(agency_id: str | None, as_json: bool) -> None:
    """List clients (revoked ones too), oldest first."""
    from trustcenter.services.clients import list_clients

    async def work(c: Container) -> Any:
        return await list_clients(
            c, _acting(ADMIN), agency_id=_uuid(agency_id) if agency_id else None
        )

    data = [_client_data(row) for row in _run(work)]
    text = (
        "\n".join(
            f"{d['client_id']}  {'revoked' if d['revoked_at'] else 'active ':<7}  "
            f"{d['agency_id'] or 'staff':<36}  {' '.join(d['scopes'])}  ({d['name']})"
            for d in data
        )
        or "no clients"
    )
    _emit(data, as_json, text)


@client.command("revoke")
@click.argument("client_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def client_revoke(client_id: str, as_json: bool) -> None:
    """Revoke a client for good: no more tokens, and its tokens stop working at once."""
    from trustcenter.services.clients import revoke_client

    async def work(c: Container) -> Any:
        return await revoke_client(c, _acting(ADMIN), client_id)

    row = _run(work)
    _emit(_client_data(row), as_json, f"client {row.client_id} revoked")


@client.command("rotate-secret")
@click.argument("client_id")
@click.option(
    "--grace",
    "grace_seconds",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Seconds the previous secret keeps working (0: it stops at once; at most 7 days).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def client_rotate_secret(client_id: str, grace_seconds: int, as_json: bool) -> None:
    """Give a client a new secret, printed once; the old one works for the grace period."""
    from trustcenter.services.clients import rotate_secret

    async def work(c: Container) -> Any:
        return await rotate_secret(c, _acting(ADMIN), client_id, grace_seconds=grace_seconds)

    done = _run(work)
    until = done.previous_valid_until
    _emit(
        {
            "client_id": done.client.client_id,
            "client_secret": done.client_secret,
            "previous_secret_valid_until": until.isoformat() if until else None,
        },
        as_json,
        f"client_id:     {done.client.client_id}\nclient_secret: {done.client_secret}\n"
        + (
            f"the previous secret works until {until:%Y-%m-%d %H:%M:%S} UTC\n"
            if until
            else "the previous secret no longer works\n"
        )
        + "(the secret is shown only this once)",
    )
