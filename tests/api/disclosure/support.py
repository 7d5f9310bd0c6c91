"""The company's user data for the disclosure tests, and the oracle: what a package must hold,
computed here from the seeded data, independent of the code under test.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from strawberry.relay import from_base64

from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    Account,
    Order,
    PremiumSubscription,
    Product,
    SupportRecord,
    UsageEvent,
)
from trustcenter.domain.enums import (
    InfoType,
)
from trustcenter.domain.minimization import FIELDS

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


REQUEST_FIELDS = """id status version
  items { id infoType from to outcome reasonCode explanation target { identifierType identifier } }
  disclosure { id sha256 size recordCount releasedAt downloadPath }"""

READ = f"query($id: ID!) {{ request(id: $id) {{ {REQUEST_FIELDS} }} }}"


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
