"""Test helpers in one place: actors (agencies, staff) that obtain real tokens and call the
real API, and a valid submission to start from."""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from trustcenter.bootstrap import Container
from trustcenter.db.models import Account, Product
from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.clients import create_client

AGENCY_SCOPES = ["requests:submit", "requests:read", "disclosures:read"]
STAFF_SCOPES = ["review", "notices", "reports", "audit", "admin"]

VALID_SUBMISSION: dict[str, Any] = {
    "jurisdiction": "DE",
    "officer": {
        "name": "Kommissarin K. Weber",
        "title": "KHKin",
        "email": "k.weber@polizei.example",
        "phone": "+49 30 4664 0",
    },
    "legalBasis": {
        "kind": "WARRANT",
        "reference": "AG-2026-113",
        "issuedBy": "Amtsgericht Tiergarten",
        "issuedAt": "2026-11-01",
        "document": base64.b64encode(b"%PDF-1.4 warrant").decode(),
    },
    "targets": [
        {
            "identifierType": "EMAIL",
            "identifier": "Suspect@Example.com",
            "infoTypes": ["A", "C"],
            "from": "2026-01-01",
            "to": "2026-06-30",
        },
        {"identifierType": "SERIAL_NUMBER", "identifier": "c6n1234567", "infoTypes": ["B"]},
    ],
    "reason": "Investigation of a burglary series; the camera owner is a witness.",
}

SUBMIT = """
mutation Submit($input: SubmitRequestInput!) {
  submitRequest(input: $input) {
    replayed
    request { id status category jurisdiction emergency deadline receivedAt version
              targets { id identifier items { id infoType } } }
    userErrors { field message code }
  }
}
"""


def submission(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(VALID_SUBMISSION)
    data.update(changes)
    return data


@dataclass
class Actor:
    http: httpx.AsyncClient
    client_id: str
    client_secret: str
    agency_id: uuid.UUID | None
    token: str = ""

    async def fetch_token(self, scope: str | None = None) -> str:
        form = {"grant_type": "client_credentials"}
        if scope is not None:
            form["scope"] = scope
        r = await self.http.post(
            "/oauth/token", data=form, auth=(self.client_id, self.client_secret)
        )
        assert r.status_code == 200, r.text
        self.token = r.json()["access_token"]
        return self.token

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> httpx.Response:
        use = self.token if token is None else token
        headers = {"Authorization": f"Bearer {use}"} if use else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        r = await self.gql(query, variables)
        body = r.json()
        assert r.status_code == 200 and not body.get("errors"), body
        return body["data"]  # type: ignore[no-any-return]

    async def submit(self, **changes: Any) -> dict[str, Any]:
        payload = (await self.data(SUBMIT, {"input": submission(**changes)}))["submitRequest"]
        assert payload["userErrors"] == [], payload["userErrors"]
        return payload["request"]  # type: ignore[no-any-return]


class World:
    """Makes agencies and clients through the services and tokens through the HTTP API."""

    def __init__(self, container: Container, http: httpx.AsyncClient) -> None:
        self.container = container
        self.http = http

    async def agency(
        self,
        country: str = "DE",
        *,
        name: str | None = None,
        state: VerificationState = VerificationState.VERIFIED,
    ) -> uuid.UUID:
        c = self.container
        row = await create_agency(
            c.db,
            c.clock,
            name=name or f"Agency {country}",
            kind=AgencyKind.LAW_ENFORCEMENT,
            country=country,
        )
        if state is not VerificationState.PENDING:
            await set_verification(c.db, c.clock, row.id, state)
        return row.id

    async def agency_actor(
        self,
        country: str = "DE",
        *,
        scopes: list[str] | None = None,
        state: VerificationState = VerificationState.VERIFIED,
        agency_id: uuid.UUID | None = None,
    ) -> Actor:
        agency = agency_id or await self.agency(country, state=state)
        new = await create_client(
            self.container.db,
            self.container.clock,
            scopes=scopes or AGENCY_SCOPES,
            agency_id=agency,
        )
        actor = Actor(self.http, new.client_id, new.client_secret, agency)
        await actor.fetch_token()
        return actor

    async def staff_actor(self, scopes: list[str] | None = None) -> Actor:
        new = await create_client(
            self.container.db, self.container.clock, scopes=scopes or STAFF_SCOPES, agency_id=None
        )
        actor = Actor(self.http, new.client_id, new.client_secret, None)
        await actor.fetch_token()
        return actor


START_REVIEW = """mutation($i: StartReviewInput!) { startReview(input: $i) {
  request { version items { id infoType } } userErrors { code message } } }"""
DECIDE = """mutation($i: DecideRequestInput!) { decideRequest(input: $i) {
  request { status version } userErrors { field code message } } }"""
RELEASE = """mutation($i: ReleaseDisclosureInput!) { releaseDisclosure(input: $i) {
  request { id status disclosure { id sha256 downloadPath } }
  userErrors { field code message } } }"""


async def approve_all(staff: Actor, request_id: str) -> dict[str, Any]:
    """Start the review and approve every item; return the decideRequest payload."""
    started = (await staff.data(START_REVIEW, {"i": {"requestId": request_id}}))["startReview"]
    decisions = [{"itemId": i["id"], "outcome": "APPROVE"} for i in started["request"]["items"]]
    payload = await staff.data(
        DECIDE,
        {
            "i": {
                "requestId": request_id,
                "version": started["request"]["version"],
                "decisions": decisions,
            }
        },
    )
    return payload["decideRequest"]  # type: ignore[no-any-return]


async def account_and_camera_owner(
    container: Container, owner_region: str = "DE", camera_region: str = "DE"
) -> tuple[Account, Account]:
    """Two users: owner@example.com, and the owner of camera CAM0000001 (cam@example.com)."""
    registered = datetime(2024, 1, 1, tzinfo=UTC)
    async with container.db.transaction() as s:
        owner = Account(
            username="owner", email="owner@example.com", region=owner_region,
            registered_at=registered,
        )  # fmt: skip
        camera_owner = Account(
            username="camera-owner", email="cam@example.com", region=camera_region,
            registered_at=registered,
        )  # fmt: skip
        s.add_all([owner, camera_owner])
        await s.flush()
        s.add(Product(
            serial_number="CAM0000001", name="Camera", model="C6",
            account_id=camera_owner.id, verification_code="ABCDEF",
        ))  # fmt: skip
    return owner, camera_owner


@contextmanager
def counting(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements run on ``engine`` inside the block (``BEGIN`` left out)."""
    statements: list[str] = []

    def before(*args: Any) -> None:
        statement = args[2]
        if not statement.lstrip().upper().startswith("BEGIN"):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", before)
