"""The demo data set: it is counted right, loads once, and has the spread a product demo needs."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import shutil
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import undefer

from tests.helpers import OPERATOR
from trustcenter.clock import FixedClock
from trustcenter.db import migrate
from trustcenter.db import models as m
from trustcenter.db.session import Database
from trustcenter.db.uow import UnitOfWorks
from trustcenter.demo import DemoSummary, load_demo
from trustcenter.disclosure.keyring import KeyRing
from trustcenter.domain.enums import IdentifierType, ReasonCode
from trustcenter.domain.lifecycle import TRANSITIONS, RequestStatus
from trustcenter.domain.submission import normalise_identifier

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
ALL_TABLES = (
    m.Agency, m.Account, m.Product, m.PremiumSubscription, m.UsageEvent, m.Order,
    m.SupportRecord, m.LegalBasis, m.Request, m.Target, m.RequestedItem,
)  # fmt: skip
DOC_NETS = [ipaddress.ip_network(n) for n in
            ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")]  # fmt: skip


@pytest.fixture(scope="module")
async def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty database at the head revision, migrated once; the demo is loaded into copies."""
    path = tmp_path_factory.mktemp("empty") / "empty.db"
    db = Database(f"sqlite+aiosqlite:///{path}")
    try:
        await migrate.upgrade(db.engine, db.url)
    finally:
        await db.dispose()
    return path


def _fresh(migrated_file: Path, path: Path) -> Database:
    shutil.copyfile(migrated_file, path)
    return Database(f"sqlite+aiosqlite:///{path}")


async def load(db: Database, clock: FixedClock) -> DemoSummary | None:
    """The demo, loaded through the services."""
    return await load_demo(db, clock, keys=KeyRing({"demo": bytes(32)}, "demo"))


@pytest.fixture(scope="module")
async def template(
    migrated_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, DemoSummary]:
    """The demo loaded once (it plays every request through the services); each test reads a
    copy of the database file."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    database = _fresh(migrated_file, path)
    try:
        summary = await load(database, FixedClock(NOW))
    finally:
        await database.dispose()
    assert summary is not None
    return path, summary


@pytest.fixture
async def loaded(template: tuple[Path, DemoSummary], tmp_path: Path) -> AsyncIterator[Database]:
    path = tmp_path / "t.db"
    shutil.copyfile(template[0], path)
    database = Database(f"sqlite+aiosqlite:///{path}")
    try:
        yield database
    finally:
        await database.dispose()


async def _counts(db: Database) -> dict[str, int]:
    async with db.reader() as session:
        return {
            t.__tablename__: await session.scalar(select(func.count()).select_from(t)) or 0
            for t in ALL_TABLES
        }


async def _all(db: Database, model: type[m.Base]) -> list[Any]:
    async with db.reader() as session:
        return list(await session.scalars(select(model)))


async def test_summary_counts_match_the_rows(
    template: tuple[Path, DemoSummary], loaded: Database
) -> None:
    summary = template[1]
    counts = await _counts(loaded)
    assert summary.agencies == counts["agencies"] >= 8
    assert summary.accounts == counts["accounts"] >= 35
    assert summary.products == counts["products"] > summary.accounts
    assert summary.usage_events == counts["usage_events"] >= 300
    assert summary.orders == counts["orders"] > 0
    assert summary.support_records == counts["support_records"] > 0
    assert summary.requests == counts["requests"] >= 55
    assert summary.describe().startswith(f"demo data loaded: {summary.agencies} agencies, ")
    assert f"{summary.requests} requests" in summary.describe()


async def test_a_second_load_returns_none_and_adds_nothing(loaded: Database) -> None:
    before = await _counts(loaded)
    assert await load(loaded, FixedClock(NOW + timedelta(days=3))) is None
    assert await _counts(loaded) == before


def _fingerprint(r: m.Request) -> tuple[object, ...]:
    return (r.id, r.status, r.received_at, r.agency_id, r.payload_sha256)


async def test_the_same_seed_gives_the_same_data(
    loaded: Database, migrated_file: Path, tmp_path: Path
) -> None:
    other = _fresh(migrated_file, tmp_path / "other.db")
    try:
        await load(other, FixedClock(NOW))
        mine, theirs = await _all(loaded, m.Request), await _all(other, m.Request)
        assert sorted(map(_fingerprint, mine)) == sorted(map(_fingerprint, theirs))
    finally:
        await other.dispose()


async def test_agencies_span_countries_and_verification_states(loaded: Database) -> None:
    agencies = await _all(loaded, m.Agency)
    assert {"CN", "HK", "US", "DE", "FR", "GB", "BR", "IN"} <= {a.country for a in agencies}
    assert {a.kind for a in agencies} == {"law_enforcement", "judicial", "administrative"}
    states = [a.verification for a in agencies]
    assert states.count("pending") >= 2 and states.count("suspended") >= 1
    assert states.count("verified") > len(agencies) / 2
    for agency in agencies:
        assert (agency.verified_at is None) == (agency.verification == "pending")


async def test_requests_spread_over_statuses_time_and_agencies(loaded: Database) -> None:
    agencies = {a.id: a for a in await _all(loaded, m.Agency)}
    requests = await _all(loaded, m.Request)
    assert {r.status for r in requests} == {s.value for s in RequestStatus}
    years = {r.received_at.year for r in requests}
    assert {NOW.year - 1, NOW.year} <= years <= {NOW.year - 1, NOW.year}
    assert all(r.received_at <= NOW and r.received_at <= r.updated_at <= NOW for r in requests)
    assert all(agencies[r.agency_id].verification == "verified" for r in requests)
    assert all(r.country == agencies[r.agency_id].country for r in requests)
    by_country = defaultdict(int)
    for r in requests:
        by_country[r.country] += 1
    assert by_country["CN"] >= 2 and by_country["HK"] >= 2
    assert len({r.payload_sha256 for r in requests}) == len(requests)


async def test_deadlines_and_emergencies(loaded: Database) -> None:
    requests = await _all(loaded, m.Request)
    emergencies = [r for r in requests if r.emergency]
    assert len(emergencies) >= 3
    for r in requests:
        expected = timedelta(hours=8) if r.emergency else timedelta(days=30)
        assert r.deadline - r.received_at == expected
        assert bool(r.emergency_description) == r.emergency
        assert (r.category == "emergency") == r.emergency


async def test_every_superseded_request_has_a_revision(loaded: Database) -> None:
    requests = {r.id: r for r in await _all(loaded, m.Request)}
    superseded = {r.id for r in requests.values() if r.status == "superseded"}
    revised = {r.revision_of_id: r for r in requests.values() if r.revision_of_id}
    assert superseded and set(revised) == superseded
    for old_id, revision in revised.items():
        assert revision.received_at > requests[old_id].received_at
        assert revision.agency_id == requests[old_id].agency_id


async def test_every_status_was_reached_through_the_lifecycle(loaded: Database) -> None:
    """The demo plays its requests through the services: each request's audit trail walks
    from RECEIVED to where it is by the lifecycle's transitions, in the order of time, and
    every release is a sealed package."""
    async with loaded.reader() as session:
        stmt = select(m.AuditEvent).where(m.AuditEvent.request_id.is_not(None))
        events = list(await session.scalars(stmt.order_by(m.AuditEvent.seq)))
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
    reached: dict[uuid.UUID, RequestStatus] = {}
    for event in events:
        data = json.loads(event.data)
        if event.action == "request.submitted":
            reached[event.request_id] = RequestStatus.RECEIVED
        elif "from" in data and data["from"] != data["to"]:
            before, after = RequestStatus(data["from"]), RequestStatus(data["to"])
            assert reached[event.request_id] is before
            assert any(before in sources and after is to for sources, to in TRANSITIONS.values())
            reached[event.request_id] = after
    requests = await _all(loaded, m.Request)
    assert {r.id: r.status for r in requests} == {i: s.value for i, s in reached.items()}
    disclosures = await _all(loaded, m.Disclosure)
    released = {r.id for r in requests if r.status == "disclosed"}
    assert released <= {d.request_id for d in disclosures}
    assert all(d.chunk_count >= 1 and d.size > 0 and d.released_by for d in disclosures)


async def test_d_is_never_approved_without_premium(loaded: Database) -> None:
    premium = {s.account_id for s in await _all(loaded, m.PremiumSubscription)}
    owner: dict[tuple[str, str], uuid.UUID | None] = {}
    for a in await _all(loaded, m.Account):
        owner |= {
            ("email", a.email): a.id,
            ("phone", a.phone): a.id,
            ("username", a.username): a.id,
        }
    owner |= {
        ("serial_number", p.serial_number): p.account_id for p in await _all(loaded, m.Product)
    }
    owner |= {("order_id", o.order_number): o.account_id for o in await _all(loaded, m.Order)}
    targets = {t.id: t for t in await _all(loaded, m.Target)}
    asked_d = [i for i in await _all(loaded, m.RequestedItem) if i.info_type == "D"]
    assert any(i.outcome == "approve" for i in asked_d)
    for item in asked_d:
        target = targets[item.target_id]
        account = owner.get((target.identifier_type, target.identifier))
        if account not in premium and item.outcome is not None:
            assert item.outcome == "reject"
            assert item.reason_code == ("not_premium" if account else "not_held")


async def test_item_outcomes_fit_the_request_status(loaded: Database) -> None:
    items = defaultdict(list)
    for item in await _all(loaded, m.RequestedItem):
        items[item.request_id].append(item)
    undecided = {"received", "in_review", "withdrawn"}
    for request in await _all(loaded, m.Request):
        outcomes = {i.outcome for i in items[request.id]}
        if request.status in undecided:
            assert outcomes == {None}
        elif request.status == "approved":
            assert outcomes == {"approve"}
        elif request.status == "partially_approved":
            assert outcomes & {"approve", "narrow"} and outcomes & {"reject", "object"}
        elif request.status == "objected":
            assert "object" in outcomes and outcomes <= {"object", "reject"}
        elif request.status == "rejected":
            assert outcomes == {"reject"}
        elif request.status == "clarification_requested":
            assert "question" in outcomes
        elif request.status == "disclosed":
            assert outcomes & {"approve", "narrow"}
        for item in items[request.id]:
            if item.outcome not in (None, "approve"):
                assert item.reason_code in {c.value for c in ReasonCode} and item.explanation
            else:
                assert item.reason_code is None


async def test_user_data_looks_real(loaded: Database) -> None:
    for a in await _all(loaded, m.Account):
        assert a.email == normalise_identifier(IdentifierType.EMAIL, a.email)
        assert a.email.endswith(("example.com", "example.org", "example.net"))
        assert a.phone == normalise_identifier(IdentifierType.PHONE, a.phone)
        assert a.registered_at <= NOW - timedelta(days=1)
    products = await _all(loaded, m.Product)
    assert any(p.account_id is None for p in products)
    assert all(re.fullmatch(r"[A-Z0-9]{9,12}", p.serial_number) for p in products)
    for event in await _all(loaded, m.UsageEvent):
        assert event.kind in {"login", "device_online", "device_offline"}
        address = ipaddress.ip_address(event.ip_address)
        assert any(address in net for net in DOC_NETS) and event.occurred_at <= NOW
    premium = {s.account_id for s in await _all(loaded, m.PremiumSubscription)}
    orders = await _all(loaded, m.Order)
    assert {o.account_id for o in orders} <= premium
    assert all(re.fullmatch(r"ORD-20\d\d-\d{6}", o.order_number) for o in orders)
    kinds = {s.kind for s in await _all(loaded, m.SupportRecord)}
    assert kinds == {"questionnaire", "rating", "feedback", "after_sales"}


async def test_legal_bases_are_complete(loaded: Database) -> None:
    async with loaded.reader() as session:
        bases = {b.id: b for b in await session.scalars(
            select(m.LegalBasis).options(undefer(m.LegalBasis.document)))}  # fmt: skip
    for request in await _all(loaded, m.Request):
        basis = bases[request.legal_basis_id]
        assert basis.issued_at <= request.received_at.date()
        assert basis.document is not None and basis.document.startswith(b"%PDF-1.4")
        assert basis.document_sha256 == hashlib.sha256(basis.document).hexdigest()
        assert basis.document_size == len(basis.document)
        assert (basis.kind == "emergency_declaration") == request.emergency
    assert any(b.non_disclosure_until for b in bases.values())


async def test_the_worker_shows_the_whole_notice_path_on_the_demo(loaded: Database) -> None:
    """Due notices go out, a court order that ended lets its notice go, and every kind of
    exception still in force keeps its notices back; a second pass sends nothing."""
    from trustcenter.db.repositories.outbox import SqlOutbox
    from trustcenter.plugins.builtin.outbox import OutboxChannel
    from trustcenter.plugins.host import PluginHost
    from trustcenter.services.notice_worker import NoticeWorker

    notices = await _all(loaded, m.Notice)
    exceptions = await _all(loaded, m.NoticeException)
    assert {e.kind for e in exceptions} == {"court_order_or_law", "risk_of_harm", "child_abuse"}
    ended = [e for e in exceptions if e.ends_on is not None and e.ends_on < NOW.date()]
    in_force = [e for e in exceptions if e not in ended]
    assert len(ended) == 1 and len(in_force) == 3
    delivered_before = {n.id for n in notices if n.status == "delivered"}
    outbox_before = {o.notice_id for o in await _all(loaded, m.OutboxMessage)}
    assert delivered_before and outbox_before == delivered_before
    due = {n.id for n in notices if n.status == "scheduled" and n.due_at <= NOW}
    assert len(due) >= 2
    assert any(n.due_at > NOW for n in notices)  # and some are not due yet

    worker = NoticeWorker(
        UnitOfWorks(loaded),
        FixedClock(NOW),
        PluginHost.from_settings(""),
        [OutboxChannel(SqlOutbox(loaded))],
    )
    result = await worker.run_once(OPERATOR)
    freed = {n.id for n in notices if n.request_id == ended[0].request_id}
    assert result.resumed == len(freed) and result.delivered == len(due | freed)
    after = {n.id: n for n in await _all(loaded, m.Notice)}
    assert all(after[i].status == "delivered" and after[i].deliveries == 1 for i in due | freed)
    held = {e.request_id for e in in_force}
    assert all(n.status == "suppressed" for n in after.values() if n.request_id in held)
    outbox = [o.notice_id for o in await _all(loaded, m.OutboxMessage)]
    assert sorted(outbox) == sorted(delivered_before | due | freed)  # each exactly once
    assert (await worker.run_once(OPERATOR)).delivered == 0


async def test_a_database_in_use_upgrades_from_the_first_revision_keeping_every_row(
    loaded: Database,
) -> None:
    """Later revisions rebuild SQLite tables that others point to (``requests``); the upgrade
    of a database holding data neither fails on nor cascades through its foreign keys."""
    before = await _counts(loaded)
    await migrate.downgrade(loaded.engine, loaded.url, "0001")
    assert await migrate.current_revision(loaded.engine) == "0001"
    await migrate.upgrade(loaded.engine, loaded.url)
    assert await migrate.current_revision(loaded.engine) == migrate.head_revision()
    assert await _counts(loaded) == before
    bases = await _all(loaded, m.LegalBasis)
    assert all(b.reference_key == " ".join(b.reference.split()).casefold() for b in bases)
    # enforcement is back on for the pool's connections
    async with loaded.reader() as session:
        assert await session.scalar(text("PRAGMA foreign_keys")) == 1
