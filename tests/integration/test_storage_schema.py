"""The schema as stored, on SQLite and on PostgreSQL: timestamps come back aware UTC, the
migrations match the models, and long texts are stored whole or refused by field (the database
never has the last word).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, update

from tests.helpers import OPERATOR, SUBMIT, World, submission

# --- timestamps -----------------------------------------------------------------------------
from tests.integration.storage_helpers import (
    EVERYTHING,
    STAFF,
    _agency,
    _agent,
    _count,
    _draft,
    _stored,
    _submit,
)
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db import migrate
from trustcenter.db.models import (
    Agency,
    Base,
    LegalBasis,
    Request,
)
from trustcenter.domain.enums import (
    AgencyKind,
)
from trustcenter.domain.errors import DomainError
from trustcenter.domain.submission import Officer
from trustcenter.services import reads
from trustcenter.services.agencies import create_agency


def _is_utc(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is not None and value.utcoffset() == timedelta(0)


async def test_timestamps_come_back_aware_utc(container: Container, clock: FixedClock) -> None:
    c = container
    agency = await _agency(c)
    who = _agent(agency)
    # a clock in another offset, with microseconds: stored as the same instant, read as UTC
    clock.set(
        datetime(2026, 12, 1, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    )
    req = (await _submit(c, who)).request
    found = (await _stored(c, Request, [req.id]))[req.id]
    for value in (found.received_at, found.updated_at, found.deadline):
        assert _is_utc(value), value
    assert found.received_at == datetime(2026, 11, 30, 20, 0, 15, 123456, tzinfo=UTC)
    assert found.received_at.tzinfo is not None
    assert found.received_at.isoformat() == "2026-11-30T20:00:15.123456+00:00"
    assert found.deadline == found.received_at + timedelta(days=30)

    basis = (await _stored(c, LegalBasis, [found.legal_basis_id]))[found.legal_basis_id]
    assert _is_utc(basis.created_at)
    page = await reads.page_requests(c, STAFF, EVERYTHING, 5, None)
    assert all(_is_utc(r.received_at) for r in page.rows)
    async with c.db.reader() as session:
        row = await session.get(Agency, agency)
        assert row is not None
        assert _is_utc(row.created_at) and _is_utc(row.verified_at)
        # the raw column, outside the ORM
        raw = await session.scalar(select(Request.received_at).where(Request.id == req.id))
    assert _is_utc(raw) and raw == found.received_at


async def test_a_naive_timestamp_is_never_written(container: Container, clock: FixedClock) -> None:
    c = container
    req = (await _submit(c, _agent(await _agency(c)))).request
    with pytest.raises(Exception, match="naive datetime"):
        async with c.db.transaction() as session:
            await session.execute(
                update(Request)
                .where(Request.id == req.id)
                .values(updated_at=datetime(2026, 12, 1, 9, 0))
            )
    found = (await _stored(c, Request, [req.id]))[req.id]
    assert found.updated_at == clock.now()


# --- migrations -----------------------------------------------------------------------------


async def test_migrations_match_the_models(container: Container) -> None:
    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with container.db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == []


async def test_database_is_at_the_head_revision(container: Container) -> None:
    head = migrate.head_revision()
    assert head is not None
    assert await migrate.current_revision(container.db.engine) == head
    # upgrading again is a no-op
    await migrate.upgrade(container.db.engine, container.db.url, container.settings.database_schema)
    assert await migrate.current_revision(container.db.engine) == head


async def test_the_migration_check_would_see_a_difference(container: Container) -> None:
    """The comparison above is not vacuous: a model the database lacks is reported."""
    from sqlalchemy import Column, Integer, MetaData, Table

    extra = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(extra)
    Table("not_migrated", extra, Column("id", Integer, primary_key=True))

    def diff(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, extra))

    async with container.db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert [d[0] for d in differences] == ["add_table"]
    assert differences[0][1].name == "not_migrated"


def test_the_counting_keys_migration_fills_the_rows_already_there(tmp_path: Any) -> None:
    """Requests stored before the report compared keys get them on upgrade (0010)."""
    import sqlite3

    from alembic import command

    path = tmp_path / "old.db"
    cfg = migrate.alembic_config(f"sqlite:///{path}")
    command.upgrade(cfg, "0009")
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO legal_bases (id, kind, reference, issued_by, issued_at, created_at) "
            "VALUES (?, 'warrant', ?, 'AG', '2026-01-01', '2026-01-01 00:00:00')",
            (uuid.uuid4().hex, "  Straße  4/26 "),
        )
        db.execute(
            "INSERT INTO request_targets (id, request_id, position, identifier_type, identifier) "
            "VALUES (?, ?, 0, 'username', 'JÜRGEN')",
            (uuid.uuid4().hex, uuid.uuid4().hex),
        )
    command.upgrade(cfg, "head")
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT reference_key FROM legal_bases").fetchall() == [("strasse 4/26",)]
        assert db.execute("SELECT identifier_key FROM request_targets").fetchall() == [("jürgen",)]


# --- text lengths: the database never has the last word -------------------------------------

_LONG_PHONE = "+49 (0) 30 - 4664 - 0000 ext. 12345"  # a valid number, 35 characters as written


@pytest.mark.parametrize(
    ("changes", "field", "read"),
    [
        (
            {"officer": Officer(name="N" * 300, email="a@police.example")},
            "officer.name",
            lambda r, b: r.officer_name,
        ),
        (
            {"officer": Officer(name="N", email="a@police.example", title="T" * 300)},
            "officer.title",
            lambda r, b: r.officer_title,
        ),
        (
            {"officer": Officer(name="N", email="a@police.example", phone=_LONG_PHONE)},
            "officer.phone",
            lambda r, b: r.officer_phone,
        ),
        (
            {"legal_basis": replace(_draft().legal_basis, reference="R" * 250)},
            "legalBasis.reference",
            lambda r, b: b.reference,
        ),
        (
            {"legal_basis": replace(_draft().legal_basis, issued_by="I" * 400)},
            "legalBasis.issuedBy",
            lambda r, b: b.issued_by,
        ),
    ],
    ids=["officer-name", "officer-title", "officer-phone", "reference", "issued-by"],
)
async def test_a_long_text_is_stored_whole_or_refused_by_field(
    container: Container, changes: dict[str, Any], field: str, read: Any
) -> None:
    """Validation accepts these (up to 4000 characters, or any valid phone as written); the
    columns are shorter. The answer must be the same on both backends: the text is kept whole,
    or the submission is refused naming the field. Never a database error, never truncation."""
    c = container
    who = _agent(await _agency(c))
    draft = _draft(**changes)
    try:
        result = await _submit(c, who, draft)
    except DomainError as refused:
        assert field in [p.field for p in refused.problems]
        assert await _count(c, Request) == 0
        return
    req = (await reads.requests_by_ids(c, who, [result.request.id]))[result.request.id]
    basis = (await reads.legal_bases_by_ids(c, who, [req.legal_basis_id]))[req.legal_basis_id]
    sent = {
        "officer.name": draft.officer.name,
        "officer.title": draft.officer.title,
        "officer.phone": draft.officer.phone,
        "legalBasis.reference": draft.legal_basis.reference,
        "legalBasis.issuedBy": draft.legal_basis.issued_by,
    }[field]
    assert read(req, basis) == sent.strip()


async def test_a_long_agency_name_is_stored_whole_or_refused(container: Container) -> None:
    c = container
    name = "Staatsanwaltschaft " * 15  # 285 characters
    try:
        row = await create_agency(c, OPERATOR, name=name, kind=AgencyKind.JUDICIAL, country="DE")
    except DomainError as refused:
        assert [p.field for p in refused.problems] == ["name"]
        assert await _count(c, Agency) == 0
        return
    async with c.db.reader() as session:
        stored = await session.get(Agency, row.id)
    assert stored is not None and stored.name == name.strip()


async def test_a_long_officer_name_through_the_api_is_a_user_error_or_kept(world: World) -> None:
    """What the agency sees of the case above: a userError on the field, or its text kept."""
    agency = await world.agency_actor("DE")
    officer = {"name": "N" * 300, "title": "KHK", "email": "k@police.example", "phone": ""}
    response = await agency.gql(SUBMIT, {"input": submission(officer=officer)})
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    payload = body["data"]["submitRequest"]
    if payload["request"] is None:
        assert "officer.name" in [e["field"] for e in payload["userErrors"]], payload
    else:
        assert payload["userErrors"] == []
