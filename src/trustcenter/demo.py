"""A realistic demo data set: agencies, users with their devices and records, and requests.

Deterministic for a seed and placed relative to the clock, so that it always looks current:
requests arrive over the whole of last year and this year up to now. Loading is a no-op when the
demo data is already there. The fixed tables (names, models, texts) are in :mod:`demo_data`.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple, TypeVar

from sqlalchemy import FromClause, select

from trustcenter import demo_data as data
from trustcenter.clock import Clock
from trustcenter.db import models as m
from trustcenter.db.repositories.audit import record
from trustcenter.db.session import Database
from trustcenter.demo_notices import add_notices
from trustcenter.domain.audit import Actor
from trustcenter.domain.enums import IdentifierType, InfoType
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.report import Outcome, outcome_after
from trustcenter.domain.rules import default_deadline, derive_category

#: an agency with this name exists exactly when the demo data has been loaded
MARKER = data.AGENCIES[0].name
#: the tables DemoSummary counts, in the order of its fields
COUNTED = (m.Agency, m.Account, m.Product, m.UsageEvent, m.Order, m.SupportRecord, m.Request)
DAY, HOUR, MINUTE = timedelta(days=1), timedelta(hours=1), timedelta(minutes=1)
S, Info, ID = RequestStatus, InfoType, IdentifierType
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


async def load_demo(db: Database, clock: Clock, *, seed: int = 2026) -> DemoSummary | None:
    """Insert the demo data in one transaction; None (and no change) when it is already there."""
    async with db.transaction() as session:
        marker = select(m.Agency.id).where(m.Agency.name == MARKER).limit(1)
        if await session.scalar(marker) is not None:
            return None
        demo = _Demo(random.Random(seed), clock.now())
        for table in m.Base.metadata.sorted_tables:  # parents before children
            session.add_all(demo.rows[table])
            await session.flush()
        notices = await add_notices(session, demo.now, random.Random(seed + 1))
        counts = [len(demo.rows[model.__table__]) for model in COUNTED]
        summary = replace(DemoSummary(*counts), notices=notices)
        await record(
            session, clock, Actor.operator(), "demo.loaded", ("demo", seed), data=asdict(summary)
        )
    return summary


class _Pick(NamedTuple):
    """A request target as the agency names it, and what the company holds about it."""

    kind: IdentifierType
    identifier: str
    infos: tuple[InfoType, ...]
    held: bool = True
    premium: bool = False


class _Demo:
    """Builds every row in memory; ``rows`` maps each table to its new rows in insert order."""

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
        for step in (self._agencies, self._accounts, self._products, self._records,
                     self._requests):  # fmt: skip
            step()

    def _add(self, row: RowT) -> RowT:
        self.rows[row.__table__].append(row)
        return row

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _between(self, low: datetime, high: datetime) -> datetime:
        return low + (high - low) * self.rng.random()

    def _unique(self, make: Callable[[random.Random, ArgT], str], arg: ArgT) -> str:
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
            username = self._unique(data.username, region)
            account = self._add(m.Account(
                id=self._id(), username=username, email=self._unique(data.email, username),
                phone=self._unique(data.phone, region), region=region,
                language=data.LANGUAGE[region], background=rng.choice(data.BACKGROUNDS),
                registered_at=self.now - rng.uniform(20, 5 * 365) * DAY,
            ))  # fmt: skip
            self.accounts.append(account)
        for n, account in enumerate(rng.sample(self.accounts, len(self.accounts) // 3 + 1)):
            started = self._between(account.registered_at, self.now - 7 * DAY)
            ended = self._between(started, self.now) if n < 2 else None  # two have cancelled
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
                id=self._id(), serial_number=self._unique(data.serial, prefix), name=name,
                model=model, verification_code="".join(rng.choices(data.SERIAL_CHARS[:24], k=6)),
                account_id=owner.id if owner else None,
                bound_at=self._between(owner.registered_at, self.now - DAY) if owner else None,
                network_environment=network if owner else None,
            )))  # fmt: skip

    def _records(self) -> None:
        """C: logins over the last year and devices going offline; D: orders; E: support."""
        rng, year_ago, versions = self.rng, self.now - 365 * DAY, data.APP_VERSIONS
        home_ip = {account.id: data.ip_address(rng) for account in self.accounts}
        for account in self.accounts:
            devices = rng.sample(data.CLIENT_DEVICES, rng.randint(1, 2))
            for _ in range(rng.randint(4, 10)):
                at = self._between(max(account.registered_at, year_ago), self.now - 5 * MINUTE)
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
                placed = self._between(account.registered_at, self.now - DAY)
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
                    created_at=self._between(account.registered_at, self.now - HOUR),
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
                off = self._between(max(product.bound_at, year_ago), self.now - 7 * HOUR)
                back = off + rng.uniform(5, 360) * MINUTE
                for kind, at in (("device_offline", off), ("device_online", back)):
                    self._add(m.UsageEvent(
                        account_id=product.account_id, product_id=product.id, kind=kind,
                        occurred_at=at, ip_address=home_ip[product.account_id],
                    ))  # fmt: skip

    # -- requests ---------------------------------------------------------------------------

    def _requests(self) -> None:
        rng = self.rng
        statuses = [S(s) for s, n, _ in data.STATUS_PLAN for _ in range(n)]
        urgent = [i < e for _, n, e in data.STATUS_PLAN for i in range(n)]
        quota = [k for k, n in data.REQUEST_QUOTA.items() for _ in range(n)]
        rng.shuffle(quota)
        police = [k for k in quota if self.seeds[k].kind == data.LE][: sum(urgent)]
        for key in police:  # emergencies come from the police
            quota.remove(key)
        senders = [police.pop() if emergency else quota.pop() for emergency in urgent]
        revisions = iter(S(s) for s in data.REVISION_STATUSES)
        for key, status, emergency in zip(senders, statuses, urgent, strict=True):
            if status is not S.SUPERSEDED:
                self._request(key, status, emergency, self._received(status, emergency))
                continue
            revised_status = next(revisions)
            revised_at = self._received(revised_status, False)
            received = max(self.start + DAY, revised_at - rng.uniform(2, 12) * DAY)
            old = self._request(key, status, False, received, updated=revised_at)
            self._request(key, revised_status, False, revised_at, revises=old)

    def _received(self, status: RequestStatus, emergency: bool) -> datetime:
        if emergency and status in (S.IN_REVIEW, S.APPROVED):
            return self.now - self.rng.uniform(1, 6) * HOUR
        if age := data.OPEN_AGE.get(status):
            return self.now - self.rng.uniform(*age) * DAY
        this_year = datetime(self.now.year, 1, 1, tzinfo=UTC)  # finished ones: 60 % last year
        if self.rng.random() < 0.6:
            return self._between(self.start + 20 * DAY, this_year)
        return self._between(this_year, self.now - 30 * DAY)

    def _pick(self, dirty: bool, emergency: bool) -> _Pick:
        """A target; a dirty one may name nothing held, or ask D of a non-premium account."""
        rng = self.rng
        if dirty and rng.random() < 0.2:
            while (unknown := _Pick(*data.not_held(rng), held=False)).identifier in self.used:
                continue
            return unknown
        weights = (30, 15, 20, 0, 0) if emergency else (30, 15, 20, 25, 10)
        kind = rng.choices(list(ID), weights=weights)[0]
        if kind is ID.SERIAL_NUMBER:
            infos = (Info.A, Info.B, Info.C) if rng.random() < 0.4 else (Info.B, Info.C)
            return _Pick(kind, rng.choice(self.products).serial_number, infos)
        if kind is ID.ORDER_ID:
            asked = (Info.A, Info.D) if rng.random() < 0.5 else (Info.D,)
            return _Pick(kind, rng.choice(self.orders).order_number, asked, premium=True)
        account = rng.choice(self.accounts)
        premium = account.id in self.premium
        wanted = {Info.A, Info.C} if emergency or rng.random() < 0.7 else {Info.A}
        if not emergency and rng.random() < 0.3:
            wanted.add(Info.E)
        if not emergency and (premium or dirty) and rng.random() < (0.5 if dirty else 0.35):
            wanted.add(Info.D)
        wanted |= set() if len(wanted) > 1 else {Info.C}
        identifier = {ID.EMAIL: account.email, ID.PHONE: account.phone}.get(kind)
        return _Pick(kind, identifier or account.username, tuple(sorted(wanted)), True, premium)

    def _request(self, key: str, status: RequestStatus, emergency: bool, received: datetime, *,
                 updated: datetime | None = None, revises: m.Request | None = None
                 ) -> m.Request:  # fmt: skip
        rng, seed, agency = self.rng, self.seeds[key], self.agencies[key]
        paths = data.DISCLOSED_PATHS if status is S.DISCLOSED else data.CLOSED_PATHS
        decided = data.DECIDED.get(status) or ("approve" if emergency else rng.choice(paths))
        clean, dirty_first = decided in ("approve", "object"), decided in ("reject", "none")
        picks: list[_Pick] = []
        for n in range(1 if emergency else rng.choices((1, 2, 3), weights=(6, 3, 1))[0]):
            pick = self._pick(not clean and (n > 0 or dirty_first), emergency)
            if all(p.identifier != pick.identifier for p in picks):
                picks.append(pick)
        basis = self._basis(seed, agency, received, emergency)
        category = derive_category(emergency, [(p.kind, p.infos) for p in picks])
        officer, email, phone = rng.choice(self.officers[key])
        if updated is None:
            end = min(self.now, received + (8 * HOUR if emergency else 45 * DAY))
            updated = received if status is S.RECEIVED else self._between(received, end)
        request_id = self._id()
        request = self._add(m.Request(
            id=request_id, agency_id=agency.id, legal_basis_id=basis.id,
            revision_of_id=revises.id if revises else None,
            jurisdiction=agency.region if agency.region and rng.random() < 0.3 else agency.country,
            country=agency.country, category=category.value, status=status.value,
            emergency=emergency,
            emergency_description=rng.choice(data.EMERGENCY_DESCRIPTIONS) if emergency else None,
            reason=data.EMERGENCY_REASON if emergency else rng.choice(data.REASONS[category]),
            officer_name=officer, officer_title=seed.officer_title, officer_email=email,
            officer_phone=phone, received_at=received, updated_at=updated,
            deadline=default_deadline(received, emergency), version=data.VERSION[status],
            payload_sha256=hashlib.sha256(request_id.bytes).hexdigest(),
        ))  # fmt: skip
        items: list[tuple[m.RequestedItem, _Pick]] = []
        for position, pick in enumerate(picks):
            target = self._add(m.Target(
                id=self._id(), request_id=request.id, position=position,
                identifier_type=pick.kind.value, identifier=pick.identifier,
            ))  # fmt: skip
            span: tuple[date | None, date | None] = (None, None)
            if emergency:
                span = (received.date() - 2 * DAY, received.date())
            elif rng.random() < 0.6:
                until = received.date() - rng.randint(0, 14) * DAY
                span = (until - rng.randint(30, 365) * DAY, until)
            for info in pick.infos:
                low, high = span if info in (Info.C, Info.D) else (None, None)
                items.append((self._add(m.RequestedItem(
                    id=self._id(), request_id=request.id, target_id=target.id,
                    info_type=info.value, range_from=low, range_to=high,
                )), pick))  # fmt: skip
        self._decide(decided, items)
        outcome = _OUTCOMES.get(decided) or outcome_after(Outcome.PENDING, status).value
        request.report_outcome = outcome  # releases become "with_data" in demo_notices
        request.responded_at = updated if decided in ("reject", "object") else None
        return request

    def _basis(self, seed: data.AgencySeed, agency: m.Agency, received: datetime,
               emergency: bool) -> m.LegalBasis:  # fmt: skip
        rng = self.rng
        if emergency:
            kind, issued_by, issued = "emergency_declaration", agency.name, received.date()
        else:
            kind, issued_by = rng.choice(seed.bases)
            issued = received.date() - rng.randint(1, 25) * DAY
        prefix = f"{seed.ref_prefix}-{issued.year}-"
        reference = self._unique(lambda r, p: f"{p}{r.randint(100, 9999)}", prefix)
        expires = received.date() + rng.randint(30, 180) * DAY
        expiring = kind in ("warrant", "court_order") and rng.random() < 0.5
        gag = issued + rng.randint(180, 540) * DAY if rng.random() < 0.25 else None
        pdf = data.DOCUMENT.format(reference=reference, issued_by=issued_by, issued=issued).encode()
        return self._add(m.LegalBasis(
            id=self._id(), kind=kind, reference=reference, issued_by=issued_by, issued_at=issued,
            expires_at=expires if expiring else None, non_disclosure_until=gag, document=pdf,
            document_sha256=hashlib.sha256(pdf).hexdigest(), document_size=len(pdf),
            created_at=received,
        ))  # fmt: skip

    def _decide(self, decided: str, items: list[tuple[m.RequestedItem, _Pick]]) -> None:
        """Item outcomes consistent with how the whole request was decided."""
        if decided == "none":
            return
        if decided == "question":
            _mark(items[0][0], "question", self.rng.choice(data.QUESTION_CODES))
            return
        fine = [item for item, pick in items if not _refused_anyway(item, pick)]
        if decided == "partial" and len(fine) == len(items):  # the reviewer refuses one item
            refusal = self.rng.choice(data.REFUSE_CODES)
            _mark(fine.pop(), "object" if refusal == "overbroad" else "reject", refusal)
        codes = {"object": data.OBJECT_CODES, "reject": data.REJECT_CODES}.get(decided)
        code = self.rng.choice(codes) if codes else None
        for item in fine:
            low, high = item.range_from, item.range_to
            wide = item.info_type == Info.C and low and high and (high - low).days > 90
            if decided == "partial" and wide:
                _mark(item, "narrow", "overbroad", data.NARROWED.format(until=high))
            else:
                _mark(item, "approve" if decided == "partial" else decided, code)


#: how a request was decided -> what it counts as in the transparency report
_OUTCOMES = {
    "approve": "approved", "partial": "approved", "reject": "rejected", "object": "challenged",
    "question": "challenged",
}  # fmt: skip


def _refused_anyway(item: m.RequestedItem, pick: _Pick) -> bool:
    """Refused whatever the reviewer thinks: nothing is held, or D without a premium service."""
    no_premium = item.info_type == Info.D and not pick.premium
    if not pick.held or no_premium:
        _mark(item, "reject", "not_premium" if pick.held else "not_held")
    return not pick.held or no_premium


def _mark(item: m.RequestedItem, outcome: str, code: str | None, explanation: str = "") -> None:
    item.outcome, item.reason_code = outcome, code
    item.explanation = explanation or (data.EXPLANATIONS[code] if code else None)
