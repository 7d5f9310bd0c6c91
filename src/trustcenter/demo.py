"""A realistic demo data set: agencies, users with their devices and records, and requests.

Deterministic for a seed and placed relative to the clock, so that it always looks current:
requests arrive over the whole of last year and this year up to now. Loading is a no-op when the
demo data is already there. The fixed tables (names, models, texts) are in :mod:`demo_data`; the
requests are made and moved on through the services (:mod:`demo_requests`), so the demo holds
only what the product can reach; the user notices of the releases are :mod:`demo_notices`.
"""

from __future__ import annotations

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import FromClause, select

from trustcenter import demo_data as data
from trustcenter.clock import Clock, FixedClock
from trustcenter.db import models as m
from trustcenter.db.repositories.audit import record
from trustcenter.db.session import Database
from trustcenter.db.uow import UnitOfWorks
from trustcenter.demo_notices import add_notices
from trustcenter.demo_requests import Planner, Player, seeded_ids
from trustcenter.disclosure.keyring import KeyRing
from trustcenter.disclosure.sources import DataSource, SqlDataSource
from trustcenter.domain.audit import UNNAMED_OPERATOR, Actor
from trustcenter.domain.report_policy import Exclusion
from trustcenter.plugins.host import PluginHost, builtin_host

#: an agency with this name exists exactly when the demo data has been loaded
MARKER = data.AGENCIES[0].name
#: the tables DemoSummary counts, in the order of its fields (requests: those it submits)
COUNTED = (m.Agency, m.Account, m.Product, m.UsageEvent, m.Order, m.SupportRecord)
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
RowT = TypeVar("RowT", bound=m.Base)
ArgT = TypeVar("ArgT")


@dataclass(frozen=True)
class DemoSummary:
    agencies: int
    accounts: int
    products: int
    usage_events: int
    orders: int
    support_records: int
    requests: int
    notices: int = 0

    def describe(self) -> str:
        return (
            f"demo data loaded: {self.agencies} agencies, {self.accounts} accounts, "
            f"{self.products} products, {self.usage_events} usage events, {self.orders} orders, "
            f"{self.support_records} support records, {self.requests} requests, "
            f"{self.notices} user notices"
        )


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """The settings part of :class:`DemoParts`; the services the demo plays read none of it."""

    issuer: str = "trustcenter-demo"
    default_page_size: int = 20
    max_page_size: int = 100
    due_soon_hours: int = 48
    #: the demo's history was played by one reviewer per release
    release_approvers: int = 1
    production: bool = False
    secret_key_bytes: bytes | None = None


@dataclass(frozen=True, slots=True)
class DemoParts:
    """The application's parts the demo's requests are played with (it satisfies
    ``services.deps.AppParts``): the core's own rules, the demo users' own tables as the data
    source, and a clock the player sets to each step."""

    uow: UnitOfWorks
    clock: FixedClock
    plugins: PluginHost
    data_source: DataSource
    disclosure_keys: KeyRing
    settings: DemoSettings = DemoSettings()

    async def report_exclusions(self) -> list[Exclusion]:
        return []


async def load_demo(
    db: Database,
    clock: Clock,
    *,
    keys: KeyRing,
    seed: int = 2026,
    operator: Actor = UNNAMED_OPERATOR,
) -> DemoSummary | None:
    """Load the demo data; None (and no change) when it is already there. The agencies and the
    users' data are inserted in one transaction; then every request goes through the services,
    each step in its own (releases sealed with ``keys``); then the notices (``operator``: who
    loads it, as the audit trail names them).

    The requests are played under the core's own rules and read from trustcenter's own tables
    (the demo's users), whatever plugins the deployment runs: the same demo wherever it is
    loaded, and never a release fetched from a plugin's data source."""
    async with db.transaction() as session:
        marker = select(m.Agency.id).where(m.Agency.name == MARKER).limit(1)
        if await session.scalar(marker) is not None:
            return None
        world = World(random.Random(seed), clock.now())
        for table in m.Base.metadata.sorted_tables:  # parents before children
            session.add_all(world.rows[table])
            await session.flush()
    plans = Planner(world).plans()
    start = FixedClock(datetime(2000, 1, 1, tzinfo=UTC))
    parts = DemoParts(UnitOfWorks(db), start, builtin_host(), SqlDataSource(db), keys)
    player = Player(parts, seeded_ids(seed + 2))
    await player.play(plans)
    async with db.transaction() as session:
        notices = await add_notices(session, world.now, random.Random(seed + 1))
        agencies, accounts, products, events, orders, support = (
            len(world.rows[model.__table__]) for model in COUNTED
        )
        summary = DemoSummary(
            agencies, accounts, products, events, orders, support, len(plans), notices
        )
        await record(session, clock, operator, "demo.loaded", ("demo", seed), data=asdict(summary))
    return summary


class World:
    """The agencies and the company's users with their data, every row built in memory
    (``rows`` maps each table to its new rows in insert order); the requests are planned on it
    (:class:`demo_requests.Planner`)."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng, self.now = rng, now
        self.start = datetime(now.year - 1, 1, 1, tzinfo=UTC)
        self.seeds = {s.key: s for s in data.AGENCIES}
        self.rows: defaultdict[FromClause, list[m.Base]] = defaultdict(list)
        self.agencies: dict[str, m.Agency] = {}
        self.officers: dict[str, list[tuple[str, str, str]]] = {}
        self.accounts: list[m.Account] = []
        self.premium: dict[uuid.UUID, m.PremiumSubscription] = {}
        self.products: list[m.Product] = []
        self.orders: list[m.Order] = []
        self.used: set[str] = set()
        for step in (self._agencies, self._accounts, self._products, self._records):
            step()

    def _add(self, row: RowT) -> RowT:
        self.rows[row.__table__].append(row)
        return row

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def between(self, low: datetime, high: datetime) -> datetime:
        return low + (high - low) * self.rng.random()

    def unique(self, make: Callable[[random.Random, ArgT], str], arg: ArgT) -> str:
        while (value := make(self.rng, arg)) in self.used:
            continue
        self.used.add(value)
        return value

    # -- agencies, and the company's users and their data -----------------------------------

    def _agencies(self) -> None:
        rng = self.rng
        for seed in data.AGENCIES:
            if seed.verification == data.PEN:
                created, verified = self.now - rng.uniform(3, 25) * DAY, None
            else:
                created = self.start - rng.uniform(30, 900) * DAY
                verified = created + rng.uniform(2, 30) * DAY
            self.agencies[seed.key] = self._add(m.Agency(
                id=self._id(), name=seed.name, kind=seed.kind, country=seed.country,
                region=seed.region, contact_email=f"lawful-requests@{seed.domain}",
                verification=seed.verification, created_at=created, verified_at=verified,
            ))  # fmt: skip
            self.officers[seed.key] = [data.officer(rng, seed) for _ in range(rng.randint(1, 2))]

    def _accounts(self) -> None:
        rng = self.rng
        regions = [r for r, n in data.ACCOUNT_REGIONS.items() for _ in range(n)]
        rng.shuffle(regions)
        for region in regions:
            username = self.unique(data.username, region)
            account = self._add(m.Account(
                id=self._id(), username=username, email=self.unique(data.email, username),
                phone=self.unique(data.phone, region), region=region,
                language=data.LANGUAGE[region], background=rng.choice(data.BACKGROUNDS),
                registered_at=self.now - rng.uniform(20, 5 * 365) * DAY,
            ))  # fmt: skip
            self.accounts.append(account)
        for n, account in enumerate(rng.sample(self.accounts, len(self.accounts) // 3 + 1)):
            started = self.between(account.registered_at, self.now - 7 * DAY)
            ended = self.between(started, self.now) if n < 2 else None  # two have cancelled
            self.premium[account.id] = self._add(m.PremiumSubscription(
                id=self._id(), account_id=account.id, service="CloudPlay",
                started_at=started, ended_at=ended,
            ))  # fmt: skip

    def _products(self) -> None:
        rng = self.rng
        owners: list[m.Account | None] = [None] * 4  # a few products were never bound
        for account in self.accounts:
            owners += [account] * rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
        for owner in owners:
            name, model, prefix = rng.choice(data.PRODUCTS)
            link = "Bluetooth LE via Wi-Fi bridge" if model.startswith("DL") else None
            network = f"{link or rng.choice(data.NETWORKS)}, router {rng.choice(data.ROUTERS)}"
            self.products.append(self._add(m.Product(
                id=self._id(), serial_number=self.unique(data.serial, prefix), name=name,
                model=model, verification_code="".join(rng.choices(data.SERIAL_CHARS[:24], k=6)),
                account_id=owner.id if owner else None,
                bound_at=self.between(owner.registered_at, self.now - DAY) if owner else None,
                network_environment=network if owner else None,
            )))  # fmt: skip

    def _records(self) -> None:
        """C: logins over the last year and devices going offline; D: orders; E: support."""
        rng, year_ago, versions = self.rng, self.now - 365 * DAY, data.APP_VERSIONS
        home_ip = {account.id: data.ip_address(rng) for account in self.accounts}
        for account in self.accounts:
            devices = rng.sample(data.CLIENT_DEVICES, rng.randint(1, 2))
            for _ in range(rng.randint(4, 10)):
                at = self.between(max(account.registered_at, year_ago), self.now - 5 * MINUTE)
                version = versions[int((at - year_ago) / (self.now - year_ago) * len(versions))]
                away = data.ip_address(rng) if rng.random() < 0.25 else None
                self._add(m.UsageEvent(
                    account_id=account.id, kind="login", occurred_at=at,
                    ip_address=away or home_ip[account.id],
                    client_device_model=rng.choice(devices), app_version=version,
                ))  # fmt: skip
            address = data.address(rng, account.region)
            sub = self.premium.get(account.id)
            for n in range(rng.randint(1, 4) if sub else 0):  # the first buys the subscription
                goods, usd, shipped = rng.choice(data.GOODS[:2] if n == 0 else data.GOODS)
                placed = self.between(account.registered_at, self.now - DAY)
                amount, currency = data.price(usd, account.region)
                self.orders.append(self._add(m.Order(
                    id=self._id(), order_number="", account_id=account.id,
                    placed_at=sub.started_at if sub and n == 0 else placed, goods=goods,
                    amount=amount, currency=currency,
                    payment_method=rng.choice(data.PAYMENT[account.region]),
                    delivery_address=address if shipped else None,
                )))  # fmt: skip
            for _ in range(rng.randint(1, 2) if rng.random() < 0.7 else 0):
                kind = rng.choice(sorted(data.SUPPORT))
                self._add(m.SupportRecord(
                    id=self._id(), account_id=account.id, kind=kind,
                    created_at=self.between(account.registered_at, self.now - HOUR),
                    content=rng.choice(data.SUPPORT[kind]),
                ))  # fmt: skip
        number = rng.randint(100, 400)
        for order in sorted(self.orders, key=lambda o: o.placed_at):
            number += rng.randint(5, 900)
            order.order_number = f"ORD-{order.placed_at.year}-{number:06d}"
        for product in self.products:
            if product.account_id is None or product.bound_at is None:
                continue
            for _ in range(rng.randint(1, 3)):
                off = self.between(max(product.bound_at, year_ago), self.now - 7 * HOUR)
                back = off + rng.uniform(5, 360) * MINUTE
                for kind, at in (("device_offline", off), ("device_online", back)):
                    self._add(m.UsageEvent(
                        account_id=product.account_id, product_id=product.id, kind=kind,
                        occurred_at=at, ip_address=home_ip[product.account_id],
                    ))  # fmt: skip
