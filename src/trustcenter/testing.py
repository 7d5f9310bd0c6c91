"""The plugin author's test kit, shipped as a pytest plugin (entry point ``pytest11``).

It composes the whole application, as the composition root does, so it lives beside
``bootstrap`` and not in the plugins package (which imports the plugin API and the domain only).

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
return values of the start-up hooks); it and ``make_request`` come from
``trustcenter.plugins.testing`` (the checks that need no application).
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.plugins.api import RequestView
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load
from trustcenter.plugins.testing import assert_conforms, conformance_problems, make_request
from trustcenter.services.access import operator
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.clients import create_client

__all__ = [
    "AGENCY_SCOPES",
    "STAFF",
    "TrustcenterApp",
    "assert_conforms",
    "conformance_problems",
    "make_request",
    "trustcenter_app",
    "trustcenter_host",
    "trustcenter_request",
]


def _named(plugins: tuple[Any, ...]) -> list[tuple[str, Any]]:
    """Each plugin under its module's ``__name__`` (else its type's name)."""
    return [(getattr(p, "__name__", type(p).__name__), p) for p in plugins]


@pytest.fixture
def trustcenter_host() -> Callable[..., PluginHost]:
    def make(*plugins: Any) -> PluginHost:
        return PluginHost(*load("", extra=_named(plugins)))

    return make


@pytest.fixture
def trustcenter_request() -> Callable[..., RequestView]:
    return make_request


AGENCY_SCOPES = ("requests:submit", "requests:read", "disclosures:read")
STAFF = ("review", "notices", "reports", "audit", "admin")
#: who sets the test application up: an operator with the admin scope, named in its audit
KIT_OPERATOR = operator("test-kit", frozenset({"admin"}))


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
            c,
            KIT_OPERATOR,
            name=f"Test agency {country}",
            kind=AgencyKind.LAW_ENFORCEMENT,
            country=country,
        )
        await set_verification(c, KIT_OPERATOR, agency.id, VerificationState.VERIFIED)
        client = await create_client(c, KIT_OPERATOR, scopes=list(scopes), agency_id=agency.id)
        assert client.client_secret is not None  # a secret client, not private_key_jwt
        return await self._token(client.client_id, client.client_secret)

    async def staff_token(self, scopes: tuple[str, ...] = STAFF) -> str:
        c = self.container
        client = await create_client(c, KIT_OPERATOR, scopes=list(scopes), agency_id=None)
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

        from trustcenter.bootstrap import build, load_plugins
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
        container.plugins, container.data_source = load_plugins(
            settings, container.db, _named(plugins), tracing=container.tracing
        )
        await container.start()
        transport = httpx.ASGITransport(app=create_app(container))
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as h:
                yield TrustcenterApp(container, h)
        finally:
            await container.close()

    return start
