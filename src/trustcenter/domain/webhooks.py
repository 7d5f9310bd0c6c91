"""Status webhooks, as rules: the event types an agency may subscribe to, the back-off of a
delivery that failed, and which addresses a delivery may go to (no SSRF).

The format and signing are the Standard Webhooks specification's (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``; HMAC-SHA256 with ``whsec_`` secrets); the
adapters do the HTTP and the signing, this module decides."""

from __future__ import annotations

import base64
import ipaddress
import json
import secrets
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from trustcenter.domain.lifecycle import Operation


class EventType(StrEnum):
    RECEIVED = "request.received"
    CLARIFICATION_REQUESTED = "request.clarification_requested"
    DECIDED = "request.decided"
    DISCLOSURE_READY = "request.disclosure_ready"
    CLOSED = "request.closed"
    WITHDRAWN = "request.withdrawn"
    SUPERSEDED = "request.superseded"
    DEADLINE_EXTENDED = "request.deadline_extended"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


#: how long a delivery is retried before it is FAILED, and how long an endpoint may fail
#: every delivery before it is disabled (and its agency told)
GIVE_UP_AFTER = timedelta(days=3)
#: the first retry's delay; each further one doubles, up to ``MAX_BACKOFF``
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)
#: how long a rotated-out secret still signs beside the new one
ROTATION_OVERLAP = timedelta(hours=24)
#: a receiver's answer is read up to this many bytes (the rest is never read)
MAX_RESPONSE_BYTES = 64 * 1024


def backoff(attempts: int, draw: Callable[[], float]) -> timedelta:
    """The wait before the next attempt after ``attempts`` failed ones: exponential with
    full jitter (a random share, ``draw()`` in [0, 1), of the exponential step, never less
    than a second), so endpoints that failed together do not retry together."""
    step: timedelta = min(FIRST_BACKOFF * (2 ** max(attempts - 1, 0)), MAX_BACKOFF)
    return max(timedelta(seconds=1), step * draw())


def encode_event_types(types: Iterable[EventType]) -> str:
    """As stored: sorted, separated and surrounded by spaces (so one LIKE finds a type)."""
    return " " + " ".join(sorted({t.value for t in types})) + " "


def decode_event_types(stored: str) -> list[EventType]:
    return [EventType(t) for t in stored.split()]


@dataclass(frozen=True, slots=True)
class UrlRefusal:
    reason: str


#: networks a delivery never goes to unless an admin allowed private addresses for the
#: endpoint: besides what ``ipaddress`` calls private, loopback, link-local (which holds the
#: cloud metadata address 169.254.169.254), multicast, reserved and unspecified
_ALSO_REFUSED = (
    ipaddress.ip_network("100.64.0.0/10"),  # carrier-grade NAT
    ipaddress.ip_network("192.0.0.0/24"),
    ipaddress.ip_network("198.18.0.0/15"),  # benchmarking
    ipaddress.ip_network("fd00:ec2::254/128"),  # a cloud's metadata over IPv6
)


def check_url(url: str, *, production: bool) -> UrlRefusal | None:
    """An endpoint's address as registered: ``https://`` with a host, no credentials, at most
    2,000 characters; in development also ``http://127.0.0.1``, ``http://[::1]`` and
    ``http://localhost`` (tests and local receivers)."""
    if len(url) > 2000:
        return UrlRefusal("is longer than 2,000 characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return UrlRefusal("may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return UrlRefusal("is not a valid URL")
    if parts.username or parts.password:
        return UrlRefusal("may not carry a user name or password")
    if not parts.hostname:
        return UrlRefusal("has no host")
    if port == 0:
        return UrlRefusal("has no valid port")
    if parts.fragment:
        return UrlRefusal("may not have a fragment")
    if parts.scheme == "https":
        return None
    local = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme == "http" and local and not production:
        return None
    return UrlRefusal(
        "must be an https:// address"
        + ("" if production else " (http:// only for 127.0.0.1 or localhost in development)")
    )


def refused_address(address: str, *, private_allowed: bool) -> str | None:
    """Why a delivery may not go to ``address`` (a resolved IP), None when it may. Checked
    at every delivery, on every address the host resolves to."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if private_allowed:
        return None
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_private or any(ip in net for net in _ALSO_REFUSED):
        return "a private address"
    if ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        return "not a public address"
    return None


# --- the agency's side: endpoints and the events they are told of -------------------------

#: the most endpoints one agency may register (deleted ones do not count)
MAX_ENDPOINTS = 10
MAX_DESCRIPTION = 200
#: ``disabled_reason`` of an endpoint its agency deleted while deliveries still named it: it
#: stays for the record (the deliveries' history), disabled and hidden from the agency
DELETED = "deleted by the agency"
#: the random bytes behind a ``whsec_`` secret (Standard Webhooks: 24 to 64)
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and the base64 of ``SECRET_BYTES`` random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """A delivery's ``webhook-id``: "msg_" and 32 hex digits, fixed when the event happened."""
    return "msg_" + secrets.token_hex(16)


def checked_event_types(given: Iterable[str]) -> list[EventType] | str:
    """The event types asked for, or why they are refused (none given, or an unknown one)."""
    names = list(given)
    if not names:
        return "choose at least one event type"
    known = {t.value for t in EventType}
    unknown = [n for n in names if n not in known]
    if unknown:
        shown = ", ".join(repr(n[:64]) for n in unknown[:3])
        return f"unknown event type {shown}; known: {', '.join(sorted(known))}"
    return [EventType(n) for n in dict.fromkeys(names)]


#: the event a request's transition is, for the transitions an agency is told of
EVENT_OF: dict[Operation, EventType] = {
    Operation.ASK_CLARIFICATION: EventType.CLARIFICATION_REQUESTED,
    Operation.APPROVE: EventType.DECIDED,
    Operation.APPROVE_PARTIALLY: EventType.DECIDED,
    Operation.OBJECT: EventType.DECIDED,
    Operation.REJECT: EventType.DECIDED,
    Operation.RELEASE: EventType.DISCLOSURE_READY,
    Operation.CLOSE: EventType.CLOSED,
    Operation.WITHDRAW: EventType.WITHDRAWN,
    Operation.SUPERSEDE: EventType.SUPERSEDED,
}


def request_global_id(request_id: uuid.UUID) -> str:
    """The request's id as the GraphQL API shows it (a Relay global id of ``Request``)."""
    return base64.b64encode(f"Request:{request_id}".encode()).decode()


def event_payload(
    event: EventType,
    at: datetime,
    request_id: uuid.UUID,
    status: str,
    version: int,
    issuer: str,
) -> str:
    """The body a receiver gets: the event's type and time, the request's id, status and
    version, and where to read it. Ids, status and links only: never an identifier, a name,
    a message or anything else the request says (the agency reads those with its token)."""
    body = {
        "type": event.value,
        "timestamp": at.isoformat().replace("+00:00", "Z"),
        "data": {
            "requestId": request_global_id(request_id),
            "status": status.upper(),
            "version": version,
            "links": {"request": issuer.rstrip("/") + "/graphql"},
        },
    }
    return json.dumps(body, separators=(",", ":"))
