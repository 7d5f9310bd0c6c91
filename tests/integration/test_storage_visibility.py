"""Reading stored requests through the services, on SQLite and on PostgreSQL: who sees which
requests, and keyset paging and filters that return everything once.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import update

# --- visibility -----------------------------------------------------------------------------
from tests.integration.storage_helpers import (
    AGENCY_SCOPES,
    EVERYTHING,
    REPORTS_ONLY,
    STAFF,
    _agency,
    _agent,
    _all_pages,
    _draft,
    _newest_first,
    _product_draft,
    _stored,
    _submit,
)
from tests.support.state_copy import made_once
from trustcenter.auth.principal import ANONYMOUS, Principal, PrincipalKind
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import (
    Request,
)
from trustcenter.services import reads
from trustcenter.services.access import AccessDenied, NotAuthenticated
from trustcenter.services.reads import BadCursor, RequestFilter, encode_cursor


async def test_an_agency_never_sees_another_agencys_request(container: Container) -> None:
    c = container
    a, b = _agent(await _agency(c, "DE")), _agent(await _agency(c, "FR"))
    mine = [(await _submit(c, a)).request for _ in range(2)]
    theirs = [(await _submit(c, b, _product_draft())).request for _ in range(3)]
    ids = [r.id for r in mine + theirs]

    assert set(await reads.requests_by_ids(c, a, ids)) == {r.id for r in mine}
    assert set(await reads.requests_by_ids(c, b, ids)) == {r.id for r in theirs}
    assert await reads.requests_by_ids(c, a, [theirs[0].id]) == {}

    page = await reads.page_requests(c, a, EVERYTHING, 50, None)
    assert {r.id for r in page.rows} == {r.id for r in mine} and not page.has_next
    assert await reads.count_requests(c, a, EVERYTHING) == 2
    assert await reads.count_requests(c, b, EVERYTHING) == 3
    # filters cannot widen the view
    assert await reads.count_requests(c, a, RequestFilter(countries=("FR",))) == 0
    assert (await reads.page_requests(c, a, RequestFilter(countries=("FR",)), 50, None)).rows == []
    # a cursor taken from another agency's request does not reveal anything either
    page = await reads.page_requests(c, a, EVERYTHING, 50, encode_cursor(theirs[-1]))
    assert {r.id for r in page.rows} <= {r.id for r in mine}

    targets = await reads.targets_of(c, STAFF, ids)
    items = await reads.items_of(c, STAFF, ids)
    all_targets = [t.id for ts in targets.values() for t in ts]
    all_items = [i.id for its in items.values() for i in its]
    mine_ids = {r.id for r in mine}
    seen_targets = await reads.targets_by_ids(c, a, all_targets)
    seen_items = await reads.items_by_ids(c, a, all_items)
    assert set(seen_targets) == {t.id for r in mine for t in targets[r.id]}
    assert set(seen_items) == {i.id for r in mine for i in items[r.id]}
    assert {row.request_id for row in [*seen_targets.values(), *seen_items.values()]} == mine_ids
    assert await reads.targets_by_ids(c, a, [targets[theirs[0].id][0].id]) == {}
    # an item id asked for as a target (or the other way round) is nothing
    assert await reads.targets_by_ids(c, a, [items[mine[0].id][0].id]) == {}


@pytest.mark.parametrize("scope", ["review", "audit", "admin"])
async def test_staff_who_may_read_requests_see_every_agency(
    container: Container, scope: str
) -> None:
    c = container
    a, b = _agent(await _agency(c, "DE")), _agent(await _agency(c, "FR"))
    reqs = [(await _submit(c, a)).request, (await _submit(c, b, _product_draft())).request]
    ids = [r.id for r in reqs]
    staff = Principal(PrincipalKind.STAFF, client_id="s", scopes=frozenset({scope}))

    assert set(await reads.requests_by_ids(c, staff, ids)) == set(ids)
    page = await reads.page_requests(c, staff, EVERYTHING, 10, None)
    assert {r.id for r in page.rows} == set(ids)
    assert await reads.count_requests(c, staff, EVERYTHING) == 2
    targets = await reads.targets_of(c, staff, ids)
    target_ids = [t.id for ts in targets.values() for t in ts]
    assert set(await reads.targets_by_ids(c, staff, target_ids)) == set(target_ids)
    items = await reads.items_of(c, staff, ids)
    item_ids = [i.id for its in items.values() for i in its]
    assert set(await reads.items_by_ids(c, staff, item_ids)) == set(item_ids)


def _every_read(c: Container, who: Principal, rid: uuid.UUID) -> list[Any]:
    return [
        lambda: reads.requests_by_ids(c, who, [rid]),
        lambda: reads.page_requests(c, who, EVERYTHING, 10, None),
        lambda: reads.count_requests(c, who, EVERYTHING),
        lambda: reads.targets_by_ids(c, who, [uuid.uuid4()]),
        lambda: reads.items_by_ids(c, who, []),
    ]


@pytest.mark.parametrize(
    ("who", "error"),
    [
        (REPORTS_ONLY, AccessDenied),
        (Principal(PrincipalKind.STAFF, scopes=frozenset({"notices"})), AccessDenied),
        (Principal(PrincipalKind.STAFF, scopes=frozenset()), AccessDenied),
        # an agency client without requests:read reads nothing, not even its own requests
        (
            Principal(
                PrincipalKind.AGENCY,
                agency_id=uuid.uuid4(),
                agency_verified=True,
                scopes=frozenset({"requests:submit"}),
            ),
            AccessDenied,
        ),
        (Principal(PrincipalKind.AGENCY, agency_id=None, scopes=AGENCY_SCOPES), AccessDenied),
        (ANONYMOUS, NotAuthenticated),
    ],
    ids=[
        "staff-reports",
        "staff-notices",
        "staff-no-scope",
        "agency-no-read",
        "agency-without-agency",
        "anonymous",
    ],
)
async def test_principals_who_may_not_read_requests_are_refused(
    container: Container, who: Principal, error: type[Exception]
) -> None:
    c = container
    req = (await _submit(c, _agent(await _agency(c)))).request
    for call in _every_read(c, who, req.id):
        with pytest.raises(error):
            await call()


async def test_agencies_by_ids_shows_an_agency_only_itself(container: Container) -> None:
    c = container
    a, b = await _agency(c, "DE"), await _agency(c, "FR")
    assert set(await reads.agencies_by_ids(c, _agent(a), [a, b])) == {a}
    assert set(await reads.agencies_by_ids(c, STAFF, [a, b])) == {a, b}
    assert await reads.agencies_by_ids(c, _agent(a), [b]) == {}
    with pytest.raises(NotAuthenticated):
        await reads.agencies_by_ids(c, ANONYMOUS, [a])


async def test_subjects_of_targets_are_for_staff_only(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    req = (await _submit(c, who)).request
    targets = (await reads.targets_of(c, who, [req.id]))[req.id]
    with pytest.raises(AccessDenied):
        await reads.subjects_of_targets(c, who, targets)
    with pytest.raises(AccessDenied):
        await reads.subjects_of_targets(c, REPORTS_ONLY, targets)
    with pytest.raises(NotAuthenticated):
        await reads.subjects_of_targets(c, ANONYMOUS, targets)
    found = await reads.subjects_of_targets(c, STAFF, targets)
    assert set(found) <= {t.id for t in targets}
    assert all(v is None for v in found.values())  # the company holds none of these


# --- paging and filters ---------------------------------------------------------------------


async def _many(c: Container, clock: FixedClock) -> tuple[Principal, Principal, list[Request]]:
    """``_make_many``'s requests, made once per process and copied after
    (tests/support/state_copy.py): the tests read them, none is about submitting them. The
    clock moves on to where the making left it."""

    async def make() -> tuple[Principal, Principal, list[Request], datetime]:
        return (*await _make_many(c, clock), clock.now())

    de, us, made, now = await made_once(c, "storage: 25 requests", make, lambda kept: kept)
    clock.set(now)
    return de, us, made


async def _make_many(c: Container, clock: FixedClock) -> tuple[Principal, Principal, list[Request]]:
    """25 requests of two agencies: distinct instants (some a microsecond apart) and
    groups that share one instant."""
    de, us = _agent(await _agency(c, "DE")), _agent(await _agency(c, "US"))
    made: list[Request] = []
    for i in range(10):  # distinct
        clock.advance(timedelta(minutes=7, microseconds=1 + i))
        made.append((await _submit(c, de if i % 3 else us)).request)
    clock.advance(timedelta(hours=1))
    for i in range(6):  # six at one instant
        made.append((await _submit(c, us if i % 2 else de, _product_draft())).request)
    clock.advance(timedelta(microseconds=1))
    for _ in range(4):  # four more, a microsecond later
        made.append((await _submit(c, de)).request)
    for i in range(5):  # distinct again, across a day boundary
        clock.advance(timedelta(hours=5))
        emergency = {"emergency": True, "emergency_description": "Imminent danger."}
        made.append((await _submit(c, de, _draft(**(emergency if i < 2 else {})))).request)
    assert len({r.received_at for r in made}) == 10 + 1 + 1 + 5
    return de, us, made


@pytest.mark.parametrize("first", [1, 4, 5, 7, 24, 25, 26, 100])
async def test_keyset_paging_returns_everything_once_newest_first(
    container: Container, clock: FixedClock, first: int
) -> None:
    c = container
    de, _us, made = await _many(c, clock)
    expected = _newest_first(made)

    seen, flags = await _all_pages(c, STAFF, EVERYTHING, first)
    assert seen == expected
    assert len(set(seen)) == 25
    pages = -(-25 // first)
    assert flags == [True] * (pages - 1) + [False]

    mine = [r for r in made if r.agency_id == de.agency_id]
    seen, _ = await _all_pages(c, de, EVERYTHING, first)
    assert seen == _newest_first(mine)


async def test_paging_after_the_last_row_is_empty(container: Container, clock: FixedClock) -> None:
    c = container
    _de, _us, made = await _many(c, clock)
    oldest = min(made, key=lambda r: (r.received_at, r.id))
    page = await reads.page_requests(c, STAFF, EVERYTHING, 10, encode_cursor(oldest))
    assert page.rows == [] and page.has_next is False


async def test_paging_is_stable_while_new_requests_arrive(
    container: Container, clock: FixedClock
) -> None:
    c = container
    de, _us, made = await _many(c, clock)
    page = await reads.page_requests(c, STAFF, EVERYTHING, 10, None)
    clock.advance(timedelta(minutes=1))
    await _submit(c, de)  # newer than everything: must not shift the next page
    rest: list[uuid.UUID] = []
    after = encode_cursor(page.rows[-1])
    while True:
        nxt = await reads.page_requests(c, STAFF, EVERYTHING, 10, after)
        rest += [r.id for r in nxt.rows]
        if not nxt.has_next:
            break
        after = encode_cursor(nxt.rows[-1])
    assert [r.id for r in page.rows] + rest == _newest_first(made)


async def test_filters_narrow_pages_and_counts(container: Container, clock: FixedClock) -> None:
    c = container
    de, us, made = await _many(c, clock)
    # move three requests on in the lifecycle, directly in the table
    moved = {made[0].id: "in_review", made[11].id: "in_review", made[20].id: "rejected"}
    async with c.db.transaction() as session:
        for rid, status in moved.items():
            await session.execute(update(Request).where(Request.id == rid).values(status=status))
    rows = list((await _stored(c, Request, [r.id for r in made])).values())
    assert len(rows) == 25
    times = sorted({r.received_at for r in rows})

    cases: list[tuple[RequestFilter, Any]] = [
        (RequestFilter(statuses=("in_review",)), lambda r: r.status == "in_review"),
        (
            RequestFilter(statuses=("in_review", "rejected")),
            lambda r: r.status in ("in_review", "rejected"),
        ),
        (RequestFilter(statuses=("received",)), lambda r: r.status == "received"),
        (RequestFilter(statuses=("closed",)), lambda r: False),
        (RequestFilter(categories=("product",)), lambda r: r.category == "product"),
        (
            RequestFilter(categories=("emergency", "account")),
            lambda r: r.category in ("emergency", "account"),
        ),
        (RequestFilter(countries=("US",)), lambda r: r.country == "US"),
        (RequestFilter(countries=("DE", "US")), lambda r: True),
        (RequestFilter(countries=("FR",)), lambda r: False),
        (RequestFilter(emergency=True), lambda r: r.emergency),
        (RequestFilter(emergency=False), lambda r: not r.emergency),
        (RequestFilter(received_from=times[10]), lambda r: r.received_at >= times[10]),
        (RequestFilter(received_to=times[10]), lambda r: r.received_at < times[10]),
        (
            RequestFilter(received_from=times[3], received_to=times[11]),
            lambda r: times[3] <= r.received_at < times[11],
        ),
        # bounds given in another offset mean the same instants
        (
            RequestFilter(received_from=times[10].astimezone(timezone(timedelta(hours=-5)))),
            lambda r: r.received_at >= times[10],
        ),
        (
            RequestFilter(
                countries=("DE",), categories=("account",), emergency=False, statuses=("received",)
            ),
            lambda r: (
                (r.country, r.category, r.emergency, r.status)
                == ("DE", "account", False, "received")
            ),
        ),
    ]
    for where, keep in cases:
        expected = _newest_first([r for r in rows if keep(r)])
        seen, _ = await _all_pages(c, STAFF, where, 3)
        assert seen == expected, where
        assert await reads.count_requests(c, STAFF, where) == len(expected), where
        mine = _newest_first([r for r in rows if keep(r) and r.agency_id == us.agency_id])
        assert (await _all_pages(c, us, where, 4))[0] == mine, where
        assert await reads.count_requests(c, us, where) == len(mine), where
    # the cases above really narrow: none of the non-trivial ones returns everything
    assert await reads.count_requests(c, STAFF, RequestFilter(emergency=True)) == 2
    assert await reads.count_requests(c, STAFF, RequestFilter(categories=("product",))) == 6
    assert (
        await reads.count_requests(c, de, EVERYTHING)
        + await reads.count_requests(c, us, EVERYTHING)
        == 25
    )


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!not base64!!!",
        "",
        _b64(b"[]"),
        _b64(b'{"a": 1}'),
        _b64(b"[1, 2]"),
        _b64(b"null"),
        _b64(b'["2026-11-30T09:00:00+00:00", "not-a-uuid"]'),
        _b64(b'["yesterday", "12345678-1234-5678-1234-567812345678"]'),
        # a naive timestamp: not one this service gave out
        _b64(b'["2026-11-30T09:00:00", "12345678-1234-5678-1234-567812345678"]'),
        _b64(b'["2026-11-30T09:00:00+00:00", "12345678-1234-5678-1234-567812345678", 3]'),
        _b64(b"\xff\xfe\x00not utf-8"),
    ],
)
async def test_a_garbage_cursor_is_refused(
    container: Container, clock: FixedClock, cursor: str
) -> None:
    c = container
    await _submit(c, _agent(await _agency(c)))
    if cursor == "":
        # an empty cursor is the same as none
        page = await reads.page_requests(c, STAFF, EVERYTHING, 5, cursor)
        assert len(page.rows) == 1
        return
    with pytest.raises(BadCursor):
        await reads.page_requests(c, STAFF, EVERYTHING, 5, cursor)


async def test_the_parts_of_a_request_follow_its_visibility(container: Container) -> None:
    """Targets, items and legal bases read by their request (the API's nested fields): an
    agency reads its own requests' parts, also without requests:read (its submission answers
    with them), and none of another agency's; staff who read requests read all; who may read
    no request reads none."""
    c = container
    de = await _agency(c, "DE")
    a, b = _agent(de), _agent(await _agency(c, "FR"))
    mine = (await _submit(c, a)).request
    theirs = (await _submit(c, b, _product_draft())).request
    ids = [mine.id, theirs.id]
    bases = [mine.legal_basis_id, theirs.legal_basis_id]
    submitter = _agent(de, scopes=frozenset({"requests:submit"}))
    for who, seen in ((a, {mine.id}), (submitter, {mine.id}), (STAFF, set(ids))):
        assert {i for i, ts in (await reads.targets_of(c, who, ids)).items() if ts} == seen
        assert {i for i, its in (await reads.items_of(c, who, ids)).items() if its} == seen
        found = await reads.legal_bases_by_ids(c, who, bases)
        assert {b.id for b in found.values()} == {
            r.legal_basis_id for r in (mine, theirs) if r.id in seen
        }
    with pytest.raises(AccessDenied):
        await reads.targets_of(c, REPORTS_ONLY, ids)
    with pytest.raises(NotAuthenticated):
        await reads.items_of(c, ANONYMOUS, ids)
