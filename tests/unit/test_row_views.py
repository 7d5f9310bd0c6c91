"""A page's views read by position (``services.row_views``) are the views read by name
(``services.views.request_view``), whatever the order and number of the row's columns."""

from __future__ import annotations

import random
import uuid
from collections import namedtuple
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trustcenter.db.models import Request
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.services.row_views import request_views
from trustcenter.services.views import request_view

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
COLUMNS = [c.key for c in Request.__table__.c]


def _values(n: int) -> dict[str, Any]:
    statuses = [s.value for s in RequestStatus]
    return {
        "id": uuid.uuid4(),
        "agency_id": uuid.uuid4(),
        "legal_basis_id": uuid.uuid4(),
        "revision_of_id": uuid.uuid4() if n % 3 == 0 else None,
        "jurisdiction": "DE",
        "country": "FR",
        "category": ["account", " transaction", "content"][n % 3],
        "status": statuses[n % len(statuses)],
        "emergency": n % 2 == 0,
        "emergency_description": "fire" if n % 2 == 0 else None,
        "reason": f"reason {n}",
        "officer_name": "K. Weber",
        "officer_title": "",
        "officer_email": "k.weber@polizei.example",
        "officer_phone": "+49",
        "received_at": NOW - timedelta(minutes=n),
        "deadline": NOW + timedelta(days=n),
        "hold_until": NOW if n % 4 == 0 else None,
        "hold_extensions": n % 3,
        "version": n,
        "assigned_to": uuid.uuid4() if n % 5 == 0 else None,
        "assigned_at": NOW if n % 5 == 0 else None,
    }


@pytest.mark.parametrize("seed", range(5))
def test_views_by_position_are_the_views_by_name(seed: int) -> None:
    order = list(COLUMNS)
    random.Random(seed).shuffle(order)  # the columns in any order
    Row = namedtuple("Row", order)  # type: ignore[misc]
    rows = [Row(**{c: _values(n).get(c, f"other {c}") for c in order}) for n in range(12)]
    assert request_views(rows) == [request_view(r) for r in rows]
    assert request_views([]) == []


def test_orm_rows_and_rows_missing_a_column_are_read_by_name() -> None:
    orm = [Request(**{k: v for k, v in _values(n).items()}) for n in range(3)]
    assert request_views(orm) == [request_view(r) for r in orm]
    Short = namedtuple("Short", [c for c in _values(0) if c != "assigned_at"])  # type: ignore[misc]
    short = [Short(**{k: v for k, v in _values(n).items() if k != "assigned_at"}) for n in range(3)]
    with pytest.raises(AttributeError):  # as request_view: the column is missing
        request_views(short)


def test_an_unknown_status_is_refused_as_by_name() -> None:
    Row = namedtuple("Row", list(_values(0)))  # type: ignore[misc]
    row = Row(**{**_values(0), "status": "lost"})
    with pytest.raises(ValueError, match="lost") as by_position:
        request_views([row])
    with pytest.raises(ValueError, match="lost") as by_name:
        request_view(row)
    assert str(by_position.value) == str(by_name.value)
