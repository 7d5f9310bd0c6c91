"""The domain's rules for the agency's side of status webhooks and e-mails: which transition is
which event, the body (ids, status, links; nothing else), the event types an agency may choose,
the secrets, and the status e-mails' recipients and words."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

from strawberry.relay import to_base64

from trustcenter.domain import status_emails
from trustcenter.domain.lifecycle import TRANSITIONS, Operation
from trustcenter.domain.webhooks import (
    EVENT_OF,
    EventType,
    check_url,
    checked_event_types,
    event_payload,
    new_message_id,
    new_secret,
    request_global_id,
)


def test_every_transition_an_agency_is_told_of_is_one_event() -> None:
    told = {op for op in TRANSITIONS if op in EVENT_OF}
    assert set(TRANSITIONS) - told == {
        Operation.START_REVIEW, Operation.ANSWER_CLARIFICATION}  # fmt: skip
    # received and deadline_extended are no transition: the submission and the hold's
    # extension name them
    assert set(EventType) - set(EVENT_OF.values()) == {
        EventType.RECEIVED, EventType.DEADLINE_EXTENDED}  # fmt: skip


def test_the_body_carries_the_id_as_the_api_shows_it_and_nothing_else() -> None:
    rid = uuid.uuid4()
    assert request_global_id(rid) == to_base64("Request", str(rid))
    at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    body = json.loads(
        event_payload(EventType.DECIDED, at, rid, "partially_approved", 4, "https://tc.example/")
    )
    assert body == {
        "type": "request.decided",
        "timestamp": "2026-12-03T12:00:00Z",
        "data": {
            "requestId": to_base64("Request", str(rid)),
            "status": "PARTIALLY_APPROVED",
            "version": 4,
            "links": {"request": "https://tc.example/graphql"},
        },
    }


def test_event_types_are_checked() -> None:
    assert checked_event_types(["request.closed", "request.closed"]) == [EventType.CLOSED]
    assert "choose at least one" in str(checked_event_types([]))
    refused = str(checked_event_types(["request.closed", "x" * 5000]))
    assert refused.startswith("unknown event type") and len(refused) < 600


def test_urls_with_spaces_or_control_characters_are_refused() -> None:
    for url in ("https://a.example/\x00", "https://a.example/ x", "https://a.example/\t"):
        refusal = check_url(url, production=False)
        assert refusal is not None and "control" in refusal.reason


def test_secrets_and_message_ids() -> None:
    secret = new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert new_secret() != secret
    message = new_message_id()
    assert message.startswith("msg_") and len(message) == 36 and int(message[4:], 16) >= 0


def test_status_emails_go_to_each_address_once_in_the_agencys_language() -> None:
    assert status_emails.recipients("K.Weber@polizei.example", "k.weber@POLIZEI.example") == [
        "K.Weber@polizei.example"]  # fmt: skip
    assert status_emails.recipients(None, " lage@polizei.example ") == ["lage@polizei.example"]
    assert status_emails.recipients("", "not an address") == []
    assert status_emails.language_of_agency("AT") == "de"
    assert status_emails.language_of_agency("BE") == "en"  # Dutch first: no template, English
    assert status_emails.language_of_agency("JP") == "en"
    for language in status_emails.WORDS:
        for event in status_emails.EMAILED:
            subject, body = status_emails.compose(event, language, "UmVx", "APPROVED", "L")
            assert subject and "UmVx" in body and "APPROVED" in body and " L\n" in body
