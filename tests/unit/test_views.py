"""What the API is handed instead of rows: views, the request list's cursors, the one id parser
and the one payload helper. No database: the converters read rows made in memory."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta

import pytest
from strawberry import relay

from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.db.models import Agency, Request, RequestedItem
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.queries import NewestAfter, QueueAfter
from trustcenter.graphql.nodes import MISSING, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.services.reads import BadCursor, Order, decode_cursor, encode_cursor
from trustcenter.services.views import agency_view, item_view, request_view

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
RID = uuid.UUID("12345678-1234-5678-1234-567812345678")


def _request(**changes: object) -> Request:
    values: dict[str, object] = {
        "id": RID,
        "agency_id": uuid.uuid4(),
        "legal_basis_id": uuid.uuid4(),
        "revision_of_id": None,
        "jurisdiction": "DE",
        "country": "DE",
        "category": "account",
        "status": "in_review",
        "emergency": False,
        "emergency_description": None,
        "reason": "A burglary series.",
        "officer_name": "K. Weber",
        "officer_title": "KHKin",
        "officer_email": "k.weber@polizei.example",
        "officer_phone": "",
        "received_at": NOW,
        "deadline": NOW + timedelta(days=30),
        "hold_until": None,
        "hold_extensions": 0,
        "version": 3,
    }
    values.update(changes)
    return Request(**values)


def test_a_request_view_speaks_the_domain_and_cannot_change() -> None:
    view = request_view(_request())
    assert view.status is RequestStatus.IN_REVIEW
    assert view.category == "ACCOUNT"  # codes, as the API and plugins name them
    assert (view.id, view.version, view.deadline) == (RID, 3, NOW + timedelta(days=30))
    with pytest.raises(FrozenInstanceError):
        view.version = 4  # type: ignore[misc]
    assert not hasattr(view, "__dict__")  # slotted


def test_an_items_narrowed_fields_are_a_tuple() -> None:
    def item(fields: str | None) -> RequestedItem:
        return RequestedItem(
            id=uuid.uuid4(),
            request_id=RID,
            target_id=uuid.uuid4(),
            info_type="C",
            outcome="narrow",
            approved_fields=fields,
        )

    assert item_view(item("ip_address timestamp")).approved_fields == ("ip_address", "timestamp")
    assert item_view(item(None)).approved_fields is None
    assert item_view(item(None)).info_type == "C"


def test_who_verified_an_agency_is_shown_to_staff_only() -> None:
    row = Agency(
        id=uuid.uuid4(),
        name="LKA",
        kind="law_enforcement",
        country="DE",
        region=None,
        verification="verified",
        created_at=NOW,
        verified_at=NOW,
        verified_by="M. Muster",
        granted_jurisdictions="AT CH",
    )
    staff = Principal(PrincipalKind.STAFF, client_id="s", scopes=frozenset({"review"}))
    agency = Principal(
        PrincipalKind.AGENCY, client_id="a", agency_id=row.id, scopes=frozenset({"requests:read"})
    )
    assert agency_view(row, staff).verified_by == "M. Muster"
    assert agency_view(row, agency).verified_by is None
    assert agency_view(row, agency).granted_jurisdictions == ("AT", "CH")


@pytest.mark.parametrize("order", list(Order))
def test_a_cursor_reads_back_as_the_position_it_was_made_from(order: Order) -> None:
    view = request_view(_request(emergency=True))
    after = decode_cursor(encode_cursor(view, order), order)
    if order is Order.QUEUE:
        assert after == QueueAfter(True, view.deadline, RID)
    else:
        assert after == NewestAfter(view.received_at, RID)


def test_a_cursor_of_another_ordering_is_refused() -> None:
    cursor = encode_cursor(request_view(_request()), Order.NEWEST)
    with pytest.raises(BadCursor):
        decode_cursor(cursor, Order.QUEUE)


def test_global_and_plain_ids_are_read_by_one_parser() -> None:
    text = str(RID)
    assert parse_id(relay.GlobalID("Request", text), "Request") == RID
    assert parse_id(relay.GlobalID("Request", text)) == RID
    assert parse_id(relay.GlobalID("Agency", text), "Request") is None  # another type's id
    assert parse_id(relay.GlobalID("Request", "not-a-uuid"), "Request") is None
    assert parse_id(text) == RID
    assert parse_id(text.replace("-", "")) == RID  # as uuid.UUID reads it
    assert parse_id("nope") is None
    assert parse_id(None) is None
    assert uuid.UUID(int=0) == MISSING


class _Payload:
    def __init__(self, thing: object = None, user_errors: list[object] | None = None) -> None:
        self.thing, self.user_errors = thing, user_errors or []


async def test_a_refusal_becomes_user_errors_and_a_result_the_payload() -> None:
    async def refuse() -> object:
        raise DomainError.single("requestId", "no such request", ErrorCode.NOT_FOUND)

    async def work() -> int:
        return 41

    refused = await payload(_Payload, refuse, lambda n: _Payload(thing=n))
    assert refused.thing is None
    assert [(e.field, e.code) for e in refused.user_errors] == [  # type: ignore[attr-defined]
        ("requestId", ErrorCode.NOT_FOUND)
    ]
    done = await payload(_Payload, work, lambda n: _Payload(thing=n + 1))
    assert (done.thing, done.user_errors) == (42, [])

    async def later(n: int) -> _Payload:
        return _Payload(thing=n * 2)

    assert (await payload(_Payload, work, later)).thing == 82


def test_a_cursor_with_a_naive_time_is_refused() -> None:
    naive = ["n", "2026-01-01T00:00:00", str(RID)]
    cursor = base64.urlsafe_b64encode(json.dumps(naive).encode()).decode().rstrip("=")
    with pytest.raises(BadCursor):
        decode_cursor(cursor, Order.NEWEST)
