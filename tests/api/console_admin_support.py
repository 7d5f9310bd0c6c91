"""Helpers for the console's administration pages' tests: a signed-in person in a browser, the
CSRF token of the page a form is on, and reading what a page shows."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.api.sign_in_helpers import Browser, add_member, browser, csrf_of
from trustcenter.bootstrap import Container

_SECRET = re.compile(r"<code[^>]*data-secret>([^<]+)</code>")
_TAGS = re.compile(r"<[^>]+>")


@asynccontextmanager
async def signed_in(
    container: Container, roles: str, email: str | None = None, name: str | None = None
) -> AsyncIterator[Browser]:
    """A browser with a person holding ``roles`` signed in."""
    who = email or f"{roles.replace(' ', '.')}@staff.example"
    member = await add_member(container, who, name=name or f"Pat {roles.title()}", roles=roles)
    async with browser(container) as b:
        await b.sign_in(member)
        yield b


async def form_token(b: Browser, path: str) -> str:
    """The CSRF token the page at ``path`` carries (opened as the person would)."""
    page = await b.http.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page)


async def post(b: Browser, path: str, form: dict[str, Any], *, page: str) -> httpx.Response:
    """Send ``form`` to ``path`` from the page ``page`` (with its CSRF token)."""
    token = await form_token(b, page)
    data = {k: str(v) for k, v in form.items()}
    return await b.http.post(path, data={"csrf_token": token, **data})


def text_of(page: httpx.Response) -> str:
    """What a person reads: the page's text without tags, whitespace collapsed."""
    return " ".join(html.unescape(_TAGS.sub(" ", page.text)).split())


def secret_shown(page: httpx.Response) -> str:
    found = _SECRET.findall(page.text)
    assert len(found) == 1, page.text
    return html.unescape(found[0])


def assert_refused_form(r: httpx.Response) -> None:
    """A form refused before anything was done (no or a wrong CSRF token)."""
    assert r.status_code == 403, r.text
    assert "Nothing was done" in r.text


def assert_forbidden_page(r: httpx.Response) -> None:
    assert r.status_code == 403, r.text
    assert "Your roles do not include this page." in r.text
