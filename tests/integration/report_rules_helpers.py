"""Shared by the report rule tests: request histories built by hand and inserted straight into
the tables, and the report the database computes from them, checked against the plain-Python
reference in ``tests/report_reference.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from tests import report_reference as reference
from tests.report_reference import Basis, Record
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    Agency,
    LegalBasis,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.db.report_facts import pending
from trustcenter.db.repositories.report import ReportRepository
from trustcenter.domain.report import shape

NAMESPACE = uuid.UUID("6f1b8a52-52a1-4c1e-9a57-0c1f3c0d2e11")
BOUNDARY = datetime(2026, 1, 1, tzinfo=UTC)
MARCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
#: the status a request with each report outcome would typically be in
STATUS = {
    "pending": "in_review",
    "challenged": "objected",
    "rejected": "rejected",
    "approved": "approved",
    "with_data": "disclosed",
    "no_data": "disclosed",
    "withdrawn": "withdrawn",
}


# --- building histories and storing them ------------------------------------------------


def rec(
    outcome: str = "with_data",
    *,
    country: str = "DE",
    category: str = "account",
    at: datetime = MARCH,
    days: float | None = None,
    kind: str = "warrant",
    ref: str = "AG-7/26",
    targets: Sequence[tuple[str, ...]] = (("email", "a@x.de"),),
    revision_of: Record | None = None,
) -> Record:
    """A request as the report sees it; ``days`` after receipt it was answered (if given).
    A target ``(type, identifier, subject)`` was resolved at review to ``subject``
    ("account:<id>", "product:<id>", or None: to nothing)."""
    return Record(
        country=country,
        category=category,
        outcome=outcome,
        received_at=at,
        responded_at=None if days is None else at + timedelta(days=days),
        basis=Basis(kind, ref),
        targets=tuple(targets),
        revision_of=None if revision_of is None else revision_of.id,
    )


async def _insert(session: AsyncSession, history: Sequence[Record]) -> None:
    """Rows for ``history``, in foreign-key order (a revision follows what it revises)."""
    if not history:
        return
    created = datetime(2024, 1, 1, tzinfo=UTC)
    countries = sorted({r.country for r in history})
    await session.execute(
        insert(Agency),
        [
            {"id": uuid.uuid5(NAMESPACE, c), "name": f"Police {c}", "kind": "law_enforcement",
             "country": c, "verification": "verified", "created_at": created,
             "verified_at": created}
            for c in countries
        ],
    )  # fmt: skip
    await session.execute(
        insert(LegalBasis),
        [
            {"id": uuid.uuid5(NAMESPACE, f"basis-{r.id}"), "kind": r.basis.kind,
             "reference": r.basis.reference, "issued_by": "Amtsgericht",
             "issuer_role": "court", "issued_at": date(2024, 1, 1), "created_at": r.received_at}
            for r in history
        ],
    )  # fmt: skip
    await session.execute(
        insert(Request),
        [
            {"id": r.id, "agency_id": uuid.uuid5(NAMESPACE, r.country),
             "legal_basis_id": uuid.uuid5(NAMESPACE, f"basis-{r.id}"),
             "revision_of_id": r.revision_of, "jurisdiction": r.country, "country": r.country,
             "category": r.category, "status": STATUS[r.outcome], "emergency": False,
             "reason": "an investigation", "officer_name": "K. Weber",
             "officer_email": "k.weber@police.example", "received_at": r.received_at,
             "deadline": r.received_at + 10 * DAY, "updated_at": r.responded_at or r.received_at,
             "payload_sha256": "0" * 64, "report_outcome": r.outcome,
             "responded_at": r.responded_at}
            for r in history
        ],
    )  # fmt: skip
    targets = [
        {"id": uuid.uuid4(), "request_id": r.id, "position": position,
         "identifier_type": t[0], "identifier": t[1], "subject_key": reference.subject_of(t),
         "resolved_at": r.received_at if len(t) > 2 else None}
        for r in history
        for position, t in enumerate(r.targets)
    ]  # fmt: skip
    if targets:
        await session.execute(insert(Target), targets)
    # written straight into the tables: their report facts are due when the session commits
    pending(session, [r.id for r in history])


async def store(container: Container, *history: Record) -> None:
    async with container.db.transaction() as session:
        await _insert(session, history)


async def replace_history(container: Container, history: Sequence[Record]) -> None:
    """Empty the request tables and store ``history``, in one transaction (the audit log and
    the other tables are left as they are)."""
    async with container.db.transaction() as session:
        for table in (RequestedItem, Target, Request, LegalBasis, Agency):
            await session.execute(delete(table))
        await _insert(session, history)


async def ask(container: Container, request: Record, info: Mapping[str, str]) -> None:
    """The pieces of information asked about each target: identifier type -> info types."""
    async with container.db.transaction() as session:
        named = await session.scalars(select(Target).where(Target.request_id == request.id))
        for target in named.all():
            for info_type in info.get(target.identifier_type, ""):
                session.add(
                    RequestedItem(request_id=request.id, target_id=target.id, info_type=info_type)
                )


MEDIAN = "median_days_to_respond"


def aligned(
    sql: Mapping[str, Sequence[Mapping[str, Any]]],
    expected: Mapping[str, Sequence[Mapping[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """``sql`` with each median that equals the reference's to within float noise (SQLite's
    julianday, PostgreSQL's epoch) replaced by the reference's, so that the documents can be
    compared exactly after the same rounding."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name in ("rows", "categories", "worldwide"):
        rows = [dict(r) for r in sql.get(name, [])]
        for mine, theirs in zip(rows, expected.get(name, []), strict=False):
            same_group = all(mine.get(k) == theirs.get(k) for k in ("country", "category"))
            a, b = mine.get(MEDIAN), theirs.get(MEDIAN)
            if same_group and a is not None and b is not None:
                assert float(a) == pytest.approx(b, abs=1e-6), (name, mine, theirs)
                mine[MEDIAN] = b
        out[name] = rows
    return out


async def sql_document(
    container: Container, history: Sequence[Record], year: int, excluded: Collection[str]
) -> dict[str, Any]:
    """The document the database computes, checked against the reference's."""
    async with container.db.reader() as session:
        raw = await ReportRepository(session).compute(year, excluded)
    expected = reference.compute(history, year, excluded)
    document = shape(year, aligned(raw, expected), sorted(excluded))
    assert document == shape(year, expected, sorted(excluded))
    return document


async def report(
    container: Container, *history: Record, year: int = 2026, excluded: Collection[str] = ("CN",)
) -> dict[str, Any]:
    await store(container, *history)
    return await sql_document(container, history, year, excluded)


def row(document: Mapping[str, Any], country: str, category: str = "ACCOUNT") -> dict[str, Any]:
    found = [r for r in document["rows"] if (r["country"], r["category"]) == (country, category)]
    assert len(found) == 1, (country, category, document["rows"])
    return dict(found[0])


def category(document: Mapping[str, Any], name: str) -> dict[str, Any]:
    found = [r for r in document["totals"]["categories"] if r["category"] == name]
    assert len(found) == 1, (name, document["totals"]["categories"])
    return dict(found[0])


def worldwide(document: Mapping[str, Any]) -> dict[str, Any]:
    return dict(document["totals"]["worldwide"])
