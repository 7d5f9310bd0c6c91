"""Vendors, the audit chain and token signing keys."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from trustcenter.auth.scopes import ADMIN, AUDIT
from trustcenter.bootstrap import Container
from trustcenter.cli import _acting, _emit, _run, _uuid, main


@main.group()
def vendor() -> None:
    """Vendors holding some of the data, and their attestations."""


@vendor.command("create")
@click.option("--name", required=True)
@click.option("--info-types", required=True, help='The types it holds, e.g. "C E".')
@click.option(
    "--same-standards/--no-same-standards",
    default=False,
    help="Its contract binds it to the same standards.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def vendor_create(name: str, info_types: str, same_standards: bool, as_json: bool) -> None:
    """Register a vendor."""
    from trustcenter.domain.submission import parse_info_type
    from trustcenter.services.vendors import create_vendor

    parsed = [parse_info_type(t) for t in info_types.replace(",", " ").split()]
    if not parsed or None in parsed:
        raise click.BadParameter('use letters A to E, e.g. "C E"', param_hint="--info-types")

    async def work(c: Container) -> Any:
        return await create_vendor(
            c,
            _acting(ADMIN),
            name=name,
            info_types=[t for t in parsed if t is not None],
            same_standards_clause=same_standards,
        )

    row = _run(work)
    _emit({"id": str(row.id)}, as_json, f"vendor {row.id} created")


@vendor.command("attest")
@click.argument("vendor_id")
@click.option("--reference", required=True, help="The signed attestation's reference.")
@click.option(
    "--expires",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Expiry date, YYYY-MM-DD (UTC midnight).",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def vendor_attest(vendor_id: str, reference: str, expires: Any, as_json: bool) -> None:
    """Record a vendor's attestation that it follows the same standards."""
    from datetime import UTC

    from trustcenter.services.vendors import record_attestation

    async def work(c: Container) -> Any:
        return await record_attestation(
            c,
            _acting(ADMIN),
            _uuid(vendor_id),
            reference=reference,
            expires_at=expires.replace(tzinfo=UTC),
        )

    row = _run(work)
    _emit(
        {"vendor_id": vendor_id, "expires_at": row.expires_at.isoformat()},
        as_json,
        f"vendor {vendor_id} attested until {row.expires_at:%Y-%m-%d}",
    )


@vendor.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def vendor_list(as_json: bool) -> None:
    """List vendors and whether their data may be disclosed now."""
    from trustcenter.services.vendors import list_vendors

    async def work(c: Container) -> Any:
        now = c.clock.now()
        return [(s, s.blocks(now)) for s in await list_vendors(c, _acting(ADMIN))]

    rows = _run(work)
    data = [
        {
            "id": str(s.vendor.id),
            "name": s.vendor.name,
            "info_types": s.vendor.info_types,
            "attested_until": s.valid_until.isoformat() if s.valid_until else None,
            "blocked_because": reason,
        }
        for s, reason in rows
    ]
    text = (
        "\n".join(
            f"{v['id']}  {v['info_types']:<6} {v['name']}: "
            f"{v['blocked_because'] or 'ok until ' + str(v['attested_until'])[:10]}"
            for v in data
        )
        or "no vendors"
    )
    _emit(data, as_json, text)


@main.group()
def audit() -> None:
    """The audit chain."""


@audit.command("verify")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def audit_verify(as_json: bool) -> None:
    """Recompute the hash chain; exit 1 and name the first broken event if it does not hold."""
    from trustcenter.services.audit import verify

    async def work(c: Container) -> Any:
        return await verify(c, _acting(AUDIT))

    result = _run(work)
    tail = (
        f" ({result.unsealed} not sealed yet, each matching its own hash)"
        if result.unsealed
        else ""
    )
    if result.broken is None:
        _emit(
            {"ok": True, "events": result.checked, "unsealed": result.unsealed},
            as_json,
            f"audit chain intact: {result.checked} events verified{tail}",
        )
        return
    b = result.broken
    _emit(
        {
            "ok": False,
            "events": result.checked,
            "unsealed": result.unsealed,
            "broken_seq": b.seq,
            "reason": b.reason,
        },
        as_json,
        f"audit chain BROKEN at event {b.seq}: {b.reason}",
    )
    sys.exit(1)


@audit.command("seal")
@click.option(
    "--batch",
    default=1000,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Events chained per transaction.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def audit_seal(batch: int, as_json: bool) -> None:
    """Chain every committed event not sealed yet, in number order, after the newest sealed
    one (serve and the worker do this every few seconds). Exit 1 if an unsealed event no
    longer matches its own hash (it is left unsealed, for verify to name)."""
    from trustcenter.services.audit import seal

    async def work(c: Container) -> Any:
        return await seal(c, batch=batch)

    result = _run(work)
    data: dict[str, Any] = {"sealed": result.sealed, "head": result.head and result.head[0]}
    if result.stuck is None:
        _emit(data, as_json, f"{result.sealed} event(s) sealed; chain head at {data['head']}")
        return
    data |= {"stuck_seq": result.stuck.seq, "reason": result.stuck.reason}
    _emit(
        data,
        as_json,
        f"{result.sealed} event(s) sealed; stopped at event {result.stuck.seq}: "
        f"{result.stuck.reason}",
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

    kid = _run(_keys_work(work))
    _emit({"kid": kid}, as_json, f"now signing with key {kid}")


def _keys_work(work: Any) -> Any:
    """A stored key that does not open (no or another TRUSTCENTER_SECRET_KEY) or a refused
    retirement is a clear message, not a traceback."""
    from trustcenter.auth.key_sealing import KeySealingError
    from trustcenter.auth.keys import KeyRetirementRefused

    async def guarded(c: Container) -> Any:
        try:
            return await work(c)
        except (KeySealingError, KeyRetirementRefused) as exc:
            raise click.ClickException(str(exc)) from None

    return guarded


@keys.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def keys_list(as_json: bool) -> None:
    """List the signing keys: the current one, and those rotated out with when they may go."""
    from trustcenter.auth.keys import RETIRE_AFTER

    async def work(c: Container) -> Any:
        return await c.keys.stored()

    rows = _run(_keys_work(work))
    data = [
        {
            "kid": r.kid,
            "created_at": r.created_at.isoformat(),
            "rotated_out_at": r.retired_at.isoformat() if r.retired_at else None,
            "retire_after": (r.retired_at + RETIRE_AFTER).isoformat() if r.retired_at else None,
            "encrypted": r.encrypted,
        }
        for r in rows
    ]
    text = "\n".join(
        f"{d['kid']}  "
        + (f"may be retired after {d['retire_after']}" if d["retire_after"] else "current")
        + ("" if d["encrypted"] else "  (stored in clear)")
        for d in data
    )
    _emit(data, as_json, text or "no signing keys yet")


@keys.command("retire")
@click.argument("kid")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def keys_retire(kid: str, as_json: bool) -> None:
    """Remove a key rotated out, once no token it signed can still be valid."""

    async def work(c: Container) -> None:
        await c.keys.retire(kid, c.clock.now())

    _run(_keys_work(work))
    _emit({"kid": kid, "retired": True}, as_json, f"signing key {kid} retired and removed")


@main.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins_cmd(as_json: bool) -> None:
    """List loaded plugins, their versions, hooks, the jurisdictions they govern and the codes
    of the findings they may raise."""
    from trustcenter.config import Settings
    from trustcenter.plugins.host import PluginHost

    settings = Settings.from_env()
    host = PluginHost.from_settings(settings.plugins, folder=settings.plugins_dir or None)
    routes = host.jurisdictions()
    data: list[dict[str, Any]] = []
    lines: list[str] = []
    for p in host.describe():
        governs = sorted(c for c, owner in routes.items() if owner == p.name)
        data.append(
            {
                "name": p.name,
                "version": p.version,
                "builtin": p.builtin,
                "hooks": list(p.hooks),
                "jurisdictions": governs,
                "finding_codes": [
                    {"code": f.code, "severity": f.severity.value, "description": f.description}
                    for f in p.finding_codes
                ],
            }
        )
        origin = "built-in" if p.builtin else f"version {p.version or '?'}"
        where = f"; governs {', '.join(governs)}" if governs else ""
        codes = "".join(
            f"\n    {f.code} ({f.severity.value}): {f.description}" for f in p.finding_codes
        )
        lines.append(f"{p.name} ({origin}{where})\n    " + ", ".join(p.hooks) + codes)
    _emit(data, as_json, "\n".join(lines))


@main.group("plugin")
def plugin_group() -> None:
    """Writing plugins."""


@plugin_group.command("new")
@click.argument("name")
@click.option("--jurisdiction", required=True, help="The ISO 3166 code it governs, e.g. NL.")
@click.option(
    "--dir",
    "parent",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create trustcenter-NAME.",
)
def plugin_new(name: str, jurisdiction: str, parent: Path) -> None:
    """Create a jurisdiction plugin package that passes its own tests at once."""
    from trustcenter.plugins.template import TemplateError, create

    try:
        root = create(name, jurisdiction, parent)
    except TemplateError as exc:
        raise click.BadParameter(str(exc)) from None
    click.echo(f"created {root}\nnext: cd {root} && pytest")
