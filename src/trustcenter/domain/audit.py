"""The audit chain: each event's hash covers the previous hash and the event's canonical
content, so any later edit, deletion or reordering breaks the chain at a nameable event.

Writers do not extend the chain themselves: an event is stored *unsealed*, numbered by the
database and hashed over its own content (``prev_hash`` empty, no chain position). One sealer
later gives committed events, in number order, their chain position, the previous event's hash
and their chain hash (``seal``). The chain's order is the sealing order: an event that commits
late with a lower number is sealed in a later round, after events with higher numbers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class Actor:
    """Who caused an event: an OAuth client (agency or staff), an operator at the CLI, or the
    system itself (workers)."""

    kind: str
    id: str
    #: a person's name as it stood when they acted (None for clients, operators, the system)
    name: str | None = None
    #: what carried a person's action: "session:<id>" or "client:<client id>"
    via: str | None = None

    @classmethod
    def operator(cls, name: str) -> Actor:
        """An operator at the command line, by the name the command line gives (the user it
        runs as; it reads that name, the domain never asks the system)."""
        return cls("operator", f"cli:{name}")


SYSTEM = Actor("system", "trustcenter")
#: an operator nobody named: a use case called without a principal or an actor (directly, as
#: the test kits do); the command line always names its operator
UNNAMED_OPERATOR = Actor.operator("unknown")


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str
    action: str
    subject_type: str
    subject_id: str
    request_id: str | None
    data: Mapping[str, Any]
    prev_hash: str
    hash: str = ""
    actor_name: str | None = None
    actor_via: str | None = None
    #: the event's place in the chain, given when it is sealed (None: not sealed yet). Events
    #: built without one (hand-made chains) stand at their ``seq``.
    position: int | None = None
    #: the HTTP request that caused the event (its ``X-Request-ID``), None outside one
    correlation_id: str | None = None

    @property
    def place(self) -> int:
        return self.seq if self.position is None else self.position


#: the ``prev_hash`` an unsealed event's own hash is computed with
UNSEALED = ""


def canonical(event: AuditRecord) -> bytes:
    """The bytes the hash covers: every field but the hash, in one fixed JSON form. The
    actor's name and carrier are covered when an event has them (events written before people
    signed in have neither, and hash as they always did); so is the HTTP request that caused it."""
    body: dict[str, Any] = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(timespec="microseconds"),
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "action": event.action,
        "subject_type": event.subject_type,
        "subject_id": event.subject_id,
        "request_id": event.request_id,
        "data": event.data,
        "prev_hash": event.prev_hash,
    }
    if event.actor_name is not None:
        body["actor_name"] = event.actor_name
    if event.actor_via is not None:
        body["actor_via"] = event.actor_via
    if event.correlation_id is not None:
        body["correlation_id"] = event.correlation_id
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode()


def chain_hash(event: AuditRecord) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def seal(event: AuditRecord, position: int, prev_hash: str) -> AuditRecord:
    """The event as the sealer chains it: at ``position``, after the event hashed ``prev_hash``."""
    linked = replace(event, position=position, prev_hash=prev_hash)
    return replace(linked, hash=chain_hash(linked))


def tail_break(event: AuditRecord) -> Break | None:
    """An unsealed event holds when its hash is its own content's (``prev_hash`` empty)."""
    if event.prev_hash != UNSEALED:
        return Break(event.seq, "not sealed but names a previous hash (edited)")
    if chain_hash(event) != event.hash:
        return Break(event.seq, "content does not match its hash (edited)")
    return None


@dataclass(frozen=True, slots=True)
class Break:
    """The first event at which the chain no longer holds, and why."""

    seq: int
    reason: str


class ChainVerifier:
    """Checks events one at a time, in stored order, so a long chain needs no memory
    (``verify_chain`` feeds it; the store only reads the events, streaming)."""

    def __init__(self) -> None:
        self.checked = 0
        self._expected_seq = 1
        self._prev = GENESIS

    def feed(self, event: AuditRecord) -> Break | None:
        self.checked += 1
        if event.place != self._expected_seq:
            what = "missing before it" if event.place > self._expected_seq else "out of order"
            return Break(event.seq, f"sequence {self._expected_seq} expected; events {what}")
        if event.prev_hash != self._prev:
            return Break(event.seq, "does not follow the previous event's hash")
        if chain_hash(event) != event.hash:
            return Break(event.seq, "content does not match its hash (edited)")
        self._prev, self._expected_seq = event.hash, event.place + 1
        return None

    def finish(self, head: tuple[int, str] | None) -> Break | None:
        """``head`` is the (seq, hash) the store recorded for its newest event: it reveals
        events deleted from the end, which no later event's ``prev_hash`` could."""
        last = self._expected_seq - 1
        if head is not None and head != (last, self._prev):
            return Break(
                head[0],
                f"the chain ends at {last} but {head[0]} was recorded as "
                "the newest event (events removed)",
            )
        return None


def verify_chain(
    events: Iterable[AuditRecord], head: tuple[int, str] | None
) -> tuple[int, Break | None]:
    """Check a whole chain, in stored order, against the store's recorded ``head``; return
    how many events were read and the first break (None: the chain holds). ``events`` may be
    a lazy stream: they are read one at a time and reading stops at the first break."""
    verifier = ChainVerifier()
    for event in events:
        broken = verifier.feed(event)
        if broken is not None:
            return verifier.checked, broken
    return verifier.checked, verifier.finish(head)


@dataclass(frozen=True, slots=True)
class LogCheck:
    """A whole log checked: events read, the first break (None: it holds), and how many of
    the events read were not sealed yet."""

    checked: int
    broken: Break | None
    unsealed: int


def verify_log(
    sealed: Iterable[AuditRecord],
    head: tuple[int, str] | None,
    unsealed: Iterable[AuditRecord],
) -> LogCheck:
    """The sealed chain in chain order against the recorded ``head`` (``verify_chain``), then
    each unsealed event against its own hash, in number order. Both may be lazy streams."""
    checked, broken = verify_chain(sealed, head)
    if broken is not None:
        return LogCheck(checked, broken, 0)
    tail = 0
    for event in unsealed:
        checked, tail = checked + 1, tail + 1
        broken = tail_break(event)
        if broken is not None:
            return LogCheck(checked, broken, tail)
    return LogCheck(checked, None, tail)
