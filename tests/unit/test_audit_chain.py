"""The audit hash chain, on chains built by hand: every edit, deletion or reordering is caught
at a nameable event, and only a chain that was left alone verifies."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trustcenter.domain.audit import (
    GENESIS,
    AuditRecord,
    Break,
    ChainVerifier,
    canonical,
    chain_hash,
    verify_chain,
)

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
REQUEST = "6f1c2d3e-0000-4000-8000-000000000001"


def build(n: int, actor: str = "tc_client") -> list[AuditRecord]:
    """n linked events, as the store appends them."""
    events: list[AuditRecord] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        e = AuditRecord(
            seq=seq,
            occurred_at=T0 + timedelta(seconds=seq),
            actor_kind="staff" if seq % 2 else "agency",
            actor_id=f"{actor}_{seq % 3}",
            action=f"step.{seq}",
            subject_type="request",
            subject_id=REQUEST,
            request_id=REQUEST,
            data={"version": seq, "from": "a", "to": "b"},
            prev_hash=prev,
        )
        e = dataclasses.replace(e, hash=chain_hash(e))
        events.append(e)
        prev = e.hash
    return events


def head_of(events: list[AuditRecord]) -> tuple[int, str]:
    return events[-1].seq, events[-1].hash


def rehash(e: AuditRecord, **changes: Any) -> AuditRecord:
    """An event changed and given a hash that matches its new content (a careful forger)."""
    changed = dataclasses.replace(e, **changes)
    return dataclasses.replace(changed, hash=chain_hash(changed))


# --- an intact chain ------------------------------------------------------------------------


def test_an_intact_chain_verifies() -> None:
    events = build(6)
    assert verify_chain(events, head_of(events)) == (6, None)
    assert verify_chain(events, None) == (6, None)


def test_an_empty_chain_verifies() -> None:
    assert verify_chain([], None) == (0, None)
    assert ChainVerifier().finish(None) is None


def test_an_empty_chain_whose_head_names_events_is_broken() -> None:
    events = build(3)
    checked, broken = verify_chain([], head_of(events))
    assert checked == 0
    assert broken is not None and broken.seq == 3


def test_the_verifier_reads_one_event_at_a_time() -> None:
    events = build(4)
    v = ChainVerifier()
    for n, e in enumerate(events, start=1):
        assert v.feed(e) is None
        assert v.checked == n
    assert v.finish(head_of(events)) is None


def test_the_first_event_follows_genesis() -> None:
    events = build(1)
    assert events[0].prev_hash == GENESIS == "0" * 64
    forged = rehash(events[0], prev_hash="f" * 64)
    assert verify_chain([forged], None)[1] == Break(1, "does not follow the previous event's hash")


# --- chain_hash -----------------------------------------------------------------------------


def test_the_hash_is_sha256_of_the_canonical_form() -> None:
    e = build(1)[0]
    assert chain_hash(e) == hashlib.sha256(canonical(e)).hexdigest()
    assert len(chain_hash(e)) == 64
    body = json.loads(canonical(e))
    assert "hash" not in body
    assert body["prev_hash"] == GENESIS and body["seq"] == 1


def test_the_hash_does_not_depend_on_key_order_or_on_the_stored_hash() -> None:
    e = build(1)[0]
    reordered = dataclasses.replace(e, data={"to": "b", "version": 1, "from": "a"})
    assert chain_hash(reordered) == chain_hash(e)
    assert chain_hash(dataclasses.replace(e, hash="anything")) == chain_hash(e)


def test_the_hash_keeps_the_time_to_the_microsecond() -> None:
    e = build(1)[0]
    # a second later is another event
    assert chain_hash(dataclasses.replace(e, occurred_at=e.occurred_at + timedelta(seconds=1))) != (
        chain_hash(e)
    )
    # a microsecond later too: the canonical form keeps microseconds
    assert chain_hash(
        dataclasses.replace(e, occurred_at=e.occurred_at + timedelta(microseconds=1))
    ) != chain_hash(e)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("seq", 2),
        ("occurred_at", T0 + timedelta(days=1)),
        ("actor_kind", "operator"),
        ("actor_id", "tc_someone_else"),
        ("action", "request.approved"),
        ("subject_type", "agency"),
        ("subject_id", "other"),
        ("request_id", None),
        ("data", {"version": 1, "from": "a", "to": "approved"}),
        ("data", {"version": 1, "from": "a", "to": "b", "extra": True}),
        ("data", {}),
        ("prev_hash", "1" * 64),
    ],
)
def test_the_hash_covers_every_field(field: str, value: Any) -> None:
    e = build(1)[0]
    assert chain_hash(dataclasses.replace(e, **{field: value})) != chain_hash(e)


# --- edits ----------------------------------------------------------------------------------


@pytest.mark.parametrize("at", [1, 3, 6])
def test_an_edited_event_is_named(at: int) -> None:
    events = build(6)
    events[at - 1] = dataclasses.replace(events[at - 1], data={"version": 99})
    checked, broken = verify_chain(events, head_of(build(6)))
    assert broken is not None and broken.seq == at
    assert "edited" in broken.reason
    assert checked == at  # it stopped at the break


def test_an_edited_hash_is_named() -> None:
    events = build(5)
    events[2] = dataclasses.replace(events[2], hash="0" * 64)
    assert verify_chain(events, None)[1] == Break(3, "content does not match its hash (edited)")


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link() -> None:
    events = build(5)
    events[1] = rehash(events[1], actor_id="tc_forger")
    broken = verify_chain(events, None)[1]
    assert broken is not None and broken.seq == 3
    assert "previous" in broken.reason


def test_rewriting_the_whole_tail_is_caught_by_the_head() -> None:
    original = build(5)
    forged = original[:2]
    prev = forged[-1].hash
    for e in original[2:]:  # every later event re-linked and re-hashed
        f = rehash(e, data={"forged": True}, prev_hash=prev)
        forged.append(f)
        prev = f.hash
    assert verify_chain(forged, None) == (5, None)  # consistent in itself
    broken = verify_chain(forged, head_of(original))[1]
    assert broken is not None and broken.seq == 5


def test_a_renumbered_event_is_named() -> None:
    events = build(4)
    events[2] = dataclasses.replace(events[2], seq=7)
    broken = verify_chain(events, None)[1]
    assert broken is not None and broken.seq == 7


# --- deletions ------------------------------------------------------------------------------


@pytest.mark.parametrize("gone", [1, 2, 4])
def test_a_deleted_event_names_the_one_after_the_gap(gone: int) -> None:
    events = build(5)
    head = head_of(events)
    del events[gone - 1]
    broken = verify_chain(events, head)[1]
    assert broken is not None and broken.seq == gone + 1
    assert "missing" in broken.reason


def test_several_deleted_events_name_the_first_gap() -> None:
    events = build(8)
    kept = [e for e in events if e.seq not in (3, 4, 6)]
    broken = verify_chain(kept, head_of(events))[1]
    assert broken is not None and broken.seq == 5


def test_a_deleted_newest_event_is_caught_by_the_head() -> None:
    events = build(5)
    head = head_of(events)
    checked, broken = verify_chain(events[:-1], head)
    assert checked == 4
    assert broken is not None and broken.seq == 5
    assert "removed" in broken.reason


def test_without_a_head_a_shortened_chain_cannot_be_told_apart() -> None:
    # This is why the store keeps the head: the chain alone does not reveal a cut tail.
    events = build(5)
    assert verify_chain(events[:-2], None) == (3, None)


def test_a_head_with_another_hash_is_a_break() -> None:
    events = build(3)
    broken = verify_chain(events, (3, "f" * 64))[1]
    assert broken is not None and broken.seq == 3


def test_a_head_behind_the_chain_is_a_break() -> None:
    # events appended after the head was written: not the store's own appends
    events = build(4)
    broken = verify_chain(events, (3, events[2].hash))[1]
    assert broken is not None


def test_deleting_everything_is_caught_by_the_head() -> None:
    events = build(4)
    assert verify_chain([], head_of(events))[1] == Break(
        4, "the chain ends at 0 but 4 was recorded as the newest event (events removed)"
    )


# --- reordering -----------------------------------------------------------------------------


def test_two_swapped_events_name_the_first_out_of_place() -> None:
    events = build(5)
    events[1], events[2] = events[2], events[1]  # stored order 1, 3, 2, 4, 5
    broken = verify_chain(events, head_of(build(5)))[1]
    assert broken is not None and broken.seq == 3


def test_swapped_contents_under_the_original_numbers_name_the_first_one() -> None:
    events = build(5)
    second, third = events[1], events[2]
    events[1] = dataclasses.replace(third, seq=2)
    events[2] = dataclasses.replace(second, seq=3)
    broken = verify_chain(events, None)[1]
    assert broken is not None and broken.seq == 2


def test_a_repeated_event_is_named() -> None:
    events = build(4)
    events.insert(2, events[1])  # 1, 2, 2, 3, 4
    broken = verify_chain(events, None)[1]
    assert broken is not None and broken.seq == 2
    assert "out of order" in broken.reason


def test_a_reversed_chain_is_broken_at_once() -> None:
    events = list(reversed(build(4)))
    checked, broken = verify_chain(events, None)
    assert checked == 1
    assert broken is not None and broken.seq == 4


def test_events_spliced_from_another_chain_are_named() -> None:
    ours, theirs = build(4), build(4, actor="tc_other")
    assert verify_chain(theirs, None) == (4, None)
    mixed = [ours[0], ours[1], theirs[2], ours[3]]
    broken = verify_chain(mixed, None)[1]
    assert broken is not None and broken.seq == 3


# --- the HTTP request an event names --------------------------------------------------------


def test_an_events_request_id_is_covered_and_its_absence_hashes_as_before() -> None:
    [plain] = build(1)
    assert b"correlation_id" not in canonical(plain)  # events written before hash as they did
    named = rehash(plain, correlation_id="lb-42")
    assert b'"correlation_id":"lb-42"' in canonical(named)
    assert verify_chain([named], head_of([named])) == (1, None)
    forged = dataclasses.replace(named, correlation_id="lb-43")  # the id edited afterwards
    _, broken = verify_chain([forged], head_of([named]))
    assert broken is not None and broken.seq == 1
