"""A page's cursor is the base64 of its position's JSON, as it always was: cursors handed out
before keep working, and every cursor reads back as the position it names."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.services.reads import NewestAfter, Order, QueueAfter, decode_cursor, encode_cursor
from trustcenter.services.views import RequestView

WHEN = datetime(2026, 11, 30, 15, 11, 27, 391711, tzinfo=UTC)
VIEW = RequestView(
    id=uuid.UUID("d601c379-49c7-4913-b36a-408be0de98d4"), agency_id=uuid.uuid4(),
    legal_basis_id=uuid.uuid4(), revision_of_id=None, status=RequestStatus.RECEIVED,
    category="ACCOUNT", jurisdiction="DE", emergency=True, emergency_description=None,
    reason="r", officer_name="n", officer_title="t", officer_email="e", officer_phone="p",
    received_at=WHEN, deadline=WHEN + timedelta(days=30), hold_until=None, hold_extensions=0,
    version=1,
)  # fmt: skip


def json_cursor(keys: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(keys).encode()).decode().rstrip("=")


def test_cursors_are_the_base64_of_their_positions_json():
    for view in (VIEW, replace(VIEW, emergency=False, received_at=WHEN.replace(microsecond=0))):
        rid = str(view.id)
        newest = ["n", view.received_at.isoformat(), rid]
        queue = ["q", view.emergency, view.deadline.isoformat(), rid]
        assert encode_cursor(view) == json_cursor(newest)
        assert encode_cursor(view, Order.QUEUE) == json_cursor(queue)
        assert decode_cursor(encode_cursor(view)) == NewestAfter(view.received_at, view.id)
        assert decode_cursor(encode_cursor(view, Order.QUEUE), Order.QUEUE) == QueueAfter(
            view.emergency, view.deadline, view.id
        )
