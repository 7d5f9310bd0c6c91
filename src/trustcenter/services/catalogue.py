"""What the application knows about itself and the caller: who is calling (``me``), the request
categories and reason codes registered here, and the plugins loaded. Each read checks its access
rule (``services.access``) and returns plain values."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from trustcenter.auth.principal import Principal
from trustcenter.plugins.api import CategorySpec, FindingCodeSpec, ReasonCodeSpec
from trustcenter.services.access import authorize
from trustcenter.services.deps import AppParts


@dataclass(frozen=True, slots=True)
class Caller:
    """The client behind the token of a call."""

    client_id: str
    is_staff: bool
    scopes: tuple[str, ...]
    #: the agency the client belongs to; None for staff
    agency_id: uuid.UUID | None


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    name: str
    version: str | None
    builtin: bool
    hooks: tuple[str, ...]
    #: the jurisdiction codes the plugin governs
    jurisdictions: tuple[str, ...]
    #: the codes its findings may carry, each with its severity and description, as declared
    finding_codes: tuple[FindingCodeSpec, ...] = ()


def me(app: AppParts, principal: Principal) -> Caller:
    """The calling client, its scopes (sorted) and its agency."""
    authorize(principal, "read_me")
    return Caller(
        client_id=principal.client_id or "",
        is_staff=principal.is_staff,
        scopes=tuple(sorted(principal.scopes)),
        agency_id=principal.agency_id,
    )


def categories(app: AppParts, principal: Principal) -> list[CategorySpec]:
    """The request categories known here, built-in and from plugins."""
    authorize(principal, "list_categories")
    return list(app.plugins.categories.values())


def reason_codes(app: AppParts, principal: Principal) -> list[ReasonCodeSpec]:
    """The reason codes known here, built-in and from plugins."""
    authorize(principal, "list_reason_codes")
    return list(app.plugins.reason_codes.values())


def plugins(app: AppParts, principal: Principal) -> list[LoadedPlugin]:
    """The loaded plugins, their versions, hooks, the jurisdictions each governs and the
    finding codes each declares."""
    authorize(principal, "list_plugins")
    routes = app.plugins.jurisdictions()
    return [
        LoadedPlugin(
            name=p.name,
            version=p.version,
            builtin=p.builtin,
            hooks=tuple(p.hooks),
            jurisdictions=tuple(sorted(code for code, owner in routes.items() if owner == p.name)),
            finding_codes=p.finding_codes,
        )
        for p in app.plugins.describe()
    ]
