"""Rows queued for one statement (``db.write_batch``), on SQLite and PostgreSQL: they go in one
statement, the transaction's next statement sees them, a broken rule stops the commit and
keeps nothing of it, a rollback forgets them for good (the connection's next transaction does
not send them), and a row that leaves out a column the ORM would have filled, or carries a
value its column refuses, is refused at once."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime
from typing import Any, cast

import pytest
from sqlalchemy import Table, func, select
from sqlalchemy.exc import IntegrityError, StatementError

from tests.helpers import counting
from trustcenter.bootstrap import Container
from trustcenter.db.models import LegalBasis, Target
from trustcenter.db.repositories import core_connection
from trustcenter.db.write_batch import VALUES_ROWS, queue_rows

BASES = cast(Table, LegalBasis.__table__)
TARGETS = cast(Table, Target.__table__)


def basis(**changes: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(), "kind": "WARRANT", "reference": "W-1", "reference_key": "w-1",
        "issued_by": "Amtsgericht", "issuer_role": None, "issued_at": date(2026, 1, 2),
        "expires_at": None, "non_disclosure_until": None, "document": None,
        "document_sha256": None, "document_size": None,
        "created_at": datetime(2026, 1, 2, tzinfo=UTC),
    } | changes  # fmt: skip


async def stored(container: Container, ids: list[uuid.UUID]) -> int:
    async with container.db.reader() as s:
        return int(await s.scalar(select(func.count()).where(LegalBasis.id.in_(ids))) or 0)


async def test_queued_rows_are_seen_by_the_next_statement_and_sent_as_one(
    container: Container,
) -> None:
    rows = [basis(), basis(reference="W-2", reference_key="w-2")]
    with counting(container.db.engine) as statements:
        async with container.db.transaction() as session:
            connection = await core_connection(session)
            queue_rows(connection, BASES, rows[:1])
            queue_rows(connection, BASES, rows[1:])
            seen = await connection.scalar(
                select(func.count()).where(LegalBasis.id.in_([r["id"] for r in rows]))
            )
    assert seen == 2
    assert await stored(container, [r["id"] for r in rows]) == 2
    # one statement (PostgreSQL: a CTE per table; SQLite: a script run in one trip to the
    # driver's thread), sent before the SELECT that sees its rows
    inserts = [s for s in statements if "INSERT INTO" in s]
    assert len(inserts) == 1 and len(re.findall("INSERT INTO", inserts[0])) == 2, statements
    assert statements.index(inserts[0]) < len(statements) - 1, statements


async def test_many_rows_and_few_go_in_one_statement_with_every_value_kept(
    container: Container,
) -> None:
    """Past ``VALUES_ROWS`` rows a table's rows travel as one array per column on PostgreSQL;
    either way every value arrives as it was given (a document's bytes, a date, None)."""
    many = [basis(reference=f"W-{i}", reference_key=f"w-{i}", document=bytes([i]) * i)
            for i in range(VALUES_ROWS * 2 + 1)]  # fmt: skip
    few = [basis(issued_at=date(2025, 12, 31), document_size=7)]
    with counting(container.db.engine) as statements:
        async with container.db.transaction() as session:
            connection = await core_connection(session)
            queue_rows(connection, BASES, many)
            queue_rows(connection, BASES, few)
    inserts = [s for s in statements if "INSERT INTO" in s]
    assert len(inserts) == 1, statements
    if container.db.dialect == "postgresql":
        assert "unnest(" in inserts[0] and "VALUES" in inserts[0]
    async with container.db.reader() as s:
        stored = {
            r.id: r
            for r in await s.execute(
                select(BASES.c.id, BASES.c.reference, BASES.c.document, BASES.c.issued_at,
                       BASES.c.document_size).where(BASES.c.id.in_([r["id"] for r in many + few]))
            )
        }  # fmt: skip
    assert len(stored) == len(many) + 1
    for row in many:
        assert stored[row["id"]].reference == row["reference"]
        assert (stored[row["id"]].document or b"") == row["document"]
    assert stored[few[0]["id"]].issued_at == date(2025, 12, 31)
    assert stored[few[0]["id"]].document_size == 7


async def test_a_broken_rule_fails_the_commit_and_keeps_nothing(container: Container) -> None:
    kept = basis()
    orphan = {"id": uuid.uuid4(), "request_id": uuid.uuid4(), "position": 0,
              "identifier_type": "email", "identifier": "x@example.com",
              "identifier_key": "x@example.com"}  # fmt: skip
    with pytest.raises(IntegrityError):
        async with container.db.transaction() as session:
            connection = await core_connection(session)
            queue_rows(connection, BASES, [kept])
            queue_rows(connection, TARGETS, [orphan])  # a target of no request
    assert await stored(container, [kept["id"]]) == 0


async def test_a_rollback_forgets_the_queue_for_good(container: Container) -> None:
    dropped, later = basis(), basis()
    with pytest.raises(RuntimeError):
        async with container.db.transaction() as session:
            queue_rows(await core_connection(session), BASES, [dropped])
            raise RuntimeError("the unit fails before it sends anything")
    for _ in range(3):  # the pool's connections, the one that queued among them
        async with container.db.transaction() as session:
            queue_rows(await core_connection(session), BASES, [later | {"id": uuid.uuid4()}])
    assert await stored(container, [dropped["id"]]) == 0


async def test_rows_queued_inside_a_savepoint_rolled_back_are_not_kept(
    container: Container,
) -> None:
    kept, dropped = basis(), basis()
    async with container.db.transaction() as session:
        queue_rows(await core_connection(session), BASES, [kept])
        savepoint = await session.begin_nested()  # the rows queued so far go first
        queue_rows(await core_connection(session), BASES, [dropped])
        await savepoint.rollback()  # they are sent, then rolled back with the savepoint
    assert await stored(container, [kept["id"]]) == 1
    assert await stored(container, [dropped["id"]]) == 0


async def test_a_row_without_a_defaulted_column_or_with_a_naive_time_is_refused_at_once(
    container: Container,
) -> None:
    without_key = basis()
    del without_key["reference_key"]  # the ORM's default would have made it
    naive = basis(created_at=datetime(2026, 1, 2))
    async with container.db.transaction() as session:
        connection = await core_connection(session)
        with pytest.raises(ValueError, match="reference_key"):
            queue_rows(connection, BASES, [without_key])
        with pytest.raises((ValueError, StatementError), match="naive datetime"):
            queue_rows(connection, BASES, [naive])
    assert await stored(container, [without_key["id"], naive["id"]]) == 0
