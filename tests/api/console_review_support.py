"""Support for the tests of the console's review pages (queue, request, decide, release):
requests an agency sends over the API, and signed-in people who read and post the pages.

Everything a test does as staff goes through the pages; GraphQL is used only to set up what an
agency sends (requests, documents, answers)."""

from __future__ import annotations

import copy
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from strawberry.relay import from_base64

from tests.api.sign_in_helpers import Browser, Member, add_member, browser, csrf_of
from tests.api.test_documents import PDF, upload
from tests.helpers import VALID_SUBMISSION, Actor, submission
from trustcenter.bootstrap import Container

SUBMIT = """mutation($input: SubmitRequestInput!) { submitRequest(input: $input) {
  request { id } userErrors { field message code } } }"""
ANSWER = """mutation($i: AnswerClarificationInput!) { answerClarification(input: $i) {
  request { status } userErrors { code message } } }"""

#: one account, asked for its account data (A), its usage log (C) and its orders (D)
THREE_ITEMS = [
    {
        "identifierType": "EMAIL",
        "identifier": "suspect@example.com",
        "infoTypes": ["A", "C", "D"],
        "from": "2026-01-01",
        "to": "2026-06-30",
    }
]
EMERGENCY = {
    "emergency": True,
    "emergencyDescription": "A child is missing; the camera may show where she went.",
}


def raw(gid: str) -> str:
    """The request's UUID, as the console's addresses carry it."""
    return from_base64(gid)[1]


def seen(page: httpx.Response) -> str:
    """The page's text as a person reads it (entities decoded, tags kept)."""
    return html.unescape(page.text)


def basis(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(VALID_SUBMISSION["legalBasis"])
    out.pop("document")
    out.update(changes)
    return out


async def document(agency: Actor, body: bytes = PDF, kind: str = "application/pdf") -> str:
    r = await upload(agency, body, kind)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def send(agency: Actor, **changes: Any) -> str:
    """A request the agency submits (the valid one with ``changes``); its global id."""
    payload = (await agency.data(SUBMIT, {"input": submission(**changes)}))["submitRequest"]
    assert payload["userErrors"] == [], payload
    return str(payload["request"]["id"])


async def answer(agency: Actor, gid: str, message: str, documents: list[str]) -> None:
    given = {"requestId": gid, "message": message, "documentIds": documents}
    payload = (await agency.data(ANSWER, {"i": given}))["answerClarification"]
    assert payload["userErrors"] == [], payload


@dataclass
class Person:
    """A signed-in staff member's browser, with the session's CSRF token."""

    member: Member
    b: Browser
    csrf: str

    async def get(self, path: str) -> httpx.Response:
        return await self.b.http.get(path)

    async def post(self, path: str, csrf: bool = True, **form: str) -> httpx.Response:
        data = {**form, **({"csrf_token": self.csrf} if csrf else {})}
        return await self.b.http.post(path, data=data)

    async def page(self, path: str) -> str:
        r = await self.get(path)
        assert r.status_code == 200, r.text
        return seen(r)


@asynccontextmanager
async def person(
    container: Container, email: str, name: str, roles: str = "reviewer"
) -> AsyncIterator[Person]:
    """A staff member with ``roles``, signed in to the console in their own browser."""
    member = await add_member(container, email, name=name, roles=roles)
    async with browser(container) as b:
        await b.sign_in(member)
        # every console page carries the session's token (403 pages too: their sign-out form)
        token = csrf_of(await b.http.get("/console/queue"))
        yield Person(member, b, token)


def order_of(text: str, *needles: str) -> list[int]:
    """Where each needle first appears in ``text`` (each must)."""
    found = [text.find(n) for n in needles]
    assert all(i >= 0 for i in found), (needles, found)
    return found


def row_of(text: str, rid: str) -> str:
    """The queue's table row that links to the request ``rid``."""
    match = re.search(rf"<tr>(?:(?!</tr>).)*?/console/requests/{rid}\".*?</tr>", text, re.S)
    assert match, rid
    return match[0]
