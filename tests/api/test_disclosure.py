"""Disclosure end to end (SPEC sections 2 to 4), on SQLite and PostgreSQL.

An agency submits, staff question, the agency clarifies, staff approve some items, narrow
others and reject the rest, release; the agency downloads a package that holds exactly the
approved scope and whose digest matches; nobody else can fetch it; the package at rest is
sealed so that it cannot be read, altered or moved to another request unnoticed.

Every package is compared with an oracle computed here from the seeded user data, independent
of the code under test: the exact targets, information types, fields and records expected.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from strawberry.relay import from_base64

from tests.helpers import Actor, World
from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import (
    Account,
    AuditEvent,
    Disclosure,
    DisclosureChunk,
    Order,
    PremiumSubscription,
    Product,
    RequestedItem,
    SupportRecord,
    Target,
    UsageEvent,
)
from trustcenter.domain.decisions import Decision
from trustcenter.domain.enums import (
    DecisionOutcome,
    IdentifierType,
    InfoType,
    LegalBasisKind,
    ReasonCode,
)
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.minimization import FIELDS
from trustcenter.domain.submission import LegalBasisDraft, Officer, SubmissionDraft, TargetDraft
from trustcenter.services import review
from trustcenter.services.disclosure import open_for_download, release
from trustcenter.services.requests import submit_request

# --- the company's user data ------------------------------------------------------------------


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class Person:
    """One seeded account and everything the company holds about it, as plain records."""

    account: dict[str, Any]
    premium: bool
    products: list[dict[str, Any]] = field(default_factory=list)
    usage: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    support: list[dict[str, Any]] = field(default_factory=list)


def plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


class UserData:
    """Seeds three accounts (a premium suspect, a plain account, a premium bystander) with
    products, usage events, orders and support records; answers what a package should hold."""

    def __init__(self) -> None:
        self.people: dict[str, Person] = {}

    async def seed(self, container: Container) -> None:
        async with container.db.transaction() as s:
            await self._person(
                s,
                "suspect",
                "+4915111111111",
                premium=True,
                products=[("C6N1234567", "Flur"), ("C6N2222222", "Garten")],
                usage=[
                    utc(2025, 12, 31, 23, 59, 59),
                    utc(2026, 1, 1, 0, 0, 0),
                    utc(2026, 2, 28, 23, 59, 59),
                    utc(2026, 3, 1, 0, 0, 0),
                    utc(2026, 4, 15, 12, 0, 0),
                    utc(2026, 6, 30, 23, 59, 59),
                    utc(2026, 7, 1, 0, 0, 0),
                    utc(2026, 9, 1, 8, 0, 0),
                ],
                orders=[
                    utc(2025, 12, 15, 10, 0, 0),
                    utc(2026, 2, 1, 10, 0, 0),
                    utc(2026, 5, 20, 10, 0, 0),
                    utc(2026, 8, 1, 10, 0, 0),
                ],
                support=[utc(2026, 1, 10, 9, 0, 0), utc(2026, 4, 1, 9, 0, 0)],
            )
            await self._person(
                s,
                "plain",
                "+4915122222222",
                premium=False,
                products=[("C6N3333333", "Keller")],
                usage=[utc(2026, 3, 2, 10, 0, 0), utc(2026, 5, 2, 10, 0, 0)],
                orders=[utc(2026, 3, 3, 10, 0, 0)],
                support=[utc(2026, 2, 2, 9, 0, 0)],
            )
            await self._person(
                s,
                "bystander",
                "+4915133333333",
                premium=True,
                products=[("C6N9999999", "Tor")],
                usage=[utc(2026, 3, 5, 10, 0, 0), utc(2026, 4, 5, 10, 0, 0)],
                orders=[utc(2026, 3, 4, 10, 0, 0)],
                support=[utc(2026, 4, 4, 9, 0, 0)],
            )

    async def _person(
        self,
        s: Any,
        name: str,
        phone: str,
        *,
        premium: bool,
        products: list[tuple[str, str]],
        usage: list[datetime],
        orders: list[datetime],
        support: list[datetime],
    ) -> None:
        account = Account(
            username=f"{name}-user",
            email=f"{name}@example.com",
            phone=phone,
            region="DE",
            registered_at=utc(2024, 5, 1, 12, 0, 0),
            background=f"{name} background note",
        )
        s.add(account)
        await s.flush()
        person = Person(
            {
                "username": account.username,
                "email": account.email,
                "phone": account.phone,
                "region": "DE",
                "registered_at": plain(account.registered_at),
                "background": account.background,
            },
            premium,
        )
        if premium:
            s.add(
                PremiumSubscription(
                    account_id=account.id, service="cloud_storage", started_at=utc(2025, 1, 1)
                )
            )
        rows: list[Product] = []
        for serial, room in products:
            product = Product(
                serial_number=serial,
                name=f"Kamera {room}",
                model="C6N",
                verification_code=f"VC-{serial}",
                account_id=account.id,
                bound_at=utc(2025, 3, 1, 8, 0, 0),
                network_environment=f"wifi {name} {room}",
            )
            s.add(product)
            rows.append(product)
            person.products.append(
                {
                    "serial_number": serial,
                    "name": product.name,
                    "model": "C6N",
                    "verification_code": product.verification_code,
                    "bound_at": plain(product.bound_at),
                    "network_environment": product.network_environment,
                }
            )
        await s.flush()
        for n, at in enumerate(usage):
            product = rows[n % len(rows)]
            ip = f"10.{len(self.people)}.{n}.{at.month}"
            s.add(
                UsageEvent(
                    account_id=account.id,
                    product_id=product.id,
                    kind="login" if n % 2 else "online",
                    occurred_at=at,
                    ip_address=ip,
                    client_device_model=f"Phone {name} {n}",
                    app_version=f"5.{n}.0",
                )
            )
            person.usage.append(
                {
                    "occurred_at": plain(at),
                    "kind": "login" if n % 2 else "online",
                    "ip_address": ip,
                    "client_device_model": f"Phone {name} {n}",
                    "app_version": f"5.{n}.0",
                    "serial_number": product.serial_number,
                }
            )
        for n, at in enumerate(orders):
            number = f"ORD-{name}-{n}"
            amount = Decimal(f"{10 + n}.50")
            s.add(
                Order(
                    order_number=number,
                    account_id=account.id,
                    placed_at=at,
                    goods=f"Kamera-Set {name} {n}",
                    amount=amount,
                    currency="EUR",
                    payment_method="card",
                    delivery_address=f"{name}strasse {n}, Berlin",
                )
            )
            person.orders.append(
                {
                    "order_number": number,
                    "placed_at": plain(at),
                    "goods": f"Kamera-Set {name} {n}",
                    "amount": str(amount),
                    "currency": "EUR",
                    "payment_method": "card",
                    "delivery_address": f"{name}strasse {n}, Berlin",
                }
            )
        for n, at in enumerate(support):
            content = f"support ticket {name} {n}"
            s.add(
                SupportRecord(
                    account_id=account.id, kind="feedback", created_at=at, content=content
                )
            )
            person.support.append({"created_at": plain(at), "kind": "feedback", "content": content})
        self.people[name] = person

    # -- the oracle --

    def owner(self, identifier_type: str, identifier: str) -> Person | None:
        for person in self.people.values():
            if identifier_type == "email" and person.account["email"] == identifier:
                return person
            if identifier_type == "serial_number" and any(
                p["serial_number"] == identifier for p in person.products
            ):
                return person
        return None

    def held(self, identifier_type: str, identifier: str, info: InfoType) -> list[dict[str, Any]]:
        person = self.owner(identifier_type, identifier)
        if person is None:
            return []
        by_product = identifier_type == "serial_number"
        if info is InfoType.A:
            return [person.account]
        if info is InfoType.B:
            return [
                p for p in person.products if not by_product or p["serial_number"] == identifier
            ]
        if info is InfoType.C:
            return [u for u in person.usage if not by_product or u["serial_number"] == identifier]
        if info is InfoType.D:
            return person.orders
        return person.support

    def expected(
        self,
        identifier_type: str,
        identifier: str,
        info: InfoType,
        fields: set[str],
        lo: date | None,
        hi: date | None,
    ) -> list[dict[str, Any]]:
        time_field = {InfoType.C: "occurred_at", InfoType.D: "placed_at", InfoType.E: "created_at"}
        out = []
        for record in self.held(identifier_type, identifier, info):
            if info in time_field:
                day = datetime.fromisoformat(record[time_field[info]]).astimezone(UTC).date()
                if (lo and day < lo) or (hi and day > hi):
                    continue
            out.append({k: v for k, v in record.items() if k in fields})
        return out

    def everything(self) -> list[str]:
        """Every distinctive value seeded, to look for in places it must not be."""
        values: list[str] = []
        for person in self.people.values():
            values += [person.account["email"], person.account["background"]]
            values += [p["verification_code"] for p in person.products]
            values += [u["ip_address"] for u in person.usage]
            values += [o["delivery_address"] for o in person.orders]
            values += [s["content"] for s in person.support]
        return values


@pytest.fixture
async def userdata(container: Container) -> UserData:
    data = UserData()
    await data.seed(container)
    return data


def canonical(records: list[dict[str, Any]]) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in records)


@dataclass(frozen=True)
class Approved:
    """What one approved or narrowed item lets out."""

    identifier_type: str
    identifier: str
    info: InfoType
    outcome: str
    fields: frozenset[str]
    lo: date | None
    hi: date | None


def assert_package_holds_exactly(
    package: dict[str, Any], approved: list[Approved], data: UserData
) -> None:
    """The package's targets, items, decisions and records are exactly the approved scope."""
    want: dict[tuple[str, str], dict[str, Approved]] = {}
    for a in approved:
        want.setdefault((a.identifier_type, a.identifier), {})[a.info.value] = a
    got = {(t["identifier_type"], t["identifier"]): t for t in package["targets"]}
    assert len(got) == len(package["targets"]), "a target appears twice"
    assert set(got) == set(want)
    for key, target in got.items():
        items = {i["info_type"]: i for i in target["items"]}
        assert len(items) == len(target["items"]), "an information type appears twice"
        assert set(items) == set(want[key])
        for letter, item in items.items():
            a = want[key][letter]
            dated = a.info not in (InfoType.A, InfoType.B)
            assert item["decision"] == {
                "outcome": a.outcome,
                "fields": sorted(a.fields),
                "from": a.lo.isoformat() if a.lo and dated else None,
                "to": a.hi.isoformat() if a.hi and dated else None,
            }
            for record in item["records"]:
                assert set(record) <= a.fields, (letter, record)
            expected = data.expected(
                a.identifier_type,
                a.identifier,
                a.info,
                set(a.fields),
                a.lo if dated else None,
                a.hi if dated else None,
            )
            assert canonical(item["records"]) == canonical(expected), (key, letter)


# --- GraphQL ------------------------------------------------------------------------------------

INPUT_TYPES = {
    "startReview": "StartReviewInput",
    "askClarification": "AskClarificationInput",
    "answerClarification": "AnswerClarificationInput",
    "decideRequest": "DecideRequestInput",
    "releaseDisclosure": "ReleaseDisclosureInput",
}

REQUEST_FIELDS = """id status version
  items { id infoType from to outcome reasonCode explanation target { identifierType identifier } }
  disclosure { id sha256 size recordCount releasedAt downloadPath }"""

READ = f"query($id: ID!) {{ request(id: $id) {{ {REQUEST_FIELDS} }} }}"


def mutation(name: str) -> str:
    return (
        f"mutation($input: {INPUT_TYPES[name]}!) {{ {name}(input: $input) {{ "
        f"request {{ {REQUEST_FIELDS} }} userErrors {{ field message code }} }} }}"
    )


class Flow:
    def __init__(
        self, world: World, clock: FixedClock, container: Container, agency: Actor, staff: Actor
    ) -> None:
        self.world = world
        self.clock = clock
        self.container = container
        self.agency = agency
        self.staff = staff

    async def call(self, actor: Actor, name: str, **input: Any) -> dict[str, Any]:
        self.clock.advance(timedelta(seconds=1))
        return (await actor.data(mutation(name), {"input": input}))[name]  # type: ignore[no-any-return]

    async def ok(self, actor: Actor, name: str, **input: Any) -> dict[str, Any]:
        payload = await self.call(actor, name, **input)
        assert payload["userErrors"] == [], payload
        return payload["request"]  # type: ignore[no-any-return]

    async def refused(self, actor: Actor, name: str, **input: Any) -> list[dict[str, Any]]:
        payload = await self.call(actor, name, **input)
        assert payload["request"] is None, payload
        assert payload["userErrors"], payload
        return payload["userErrors"]  # type: ignore[no-any-return]

    async def read(self, rid: str, actor: Actor | None = None) -> dict[str, Any]:
        found = (await (actor or self.staff).data(READ, {"id": rid}))["request"]
        assert found is not None
        return found  # type: ignore[no-any-return]

    async def submit(self, **changes: Any) -> dict[str, Any]:
        self.clock.advance(timedelta(seconds=1))
        return await self.agency.submit(**changes)

    async def download(self, path: str, token: str | None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.world.http.get(path, headers=headers)

    async def approved_request(
        self, targets: list[dict[str, Any]], decide: dict[str, dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Submitted, started and decided (approve unless ``decide`` says otherwise per
        "identifier/infoType"); as the reviewer reads it."""
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


@pytest.fixture
async def flow(world: World, clock: FixedClock, container: Container) -> Flow:
    agency = await world.agency_actor("DE")
    staff = await world.staff_actor(["review", "audit"])
    return Flow(world, clock, container, agency, staff)


def request_uuid(gid: str) -> uuid.UUID:
    kind, raw = from_base64(gid)
    assert kind == "Request"
    return uuid.UUID(raw)


SUSPECT_TARGETS = [
    {
        "identifierType": "EMAIL",
        "identifier": "Suspect@Example.com",
        "infoTypes": ["A", "C", "E"],
        "from": "2026-01-01",
        "to": "2026-06-30",
    },
    {"identifierType": "SERIAL_NUMBER", "identifier": "c6n1234567", "infoTypes": ["B"]},
]

ALL = {t: frozenset(FIELDS[t]) for t in InfoType}


async def downloads_recorded(container: Container, disclosure_id: str) -> list[AuditEvent]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.action == "disclosure.downloaded",
                AuditEvent.subject_id == disclosure_id,
            )
            .order_by(AuditEvent.seq)
        )
        return list(rows.all())


# --- the whole path -----------------------------------------------------------------------------


async def test_submit_question_clarify_decide_release_and_download_exactly_the_approved_scope(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    req = await flow.submit(targets=SUSPECT_TARGETS)
    rid = req["id"]
    assert req["status"] == "RECEIVED"

    await flow.ok(flow.staff, "startReview", requestId=rid)
    asked = await flow.ok(
        flow.staff,
        "askClarification",
        requestId=rid,
        message="Which devices does the case concern?",
    )
    assert asked["status"] == "CLARIFICATION_REQUESTED"
    answered = await flow.ok(
        flow.agency, "answerClarification", requestId=rid, message="The hall camera only."
    )
    assert answered["status"] == "IN_REVIEW"

    current = await flow.read(rid)
    items = {f"{i['target']['identifier']}/{i['infoType']}": i for i in current["items"]}
    assert set(items) == {
        "suspect@example.com/A",
        "suspect@example.com/C",
        "suspect@example.com/E",
        "C6N1234567/B",
    }
    decided = await flow.ok(
        flow.staff,
        "decideRequest",
        requestId=rid,
        version=current["version"],
        decisions=[
            {
                "itemId": items["suspect@example.com/A"]["id"],
                "outcome": "NARROW",
                "reasonCode": "OVERBROAD",
                "fields": ["username", "email"],
                "explanation": "Name and address identify the user; the rest is not needed.",
            },
            {
                "itemId": items["suspect@example.com/C"]["id"],
                "outcome": "NARROW",
                "reasonCode": "OVERBROAD",
                "from": "2026-03-01",
                "to": "2026-06-30",
                "explanation": "The burglaries began in March.",
            },
            {
                "itemId": items["suspect@example.com/E"]["id"],
                "outcome": "REJECT",
                "reasonCode": "OVERBROAD",
                "explanation": "Support conversations are not related to the offence.",
            },
            {"itemId": items["C6N1234567/B"]["id"], "outcome": "APPROVE"},
        ],
    )
    assert decided["status"] == "PARTIALLY_APPROVED"
    assert decided["disclosure"] is None

    released = await flow.ok(flow.staff, "releaseDisclosure", requestId=rid)
    assert released["status"] == "DISCLOSED"
    disclosure = released["disclosure"]
    assert disclosure is not None
    assert disclosure["downloadPath"] == f"/disclosures/{disclosure['id']}"
    assert datetime.fromisoformat(disclosure["releasedAt"]) == flow.clock.now()
    # the agency sees the same disclosure on its request
    assert (await flow.read(rid, flow.agency))["disclosure"] == disclosure

    r = await flow.download(disclosure["downloadPath"], flow.agency.token)
    assert r.status_code == 200, r.text
    body = r.content
    assert r.headers["content-type"].startswith("application/json")
    assert hashlib.sha256(body).hexdigest() == disclosure["sha256"]
    assert len(body) == disclosure["size"] == int(r.headers["content-length"])
    digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
    assert r.headers["repr-digest"] == f"sha-256=:{digest}:"
    assert "no-store" in r.headers["cache-control"]

    package = json.loads(body)
    assert package["format"] == "trustcenter-disclosure/1"
    assert package["request"]["id"] == str(request_uuid(rid))
    assert package["request"]["legal_basis"]["reference"] == "AG-2026-113"
    approved = [
        Approved(
            "email",
            "suspect@example.com",
            InfoType.A,
            "narrow",
            frozenset({"username", "email"}),
            None,
            None,
        ),
        Approved(
            "email",
            "suspect@example.com",
            InfoType.C,
            "narrow",
            ALL[InfoType.C],
            date(2026, 3, 1),
            date(2026, 6, 30),
        ),
        Approved("serial_number", "C6N1234567", InfoType.B, "approve", ALL[InfoType.B], None, None),
    ]
    assert_package_holds_exactly(package, approved, userdata)
    # the narrowed usage range, boundaries included: Mar 1 00:00, Apr 15, Jun 30 23:59:59
    usage = package["targets"][0]["items"][1]["records"]
    assert sorted(u["occurred_at"] for u in usage) == [
        "2026-03-01T00:00:00+00:00",
        "2026-04-15T12:00:00+00:00",
        "2026-06-30T23:59:59+00:00",
    ]
    assert disclosure["recordCount"] == 1 + 3 + 1

    text = body.decode()
    suspect = userdata.people["suspect"]
    assert suspect.account["phone"] not in text  # A narrowed to name and e-mail
    assert suspect.account["background"] not in text
    # the suspect's other camera was not asked for with B
    assert "VC-C6N2222222" not in text
    assert "wifi suspect Garten" not in text
    for record in suspect.support:  # E was rejected
        assert record["content"] not in text
    for other in ("plain", "bystander"):
        for value in [userdata.people[other].account["email"]] + [
            u["ip_address"] for u in userdata.people[other].usage
        ]:
            assert value not in text


async def test_the_package_goes_to_the_requesting_agency_alone_and_every_download_is_audited(
    flow: Flow, userdata: UserData, container: Container, world: World
) -> None:
    released = await flow.released(SUSPECT_TARGETS)
    disclosure = released["disclosure"]
    path = disclosure["downloadPath"]

    other_agency = await world.agency_actor("FR")
    staff = await world.staff_actor()  # every staff scope
    own_without_scope = await world.agency_actor("DE", agency_id=flow.agency.agency_id)
    await own_without_scope.fetch_token("requests:submit requests:read")
    refusals = [
        await flow.download(path, other_agency.token),
        await flow.download(path, staff.token),
        await flow.download(path, own_without_scope.token),
        await flow.download(f"/disclosures/{uuid.uuid4()}", flow.agency.token),
        await flow.download("/disclosures/not-a-uuid", flow.agency.token),
    ]
    assert [r.status_code for r in refusals] == [404] * 5
    assert len({r.content for r in refusals}) == 1, "a refusal must not tell why"
    assert disclosure["sha256"] not in refusals[0].text

    anonymous = await flow.download(path, None)
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert (await flow.download(path, "not-a-token")).status_code == 401

    # another agency does not even see the request, hence not the disclosure
    other_view = await other_agency.data(READ, {"id": released["id"]})
    assert other_view["request"] is None

    assert await downloads_recorded(container, disclosure["id"]) == []
    first = await flow.download(path, flow.agency.token)
    second = await flow.download(path, flow.agency.token)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    events = await downloads_recorded(container, disclosure["id"])
    assert len(events) == 2
    for event in events:
        assert event.actor_kind == "agency"
        assert event.actor_id == flow.agency.client_id
        assert event.request_id == request_uuid(released["id"])
        assert json.loads(event.data)["sha256"] == disclosure["sha256"]


async def test_transaction_records_only_for_the_premium_account(
    flow: Flow, userdata: UserData
) -> None:
    targets = [
        {
            "identifierType": "EMAIL",
            "identifier": "suspect@example.com",
            "infoTypes": ["D"],
            "from": "2026-01-01",
            "to": "2026-06-30",
        },
        {"identifierType": "EMAIL", "identifier": "plain@example.com", "infoTypes": ["A", "D"]},
    ]
    req = await flow.submit(targets=targets)
    started = await flow.ok(flow.staff, "startReview", requestId=req["id"])
    by_key = {f"{i['target']['identifier']}/{i['infoType']}": i for i in started["items"]}
    plain_d = by_key["plain@example.com/D"]
    assert plain_d["outcome"] is None  # a finding for the reviewer, not a decision
    assert by_key["suspect@example.com/D"]["outcome"] is None

    # the reviewer cannot approve it
    errors = await flow.refused(
        flow.staff,
        "decideRequest",
        requestId=req["id"],
        version=started["version"],
        decisions=[{"itemId": plain_d["id"], "outcome": "APPROVE"}],
    )
    assert {e["code"] for e in errors} == {"NOT_PREMIUM"}

    decided = await flow.ok(
        flow.staff,
        "decideRequest",
        requestId=req["id"],
        version=started["version"],
        decisions=[
            {"itemId": by_key["suspect@example.com/D"]["id"], "outcome": "APPROVE"},
            {"itemId": by_key["plain@example.com/A"]["id"], "outcome": "APPROVE"},
            {
                "itemId": plain_d["id"],
                "outcome": "REJECT",
                "reasonCode": "NOT_PREMIUM",
                "explanation": "No premium service on this account.",
            },
        ],
    )
    assert decided["status"] == "PARTIALLY_APPROVED"
    released = await flow.ok(flow.staff, "releaseDisclosure", requestId=req["id"])
    r = await flow.download(released["disclosure"]["downloadPath"], flow.agency.token)
    assert r.status_code == 200
    package = json.loads(r.content)
    assert_package_holds_exactly(
        package,
        [
            Approved(
                "email",
                "suspect@example.com",
                InfoType.D,
                "approve",
                ALL[InfoType.D],
                date(2026, 1, 1),
                date(2026, 6, 30),
            ),
            Approved(
                "email", "plain@example.com", InfoType.A, "approve", ALL[InfoType.A], None, None
            ),
        ],
        userdata,
    )
    orders = package["targets"][0]["items"][0]["records"]
    assert [o["order_number"] for o in orders] == ["ORD-suspect-1", "ORD-suspect-2"]
    for record in userdata.people["plain"].orders + userdata.people["bystander"].orders:
        assert record["order_number"] not in r.text
        assert record["delivery_address"] not in r.text


# --- refusals -------------------------------------------------------------------------------------


async def disclosure_count(container: Container) -> int:
    async with container.db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(Disclosure)) or 0)


async def test_release_is_refused_twice_before_approval_and_for_an_agency(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    # from IN_REVIEW
    req = await flow.submit(targets=SUSPECT_TARGETS)
    await flow.ok(flow.staff, "startReview", requestId=req["id"])
    errors = await flow.refused(flow.staff, "releaseDisclosure", requestId=req["id"])
    assert {e["code"] for e in errors} == {"INVALID_TRANSITION"}
    assert "IN_REVIEW" in errors[0]["message"]
    assert (await flow.read(req["id"]))["status"] == "IN_REVIEW"
    assert await disclosure_count(container) == 0

    # by the agency itself
    approved = await flow.approved_request(SUSPECT_TARGETS)
    flow.clock.advance(timedelta(seconds=1))
    r = await flow.agency.gql(
        mutation("releaseDisclosure"), {"input": {"requestId": approved["id"]}}
    )
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
    assert (body.get("data") or {}).get("releaseDisclosure") is None
    assert (await flow.read(approved["id"]))["status"] == "APPROVED"
    assert await disclosure_count(container) == 0

    # twice
    first = await flow.ok(flow.staff, "releaseDisclosure", requestId=approved["id"])
    assert first["status"] == "DISCLOSED"
    errors = await flow.refused(flow.staff, "releaseDisclosure", requestId=approved["id"])
    assert {e["code"] for e in errors} == {"INVALID_TRANSITION"}
    after = await flow.read(approved["id"])
    assert after["disclosure"] == first["disclosure"]
    assert after["version"] == first["version"]
    assert await disclosure_count(container) == 1


async def test_releasing_a_request_the_reviewer_rejected_is_refused(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    reject = {"outcome": "REJECT", "reasonCode": "NO_LEGAL_BASIS", "explanation": "No warrant."}
    req = await flow.approved_request([SUSPECT_TARGETS[1]], decide={"C6N1234567/B": reject})
    assert req["status"] == "REJECTED"
    errors = await flow.refused(flow.staff, "releaseDisclosure", requestId=req["id"])
    assert {e["code"] for e in errors} == {"INVALID_TRANSITION"}
    assert await disclosure_count(container) == 0


# --- at rest ----------------------------------------------------------------------------------


async def chunks_of(container: Container, disclosure_id: str) -> list[DisclosureChunk]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(DisclosureChunk)
            .where(DisclosureChunk.disclosure_id == uuid.UUID(disclosure_id))
            .order_by(DisclosureChunk.idx)
        )
        return list(rows.all())


async def test_the_stored_package_is_encrypted(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    released = await flow.released(SUSPECT_TARGETS)
    disclosure = released["disclosure"]
    chunks = await chunks_of(container, disclosure["id"])
    assert chunks
    stored = b"".join(c.ciphertext for c in chunks)
    assert len(stored) >= disclosure["size"]
    suspect = userdata.people["suspect"]
    for value in (
        suspect.account["email"],
        suspect.account["username"],
        suspect.products[0]["verification_code"],
        suspect.usage[4]["ip_address"],
        "trustcenter-disclosure/1",
    ):
        assert value.encode() not in stored
        assert value.encode() not in b"".join(c.nonce for c in chunks)
    async with container.db.reader() as s:
        row = await s.get(Disclosure, uuid.UUID(disclosure["id"]))
    assert row is not None and row.key_id == container.disclosure_keys.current_id
    # ...and yet the agency reads the plaintext
    r = await flow.download(disclosure["downloadPath"], flow.agency.token)
    assert suspect.account["email"] in r.text


def assert_integrity_failure(r: Any, userdata: UserData) -> None:
    assert r.status_code == 500
    assert r.json()["error"] == "integrity"
    for value in userdata.everything():
        assert value not in r.text


async def test_a_package_copied_onto_another_request_does_not_open(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    first = await flow.released(SUSPECT_TARGETS)
    second = await flow.released(SUSPECT_TARGETS)  # the same shape: one chunk each
    a, b = first["disclosure"], second["disclosure"]
    a_chunks, b_chunks = await chunks_of(container, a["id"]), await chunks_of(container, b["id"])
    assert len(a_chunks) == len(b_chunks)
    async with container.db.transaction() as s:
        for chunk in a_chunks:
            await s.execute(
                update(DisclosureChunk)
                .where(
                    DisclosureChunk.disclosure_id == uuid.UUID(b["id"]),
                    DisclosureChunk.idx == chunk.idx,
                )
                .values(nonce=chunk.nonce, ciphertext=chunk.ciphertext)
            )
    moved = await flow.download(b["downloadPath"], flow.agency.token)
    assert_integrity_failure(moved, userdata)
    # the original still opens
    assert (await flow.download(a["downloadPath"], flow.agency.token)).status_code == 200


async def test_a_package_whose_whole_row_is_moved_to_another_request_does_not_open(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    """Even with its digest, size and chunk count copied too: the chunks name their request."""
    first = await flow.released(SUSPECT_TARGETS)
    second = await flow.released(SUSPECT_TARGETS)
    a, b = first["disclosure"], second["disclosure"]
    async with container.db.transaction() as s:
        source = await s.get(Disclosure, uuid.UUID(a["id"]))
        assert source is not None
        await s.execute(
            update(Disclosure)
            .where(Disclosure.id == uuid.UUID(b["id"]))
            .values(sha256=source.sha256, size=source.size, chunk_count=source.chunk_count)
        )
        await s.execute(
            update(DisclosureChunk)
            .where(DisclosureChunk.disclosure_id == uuid.UUID(b["id"]))
            .values(ciphertext=b"")
        )
        for chunk in await chunks_of(container, a["id"]):
            await s.execute(
                update(DisclosureChunk)
                .where(
                    DisclosureChunk.disclosure_id == uuid.UUID(b["id"]),
                    DisclosureChunk.idx == chunk.idx,
                )
                .values(nonce=chunk.nonce, ciphertext=chunk.ciphertext)
            )
    assert_integrity_failure(await flow.download(b["downloadPath"], flow.agency.token), userdata)


async def test_a_flipped_byte_at_rest_is_detected(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    released = await flow.released(SUSPECT_TARGETS)
    disclosure = released["disclosure"]
    chunk = (await chunks_of(container, disclosure["id"]))[0]
    tampered = bytearray(chunk.ciphertext)
    tampered[len(tampered) // 2] ^= 0x01
    async with container.db.transaction() as s:
        await s.execute(
            update(DisclosureChunk)
            .where(
                DisclosureChunk.disclosure_id == chunk.disclosure_id,
                DisclosureChunk.idx == chunk.idx,
            )
            .values(ciphertext=bytes(tampered))
        )
    assert_integrity_failure(
        await flow.download(disclosure["downloadPath"], flow.agency.token), userdata
    )


async def test_a_package_cut_short_is_detected(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    released = await flow.released(SUSPECT_TARGETS)
    disclosure = released["disclosure"]
    async with container.db.transaction() as s:
        await s.execute(
            update(Disclosure)
            .where(Disclosure.id == uuid.UUID(disclosure["id"]))
            .values(chunk_count=Disclosure.chunk_count + 1)
        )
    assert_integrity_failure(
        await flow.download(disclosure["downloadPath"], flow.agency.token), userdata
    )


# --- property: random decisions never let anything outside the approved scope out -----------

AGENCY_SCOPES = frozenset({"requests:submit", "requests:read", "disclosures:read"})
STAFF = Principal(PrincipalKind.STAFF, client_id="reviewer-1", scopes=frozenset({"review"}))
PROPERTY_TARGETS = [
    (IdentifierType.EMAIL, "suspect@example.com"),
    (IdentifierType.EMAIL, "plain@example.com"),
    (IdentifierType.EMAIL, "bystander@example.com"),
    (IdentifierType.SERIAL_NUMBER, "C6N1234567"),
    (IdentifierType.EMAIL, "nobody@example.com"),  # the company holds no such account
]
FIRST_DAY = date(2025, 12, 1)
days = st.integers(min_value=0, max_value=300).map(lambda n: FIRST_DAY + timedelta(days=n))


def ordered(a: date | None, b: date | None) -> tuple[date | None, date | None]:
    if a and b and b < a:
        return b, a
    return a, b


@st.composite
def target_drafts(draw: st.DrawFn) -> tuple[TargetDraft, ...]:
    chosen = draw(
        st.lists(
            st.sampled_from(PROPERTY_TARGETS),
            min_size=1,
            max_size=len(PROPERTY_TARGETS),
            unique=True,
        )
    )
    out = []
    for kind, identifier in chosen:
        infos = draw(st.sets(st.sampled_from(list(InfoType)), min_size=1))
        lo, hi = ordered(draw(st.none() | days), draw(st.none() | days))
        out.append(TargetDraft(kind, identifier, tuple(sorted(infos)), lo, hi))
    return tuple(out)


def within(draw: st.DrawFn, lo: date | None, hi: date | None) -> tuple[date | None, date | None]:
    """A range inside [lo, hi] (either end may stay as requested)."""
    start = lo or FIRST_DAY - timedelta(days=30)
    end = hi or FIRST_DAY + timedelta(days=330)
    a = draw(
        st.none() | st.integers(0, (end - start).days).map(lambda n: start + timedelta(days=n))
    )
    b = draw(
        st.none() | st.integers(0, (end - start).days).map(lambda n: start + timedelta(days=n))
    )
    return ordered(a, b)


def draw_decision(draw: st.DrawFn, info: InfoType, lo: date | None, hi: date | None) -> Decision:
    outcome = draw(
        st.sampled_from(
            [
                DecisionOutcome.APPROVE,
                DecisionOutcome.NARROW,
                DecisionOutcome.NARROW,
                DecisionOutcome.REJECT,
                DecisionOutcome.OBJECT,
            ]
        )
    )
    if outcome is DecisionOutcome.APPROVE:
        return Decision(outcome)
    if outcome is not DecisionOutcome.NARROW:
        return Decision(outcome, ReasonCode.OVERBROAD.value, "Too broad for the case.")
    fields = draw(st.none() | st.sets(st.sampled_from(FIELDS[info]), min_size=1))
    a, b = within(draw, lo, hi)
    if fields is None and a is None and b is None:
        fields = {FIELDS[info][0]}
    return Decision(
        outcome,
        ReasonCode.OVERBROAD.value,
        None,
        a,
        b,
        tuple(sorted(fields)) if fields is not None else None,
    )


async def new_agency(world: World) -> Principal:
    agency_id = await world.agency("DE")
    return Principal(
        PrincipalKind.AGENCY,
        client_id="agency-client-1",
        agency_id=agency_id,
        agency_verified=True,
        scopes=AGENCY_SCOPES,
    )


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_random_decisions_never_disclose_anything_outside_the_approved_scope(
    data: st.DataObject, container: Container, world: World, userdata: UserData
) -> None:
    c = container
    agency = await new_agency(world)
    targets = data.draw(target_drafts(), label="targets")
    draft = SubmissionDraft(
        jurisdiction="DE",
        officer=Officer(name="K. Weber", email="k.weber@polizei.example"),
        legal_basis=LegalBasisDraft(
            LegalBasisKind.WARRANT,
            "AG-2026-7",
            "Amtsgericht Tiergarten",
            date(2026, 11, 1),
            document=b"%PDF-1.4 warrant",  # approving needs the legal document
        ),
        targets=targets,
        reason="Property test",
    )
    submitted = await submit_request(c.db, c.clock, agency, draft)
    request_id = submitted.request.id
    started = await review.start_review(c.db, c.clock, STAFF, request_id)

    async with c.db.reader() as s:
        rows = (
            await s.execute(
                select(RequestedItem, Target)
                .join(Target, Target.id == RequestedItem.target_id)
                .where(RequestedItem.request_id == request_id)
                .order_by(Target.position, RequestedItem.info_type)
            )
        ).all()
    decisions: list[review.ItemDecision] = []
    approved: list[Approved] = []
    for item, target in rows:
        info = InfoType(item.info_type)
        assert item.outcome is None  # nothing is decided but by a person
        owner = userdata.owner(target.identifier_type, target.identifier)
        if info is InfoType.D and owner is not None and not owner.premium:
            # approving D of an account without a premium service is refused: the reviewer
            # rejects it, and the agency reads NO_RESPONSIVE_DATA
            decisions.append(
                review.ItemDecision(
                    item.id, Decision(DecisionOutcome.REJECT, "NOT_PREMIUM", "No premium service.")
                )
            )
            continue
        decision = draw_decision(data.draw, info, item.range_from, item.range_to)
        decisions.append(review.ItemDecision(item.id, decision))
        if decision.outcome in (DecisionOutcome.APPROVE, DecisionOutcome.NARROW):
            fields = frozenset(decision.fields) if decision.fields is not None else ALL[info]
            approved.append(
                Approved(
                    target.identifier_type,
                    target.identifier,
                    info,
                    decision.outcome.value,
                    fields,
                    decision.approved_from or item.range_from,
                    decision.approved_to or item.range_to,
                )
            )
    if decisions:
        await review.decide(c.db, c.clock, STAFF, request_id, started.version, decisions)
    owners = {t.identifier: userdata.owner(t.identifier_type.value, t.identifier) for t in targets}

    if not approved:
        with pytest.raises(DomainError) as refused:
            await release(c.db, c.clock, STAFF, c.disclosure_keys, c.data_source, request_id)
        assert refused.value.problems[0].code is ErrorCode.INVALID_TRANSITION
        async with c.db.reader() as s:
            assert (
                await s.scalar(select(Disclosure).where(Disclosure.request_id == request_id))
                is None
            )
        return

    row = await release(c.db, c.clock, STAFF, c.disclosure_keys, c.data_source, request_id)
    assert row.status == "disclosed"
    async with c.db.reader() as s:
        disclosure = await s.scalar(select(Disclosure).where(Disclosure.request_id == request_id))
    assert disclosure is not None
    opened, stream = await open_for_download(
        c.db, c.clock, agency, c.disclosure_keys, disclosure.id
    )
    body = b"".join([piece async for piece in stream])
    assert hashlib.sha256(body).hexdigest() == opened.sha256
    assert len(body) == opened.size
    package = json.loads(body)
    # D only where the account used a premium service, whatever the reviewer chose: for an
    # account the company does not hold, an approved D item is left out
    allowed = [
        a
        for a in approved
        if a.info is not InfoType.D or (owners[a.identifier] and owners[a.identifier].premium)
    ]
    assert_package_holds_exactly(package, allowed, userdata)
    assert opened.record_count == sum(
        len(i["records"]) for t in package["targets"] for i in t["items"]
    )
