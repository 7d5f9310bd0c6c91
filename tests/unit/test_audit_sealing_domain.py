"""Sealing, on events built by hand: an unsealed event holds by its own hash, sealing chains
events in the order the sealer meets them (not necessarily their numbers), and ``verify_log``
checks the sealed chain, then the unsealed tail, naming the first bad event."""

from __future__ import annotations

import dataclasses

from tests.unit.test_audit_chain import build
from trustcenter.domain.audit import (
    GENESIS,
    UNSEALED,
    AuditRecord,
    chain_hash,
    seal,
    tail_break,
    verify_log,
)


def unsealed(n: int) -> list[AuditRecord]:
    """n events as writers store them: their own hash, no previous hash, no place."""
    out = []
    for e in build(n):
        own = dataclasses.replace(e, prev_hash=UNSEALED, hash="")
        out.append(dataclasses.replace(own, hash=chain_hash(own)))
    return out


def sealed_in(order: list[AuditRecord]) -> tuple[list[AuditRecord], tuple[int, str]]:
    chain, prev = [], GENESIS
    for position, e in enumerate(order, start=1):
        linked = seal(e, position, prev)
        chain.append(linked)
        prev = linked.hash
    return chain, (len(chain), prev)


def test_an_unsealed_event_holds_by_its_own_hash() -> None:
    events = unsealed(3)
    assert all(tail_break(e) is None for e in events)
    forged = dataclasses.replace(events[1], actor_id="someone else")
    broken = tail_break(forged)
    assert broken is not None and broken.seq == 2 and "edited" in broken.reason
    renumbered = dataclasses.replace(events[1], seq=7)  # the number is covered too
    assert tail_break(renumbered) is not None


def test_sealing_order_may_differ_from_the_numbers() -> None:
    a, b, c = unsealed(3)
    chain, head = sealed_in([a, c, b])  # b committed late: sealed after c
    assert [(e.seq, e.position) for e in chain] == [(1, 1), (3, 2), (2, 3)]
    found = verify_log(chain, head, [])
    assert (found.checked, found.broken, found.unsealed) == (3, None, 0)


def test_the_log_is_the_chain_then_the_tail() -> None:
    events = unsealed(5)
    chain, head = sealed_in(events[:3])
    found = verify_log(chain, head, events[3:])
    assert (found.checked, found.broken, found.unsealed) == (5, None, 2)
    forged = dataclasses.replace(events[4], data={"forged": True})
    found = verify_log(chain, head, [events[3], forged])
    assert found.broken is not None and found.broken.seq == 5 and found.unsealed == 2


def test_a_broken_chain_is_named_before_the_tail_is_read() -> None:
    events = unsealed(4)
    chain, head = sealed_in(events[:3])
    swapped = [chain[0], chain[2], chain[1]]
    found = verify_log(swapped, head, events[3:])
    assert found.broken is not None and found.broken.seq == 3 and found.unsealed == 0


def test_an_unsealed_event_naming_a_previous_hash_is_named() -> None:
    (event,) = unsealed(1)
    claimed = dataclasses.replace(event, prev_hash=GENESIS)
    found = verify_log([], None, [claimed])
    assert found.broken is not None and found.broken.seq == 1
