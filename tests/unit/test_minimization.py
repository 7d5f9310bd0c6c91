"""Within the necessary limits (SPEC section 4): the scope an approved or narrowed item allows,
and how a record is cut down to it. Pure functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.hypothesis_profiles import examples
from trustcenter.domain.enums import InfoType
from trustcenter.domain.minimization import FIELDS, TIME_FIELD, Scope, minimise, scope_for

JAN1, JAN31 = date(2026, 1, 1), date(2026, 1, 31)
MAR1, JUN30 = date(2026, 3, 1), date(2026, 6, 30)


def usage(at: Any, **extra: Any) -> dict[str, Any]:
    return {
        "occurred_at": at,
        "kind": "login",
        "ip_address": "203.0.113.7",
        "client_device_model": "Pixel 8",
        "app_version": "5.2.1",
        "serial_number": "C6N1234567",
        **extra,
    }


# --- scope_for ------------------------------------------------------------------------------


def test_approve_keeps_the_requested_range_and_every_field() -> None:
    scope = scope_for(InfoType.C, (JAN1, JUN30))
    assert scope == Scope(InfoType.C, frozenset(FIELDS[InfoType.C]), JAN1, JUN30)


def test_the_narrower_of_requested_and_approved_range_wins_at_each_end() -> None:
    assert scope_for(InfoType.C, (JAN1, JUN30), (MAR1, None)).range_from == MAR1
    assert scope_for(InfoType.C, (JAN1, JUN30), (MAR1, None)).range_to == JUN30
    assert scope_for(InfoType.C, (JAN1, JUN30), (None, JAN31)).range_to == JAN31
    # an approved bound wider than the request never widens it
    wide = scope_for(InfoType.E, (MAR1, JAN31 + timedelta(days=60)), (JAN1, JUN30))
    assert (wide.range_from, wide.range_to) == (MAR1, JAN31 + timedelta(days=60))


def test_an_open_request_takes_the_approved_range() -> None:
    scope = scope_for(InfoType.D, (None, None), (MAR1, JUN30))
    assert (scope.range_from, scope.range_to) == (MAR1, JUN30)
    unbounded = scope_for(InfoType.D, (None, None))
    assert (unbounded.range_from, unbounded.range_to) == (None, None)


def test_fields_are_the_chosen_subset_of_the_types_fields() -> None:
    scope = scope_for(InfoType.C, (JAN1, JUN30), fields=frozenset({"ip_address", "kind"}))
    assert scope.fields == {"ip_address", "kind"}
    # a name that is no field of the type never enters the scope
    odd = scope_for(InfoType.A, (None, None), fields=frozenset({"email", "password_hash"}))
    assert odd.fields == {"email"}


@pytest.mark.parametrize("info", [InfoType.A, InfoType.B])
def test_state_types_ignore_time_ranges(info: InfoType) -> None:
    scope = scope_for(info, (JAN1, JUN30), (MAR1, MAR1))
    assert (scope.range_from, scope.range_to) == (None, None)
    assert scope.fields == frozenset(FIELDS[info])


def test_an_account_registered_outside_the_range_is_still_disclosed_for_a() -> None:
    scope = scope_for(InfoType.A, (JAN1, JAN31))
    account = {"username": "u", "email": "u@example.com", "registered_at": "2019-05-01T00:00:00"}
    assert minimise(account, scope) == account


# --- minimise -------------------------------------------------------------------------------


def test_fields_outside_the_scope_are_dropped() -> None:
    scope = scope_for(InfoType.C, (None, None), fields=frozenset({"ip_address"}))
    assert minimise(usage(datetime(2026, 2, 1, tzinfo=UTC)), scope) == {"ip_address": "203.0.113.7"}


def test_unknown_fields_a_source_returns_are_dropped() -> None:
    scope = scope_for(InfoType.C, (None, None))
    kept = minimise(usage("2026-02-01T10:00:00+00:00", password="hunter2", account_id=7), scope)
    assert kept is not None
    assert "password" not in kept and "account_id" not in kept
    assert set(kept) == set(FIELDS[InfoType.C])


def test_records_outside_the_range_are_dropped() -> None:
    scope = scope_for(InfoType.C, (MAR1, JUN30))
    assert minimise(usage(datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC)), scope) is None
    assert minimise(usage(datetime(2026, 7, 1, tzinfo=UTC)), scope) is None
    assert minimise(usage(datetime(2026, 4, 1, 12, tzinfo=UTC)), scope) is not None


def test_iso_string_timestamps_are_compared_as_times() -> None:
    scope = scope_for(InfoType.E, (MAR1, JUN30))
    inside = {"created_at": "2026-05-05T08:00:00+00:00", "kind": "rating", "content": "5"}
    before = {"created_at": "2026-02-10T08:00:00+00:00", "kind": "rating", "content": "1"}
    after = {"created_at": "2026-07-01T00:00:00", "kind": "rating", "content": "2"}
    assert minimise(inside, scope) == inside
    assert minimise(before, scope) is None
    assert minimise(after, scope) is None


def test_boundary_days_are_inclusive() -> None:
    scope = scope_for(InfoType.C, (MAR1, JUN30))
    for at in (
        datetime(2026, 3, 1, 0, 0, tzinfo=UTC),
        "2026-03-01T00:00:00+00:00",
        datetime(2026, 6, 30, 23, 59, 59, 999999, tzinfo=UTC),
        "2026-06-30T23:59:59.999999+00:00",
        date(2026, 6, 30),
        "2026-06-30",
    ):
        assert minimise(usage(at), scope) is not None, at


def test_an_undated_record_is_dropped_when_a_range_applies() -> None:
    bounded = scope_for(InfoType.D, (MAR1, JUN30))
    order = {"order_number": "O-1", "goods": "camera", "amount": "12.00"}
    assert minimise(order, bounded) is None
    assert minimise({**order, "placed_at": None}, bounded) is None
    assert minimise(order, scope_for(InfoType.D, (None, None))) == order


def test_narrowed_fields_still_filter_by_the_time_field() -> None:
    """Approving only ip_address does not let records outside the range through."""
    scope = scope_for(InfoType.C, (MAR1, JUN30), fields=frozenset({"ip_address"}))
    assert minimise(usage(datetime(2026, 1, 5, tzinfo=UTC)), scope) is None
    assert minimise(usage(datetime(2026, 3, 5, tzinfo=UTC)), scope) == {"ip_address": "203.0.113.7"}


# --- property: nothing outside the scope, nothing inside lost --------------------------------

DAY0 = date(2025, 12, 1)
days = st.integers(min_value=0, max_value=120).map(lambda n: DAY0 + timedelta(days=n))
moments = st.datetimes(
    min_value=datetime(2025, 11, 25), max_value=datetime(2026, 4, 10), timezones=st.just(UTC)
)
UNKNOWN = ("password", "account_id", "internal_note", "latitude", "raw")
ALL_NAMES = sorted({f for fs in FIELDS.values() for f in fs} | set(UNKNOWN))


def timestamps() -> st.SearchStrategy[Any]:
    return st.one_of(
        moments,
        moments.map(lambda m: m.isoformat()),
        moments.map(lambda m: m.replace(tzinfo=None).isoformat()),
        days,
        days.map(lambda d: d.isoformat()),
        st.none(),
    )


@st.composite
def records(draw: st.DrawFn, info: InfoType) -> dict[str, Any]:
    time_field = TIME_FIELD[info]
    names = draw(st.sets(st.sampled_from(ALL_NAMES), max_size=len(ALL_NAMES)))
    record: dict[str, Any] = {n: draw(st.text(max_size=5)) for n in names if n != time_field}
    if time_field is not None and draw(st.booleans()):
        record[time_field] = draw(timestamps())
    return record


@st.composite
def scopes(draw: st.DrawFn, info: InfoType) -> Scope:
    def bounds() -> tuple[date | None, date | None]:
        lo, hi = draw(st.one_of(st.none(), days)), draw(st.one_of(st.none(), days))
        if lo and hi and hi < lo:
            lo, hi = hi, lo
        return lo, hi

    requested = bounds()
    approved = bounds()
    fields = draw(st.one_of(st.none(), st.frozensets(st.sampled_from(ALL_NAMES))))
    return scope_for(info, requested, approved, fields)


def day_of(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.date() if isinstance(value, datetime) else value


def in_range(day: date | None, scope: Scope) -> bool:
    if scope.range_from is None and scope.range_to is None:
        return True
    if day is None:
        return False
    lo_ok = scope.range_from is None or day >= scope.range_from
    return lo_ok and (scope.range_to is None or day <= scope.range_to)


@settings(max_examples=examples(400), deadline=None)
@given(data=st.data(), info=st.sampled_from(list(InfoType)))
def test_no_field_or_record_outside_the_scope_ever_passes(
    data: st.DataObject, info: InfoType
) -> None:
    scope = data.draw(scopes(info))
    record = data.draw(records(info))
    kept = minimise(record, scope)
    allowed = scope.fields & set(FIELDS[info])
    time_field = TIME_FIELD[info]
    if time_field is None:
        assert scope.range_from is None and scope.range_to is None
        inside = True
    else:
        inside = in_range(day_of(record.get(time_field)), scope)
    if kept is None:
        assert not inside, (record, scope)
        return
    assert inside, (record, scope)
    assert set(kept) <= allowed
    # nothing within scope is lost, and nothing is changed
    assert kept == {k: v for k, v in record.items() if k in allowed}
