"""Test helpers in one place: actors (agencies, staff) that obtain real tokens and call the
real API, and a valid submission to start from."""

from __future__ import annotations

import base64
import copy
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Account, Product, Request
from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.services.access import operator
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.clients import create_client

AGENCY_SCOPES = ["requests:submit", "requests:read", "disclosures:read"]
STAFF_SCOPES = ["review", "notices", "reports", "audit", "admin"]
#: the tests' operator, as the command line acts (every staff scope; audited as "cli:test")
OPERATOR = operator("test")

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


async def submit(actor: Actor, **changes: Any) -> dict[str, Any]:
    """The submitRequest payload (request and userErrors) of a submission with ``changes``."""
    payload = await actor.data(SUBMIT, {"input": submission(**changes)})
    return payload["submitRequest"]  # type: ignore[no-any-return]


async def request_count(container: Container) -> int:
    async with container.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(Request)) or 0)


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
            c,
            OPERATOR,
            name=name or f"Agency {country}",
            kind=AgencyKind.LAW_ENFORCEMENT,
            country=country,
        )
        if state is not VerificationState.PENDING:
            await set_verification(c, OPERATOR, row.id, state)
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
            self.container,
            OPERATOR,
            scopes=scopes or AGENCY_SCOPES,
            agency_id=agency,
        )
        actor = Actor(self.http, new.client_id, new.client_secret, agency)
        await actor.fetch_token()
        return actor

    async def staff_actor(self, scopes: list[str] | None = None) -> Actor:
        new = await create_client(
            self.container, OPERATOR, scopes=scopes or STAFF_SCOPES, agency_id=None
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


@contextmanager
def _events(target: Any, name: str) -> Iterator[list[object]]:
    """The ``name`` events of ``target`` inside the block, each as its arguments."""
    seen: list[object] = []

    def record(*args: object) -> None:
        seen.append(args)

    event.listen(target, name, record)
    try:
        yield seen
    finally:
        event.remove(target, name, record)


def checkouts(engine: AsyncEngine) -> AbstractContextManager[list[object]]:
    """The connections checked out of ``engine``'s pool inside the block."""
    return _events(engine.sync_engine.pool, "checkout")


def connects(engine: AsyncEngine) -> AbstractContextManager[list[object]]:
    """The connections ``engine``'s pool opened inside the block (new database connections,
    not checkouts of pooled ones)."""
    return _events(engine.sync_engine, "connect")


# --- moving requests through the lifecycle over GraphQL ------------------------------------------

#: the input type of each request mutation
INPUT_TYPES = {
    "startReview": "StartReviewInput",
    "askClarification": "AskClarificationInput",
    "answerClarification": "AnswerClarificationInput",
    "decideRequest": "DecideRequestInput",
    "reviseRequest": "ReviseRequestInput",
    "withdrawRequest": "WithdrawRequestInput",
    "closeRequest": "CloseRequestInput",
    "releaseDisclosure": "ReleaseDisclosureInput",
}

#: what a lifecycle test reads of the request a mutation returns
LIFECYCLE_FIELDS = (
    "id status version revisionOf { id } items { id infoType outcome reasonCode explanation }"
)

#: a request as a lifecycle test reads it, thread and next operations included
LIFECYCLE_READ = """
query($id: ID!) { request(id: $id) {
  id status version nextOperations
  revisionOf { id }
  items { id infoType from to outcome reasonCode explanation
          approvedFrom approvedTo approvedFields target { identifier } }
  messages { author body }
} }
"""


def mutation(name: str, fields: str = LIFECYCLE_FIELDS) -> str:
    """The request mutation ``name``, returning the request's ``fields`` and the user errors."""
    return (
        f"mutation($input: {INPUT_TYPES[name]}!) {{ {name}(input: $input) {{ "
        f"request {{ {fields} }} userErrors {{ field message code }} }} }}"
    )


class Flow:
    """An agency and a reviewer moving requests through the lifecycle.

    ``fields`` is what the mutations return of the request, ``read`` the query that reads one.
    The clock moves one second before every change, as a real one would, so the thread reads
    in the order things were said."""

    def __init__(
        self,
        world: World,
        clock: FixedClock,
        agency: Actor,
        staff: Actor,
        *,
        fields: str = LIFECYCLE_FIELDS,
        read: str = LIFECYCLE_READ,
    ) -> None:
        self.world = world
        self.clock = clock
        self.agency = agency
        self.staff = staff
        self.fields = fields
        self.read_query = read

    @property
    def container(self) -> Container:
        return self.world.container

    async def call(self, actor: Actor, name: str, **input: Any) -> dict[str, Any]:
        """The payload; any GraphQL-level error fails the test, and so does a payload that
        neither carries the request nor says why not (or does both)."""
        self.clock.advance(timedelta(seconds=1))
        payload = (await actor.data(mutation(name, self.fields), {"input": input}))[name]
        assert payload is not None, name
        assert (payload["request"] is None) == bool(payload["userErrors"]), payload
        return payload  # type: ignore[no-any-return]

    async def ok(self, actor: Actor, name: str, **input: Any) -> dict[str, Any]:
        payload = await self.call(actor, name, **input)
        assert payload["userErrors"] == [], payload
        assert payload["request"] is not None
        return payload["request"]  # type: ignore[no-any-return]

    async def refused(
        self, actor: Actor, name: str, code: str | None = None, **input: Any
    ) -> list[dict[str, Any]]:
        """The user errors of a refused call; with ``code``, every error has that code."""
        payload = await self.call(actor, name, **input)
        assert payload["request"] is None, payload
        errors = payload["userErrors"]
        assert errors, payload
        if code is not None:
            assert {e["code"] for e in errors} == {code}, errors
        return errors  # type: ignore[no-any-return]

    async def forbidden(self, actor: Actor, name: str, **input: Any) -> None:
        """The call is refused for want of a scope, names the refused mutation, and leaves the
        request as the reviewer read it before."""
        before = await self.read(input["requestId"]) if "requestId" in input else None
        self.clock.advance(timedelta(seconds=1))
        r = await actor.gql(mutation(name, self.fields), {"input": input})
        body = r.json()
        assert body.get("errors"), body
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
        assert body["errors"][0]["path"] == [name], body
        if before is not None:
            assert await self.read(input["requestId"]) == before

    async def read(self, rid: str, actor: Actor | None = None) -> dict[str, Any]:
        data = await (actor or self.staff).data(self.read_query, {"id": rid})
        assert data["request"] is not None
        return data["request"]  # type: ignore[no-any-return]

    async def submit(self, actor: Actor | None = None, **changes: Any) -> dict[str, Any]:
        self.clock.advance(timedelta(seconds=1))
        return await (actor or self.agency).submit(**changes)

    async def in_review(self, **changes: Any) -> dict[str, Any]:
        """A freshly submitted request, taken into review; as the reviewer reads it."""
        req = await self.submit(**changes)
        await self.ok(self.staff, "startReview", requestId=req["id"])
        return await self.read(req["id"])

    async def decide(
        self, req: dict[str, Any], *decisions: dict[str, Any], version: int | None = None
    ) -> dict[str, Any]:
        return await self.ok(
            self.staff,
            "decideRequest",
            requestId=req["id"],
            version=req["version"] if version is None else version,
            decisions=list(decisions),
        )

    async def download(self, path: str, token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.world.http.get(path, headers=headers)

    async def approved_request(
        self, targets: list[dict[str, Any]], decide: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Submitted, started and decided (approve unless ``decide`` says otherwise per
        "identifier/infoType"); as the decision returns it (``fields`` must name each item's
        target)."""
        req = await self.submit(targets=targets)
        started = await self.ok(self.staff, "startReview", requestId=req["id"])
        decisions = []
        for item in started["items"]:
            if item["outcome"] is not None:
                continue
            key = f"{item['target']['identifier']}/{item['infoType']}"
            decisions.append(
                {"itemId": item["id"], **((decide or {}).get(key, {"outcome": "APPROVE"}))}
            )
        return await self.ok(
            self.staff,
            "decideRequest",
            requestId=req["id"],
            version=started["version"],
            decisions=decisions,
        )

    async def released(self, targets: list[dict[str, Any]]) -> dict[str, Any]:
        req = await self.approved_request(targets)
        return await self.ok(self.staff, "releaseDisclosure", requestId=req["id"])
