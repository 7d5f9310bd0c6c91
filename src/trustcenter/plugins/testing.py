"""The plugin author's test kit, shipped as a pytest plugin (entry point ``pytest11``).

Fixtures (all prefixed ``trustcenter_`` so they never clash with yours):

- ``trustcenter_host``: a function ``make(*plugins)`` returning the real plugin host with the
  built-ins and the given plugin modules or objects registered, exactly as the product loads
  them (so a misspelt hook or a clashing jurisdiction fails here as it would at start-up).
- ``trustcenter_request``: a function building a ``RequestView`` with sensible defaults, to call
  your hooks the way the product does.
- ``trustcenter_app``: ``async with trustcenter_app(plugin) as app:`` starts the whole
  application on a fresh SQLite file with your plugin registered, and gives you ``app.http``
  (an httpx client on the ASGI app), ``await app.agency_token("DE")``,
  ``await app.staff_token()`` and ``await app.graphql(query, variables, token)`` — to test your
  plugin end to end through the real API (needs pytest-asyncio or ``asyncio.run``).

And ``assert_conforms(plugin)``: the plugin's hooks match the contract (names, parameters,
return values of the start-up hooks).
"""

from __future__ import annotations

import base64
import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pluggy
import pytest

from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.plugins import hookspecs
from trustcenter.plugins.api import CategorySpec, ItemView, LegalBasisView, RequestView
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.clients import create_client

HOOKS = {
    name
    for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("trustcenter_")
}


def conformance_problems(plugin: Any) -> list[str]:
    """Everything about ``plugin`` that breaks the contract (empty when it conforms)."""
    problems = []
    names = [n for n in dir(plugin) if n.startswith("trustcenter_")]
    if not names:
        problems.append("implements no trustcenter_* hook")
    for name in names:
        if name not in HOOKS:
            problems.append(f"{name} is not a hook of the contract (misspelt?)")
            continue
        impl = getattr(plugin, name)
        if not hasattr(impl, "trustcenter_impl"):
            problems.append(f"{name} is not marked with @trustcenter.plugins.hookimpl")
        spec_args = set(inspect.signature(getattr(hookspecs, name)).parameters)
        extra = [a for a in inspect.signature(impl).parameters if a not in spec_args | {"self"}]
        if extra:
            problems.append(f"{name} takes {', '.join(extra)}, which the contract never passes")
    pm = pluggy.PluginManager("trustcenter")
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(plugin, name="under-test")
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        problems.append(str(exc))
        return problems
    if hasattr(plugin, "trustcenter_jurisdictions"):
        codes = plugin.trustcenter_jurisdictions()
        if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
            problems.append("trustcenter_jurisdictions must return a list of codes")
    if hasattr(plugin, "trustcenter_categories"):
        specs = plugin.trustcenter_categories()
        if not all(isinstance(s, CategorySpec) and s.code == s.code.upper() for s in specs):
            problems.append("trustcenter_categories must return CategorySpec with upper-case codes")
    return problems


def assert_conforms(plugin: Any) -> None:
    problems = conformance_problems(plugin)
    assert not problems, "plugin does not conform:\n- " + "\n- ".join(problems)


def make_request(
    jurisdiction: str = "DE",
    *,
    info_types: str = "A",
    identifier_type: str = "email",
    identifier: str = "user@example.com",
    emergency: bool = False,
    kind: str = "court_order",
    issuer_role: str | None = "judge",
    received_at: datetime | None = None,
    agency_kind: str = "law_enforcement",
    category: str | None = None,
    non_disclosure_until: date | None = None,
    agency_country: str | None = None,
) -> RequestView:
    """A request as a plugin receives it; the agency is of the jurisdiction's country unless
    ``agency_country`` says otherwise (a request from abroad)."""
    received = received_at or datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    return RequestView(
        id=None,
        jurisdiction=jurisdiction,
        category=category,
        emergency=emergency,
        received_at=received,
        agency_kind=agency_kind,
        agency_country=agency_country or jurisdiction[:2],
        legal_basis=LegalBasisView(
            kind,
            "REF-1",
            "Issuing authority",
            issuer_role,
            received.date(),
            None,
            non_disclosure_until,
        ),
        items=tuple(ItemView(identifier_type, identifier, t, None, None) for t in info_types),
    )


@pytest.fixture
def trustcenter_host() -> Callable[..., PluginHost]:
    def make(*plugins: Any) -> PluginHost:
        extra = [(getattr(p, "__name__", type(p).__name__), p) for p in plugins]
        return PluginHost(*load("", extra=extra))

    return make


@pytest.fixture
def trustcenter_request() -> Callable[..., RequestView]:
    return make_request


AGENCY_SCOPES = ("requests:submit", "requests:read", "disclosures:read")
STAFF = ("review", "notices", "reports", "audit", "admin")


class TrustcenterApp:
    """The running application, with helpers to act as an agency or as staff."""

    def __init__(self, container: Any, http: Any) -> None:
        self.container = container
        self.http = http

    async def _token(self, client_id: str, secret: str) -> str:
        r = await self.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )
        r.raise_for_status()
        return str(r.json()["access_token"])

    async def agency_token(
        self, country: str = "DE", scopes: tuple[str, ...] = AGENCY_SCOPES
    ) -> str:
        c = self.container
        agency = await create_agency(
            c.db,
            c.clock,
            name=f"Test agency {country}",
            kind=AgencyKind.LAW_ENFORCEMENT,
            country=country,
        )
        await set_verification(c.db, c.clock, agency.id, VerificationState.VERIFIED)
        client = await create_client(c.db, c.clock, scopes=list(scopes), agency_id=agency.id)
        assert client.client_secret is not None  # a secret client, not private_key_jwt
        return await self._token(client.client_id, client.client_secret)

    async def staff_token(self, scopes: tuple[str, ...] = STAFF) -> str:
        c = self.container
        client = await create_client(c.db, c.clock, scopes=list(scopes), agency_id=None)
        assert client.client_secret is not None  # a secret client, not private_key_jwt
        return await self._token(client.client_id, client.client_secret)

    async def graphql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = r.json()
        return body


@pytest.fixture
def trustcenter_app(tmp_path: Path) -> Callable[..., Any]:
    started = 0

    @asynccontextmanager
    async def start(*plugins: Any) -> AsyncIterator[TrustcenterApp]:
        nonlocal started
        import httpx

        from trustcenter.bootstrap import build
        from trustcenter.config import Settings
        from trustcenter.web.app import create_app

        started += 1
        folder = tmp_path / f"trustcenter-app-{started}"
        folder.mkdir()
        settings = Settings.from_env(
            {},
            database_url=f"sqlite+aiosqlite:///{folder}/trustcenter.db",
            issuer="http://localhost",
            plugins="",
            disclosure_keys="test:" + base64.b64encode(bytes(32)).decode(),
        )
        container = build(settings)
        extra = [(getattr(p, "__name__", type(p).__name__), p) for p in plugins]
        container.plugins = PluginHost(*load("", extra=extra))
        container.data_source = container.plugins.data_source(container.db)
        await container.start()
        transport = httpx.ASGITransport(app=create_app(container))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as h:
                yield TrustcenterApp(container, h)
        finally:
            await container.close()

    return start
