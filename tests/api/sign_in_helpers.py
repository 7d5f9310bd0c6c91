"""Helpers for the console sign-in tests: staff members written straight through the unit of
work, and a browser-like client (HTTPS, so the ``__Host-`` cookies are kept and sent)."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import select

from trustcenter.auth.passwords import hash_password
from trustcenter.auth.totp import code_at, new_secret
from trustcenter.bootstrap import Container
from trustcenter.db.models import AuditEvent, StaffMember, StaffSession
from trustcenter.services.sessions import digest
from trustcenter.web.app import create_app

PASSWORD = "correct horse battery staple"
SESSION = "__Host-trustcenter-session"
ORIGIN = "https://localhost"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SECRET = re.compile(r'<code class="secret">([A-Z2-7]+)</code>')


@dataclass
class Member:
    id: uuid.UUID
    email: str
    name: str
    #: the authenticator's secret (None: not enrolled yet; the sign-in enrols)
    secret: str | None


async def add_member(
    container: Container,
    email: str = "rita@staff.example",
    *,
    name: str = "Rita Reviewer",
    roles: str = "reviewer",
    password: str | None = PASSWORD,
    enrolled: bool = True,
    status: str = "active",
) -> Member:
    """A staff member written directly (a password hashed, the TOTP secret in clear: the test
    container has no TRUSTCENTER_SECRET_KEY)."""
    now = container.clock.now()
    secret = new_secret() if enrolled else None
    row = StaffMember(
        email=email,
        name=name,
        roles=roles,
        status=status,
        password_hash=hash_password(password) if password else None,
        totp_secret=secret,
        totp_enrolled_at=now if enrolled else None,
        failed_sign_ins=0,
        created_at=now,
        updated_at=now,
    )
    async with container.uow() as uow:
        uow.add(row)
    return Member(row.id, email, name, secret)


async def member_row(container: Container, member_id: uuid.UUID) -> StaffMember:
    async with container.db.reader() as s:
        row = await s.get(StaffMember, member_id)
    assert row is not None
    return row


async def session_row(container: Container, token: str) -> StaffSession | None:
    async with container.db.reader() as s:
        return await s.get(StaffSession, digest(token))


async def sessions_of(container: Container, member_id: uuid.UUID) -> list[StaffSession]:
    async with container.db.reader() as s:
        rows = await s.scalars(select(StaffSession).where(StaffSession.staff_id == member_id))
        return list(rows)


async def audit(container: Container, action: str) -> list[AuditEvent]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
        return list(rows)


def data_of(event: AuditEvent) -> dict[str, Any]:
    return json.loads(event.data) if isinstance(event.data, str) else dict(event.data)


def csrf_of(page: httpx.Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text
    return found[1]


def secret_on(page: httpx.Response) -> str:
    found = _SECRET.search(page.text)
    assert found, page.text
    return found[1]


@asynccontextmanager
async def browser(container: Container, address: str = "127.0.0.1") -> AsyncIterator[Browser]:
    """A fresh browser (its own cookie jar) on the app, connecting from ``address``."""
    transport = httpx.ASGITransport(app=create_app(container), client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=ORIGIN) as client:
        yield Browser(client, container)


@dataclass
class Browser:
    http: httpx.AsyncClient
    container: Container

    @property
    def token(self) -> str | None:
        return self.http.cookies.get(SESSION)

    def use_cookie(self, token: str) -> None:
        """Forget every cookie, then hold ``token`` as the session cookie (a copied cookie)."""
        self.http.cookies.clear()
        self.http.cookies.set(SESSION, token, domain="localhost.local", path="/")

    async def password(self, email: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
        """Open the sign-in page and send the form (``extra`` adds or replaces fields)."""
        page = await self.http.get("/console/sign-in")
        assert page.status_code == 200, page.text
        form = {"csrf_token": csrf_of(page), "email": email, "password": password, **extra}
        return await self.http.post("/console/sign-in", data=form)

    async def code(self, code: str, **headers: str) -> httpx.Response:
        page = await self.http.get("/console/sign-in/code")
        assert page.status_code == 200, page.text
        form = {"csrf_token": csrf_of(page), "code": code}
        return await self.http.post("/console/sign-in/code", data=form, headers=headers)

    async def sign_in(self, member: Member, password: str = PASSWORD) -> str:
        """Both steps (enrolling when due); the signed-in session's token."""
        r = await self.password(member.email, password)
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in/code", r.text
        if member.secret is None:
            member.secret = secret_on(await self.http.get("/console/sign-in/code"))
        r = await self.code(code_at(member.secret, self.container.clock.now()))
        assert r.status_code == 303 and r.headers["location"] == "/console", r.text
        assert self.token is not None
        return self.token

    async def signed_in(self) -> bool:
        """Whether the console lets this browser in: ``/console`` sends a signed-in person to
        their first section, anyone else to the sign-in page."""
        r = await self.http.get("/console")
        assert r.status_code == 303, r.text
        return r.headers["location"] != "/console/sign-in"

    async def csrf(self) -> str:
        """The CSRF token the signed-in home page carries."""
        page = await self.http.get("/console", follow_redirects=True)  # to the first section
        assert page.status_code == 200, page.text
        return csrf_of(page)

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
