"""Four eyes on a release: when a second person must agree, and who may be that person.

A release needs one person (the reviewer alone) or two: the deployment's floor
(``TRUSTCENTER_RELEASE_APPROVERS``) raised by any plugin that asks for more for this request.
With two, the first ``release`` records its caller's approval and asks for a second one;
another person then approves and the release goes ahead. People are named by the id that
records their decisions (a person ``person:<e-mail>``, a client its client id):

- the second person is not the first one (nobody approves twice), and decided no item of the
  request (the one who decided never approves their own decisions);
- an approval holds for the request's version it was given at: any change to the request
  afterwards (a new decision, a reclassification …) voids it, and the release is asked again.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Protocol, TypeVar

#: the deployment's choices, and the only answers a plugin may give
ONE, TWO = 1, 2
APPROVERS = (ONE, TWO)


class Given(Protocol):
    """An approval as recorded: who gave it, at which version of the request."""

    @property
    def actor_id(self) -> str: ...

    @property
    def version(self) -> int: ...


G = TypeVar("G", bound=Given)


def approvers_needed(configured: int, asked: Iterable[int]) -> int:
    """How many people must agree: the configured number, raised (never lowered) by what the
    plugins ask for this request."""
    return max([configured, *asked])


def in_force(given: Sequence[G], version: int) -> list[G]:
    """The approvals given at the request's current version; older ones were voided by a
    change."""
    return [g for g in given if g.version == version]


def shown(given: Sequence[G], version: int, released: bool) -> list[G]:
    """What a reader is shown: before the release, the approvals in force; after it, the
    approvals it went out on (those of the last version any was given at)."""
    if not released:
        return in_force(given, version)
    last = max((g.version for g in given), default=None)
    return [g for g in given if g.version == last]


def approval_refusal(actor: str, deciders: Collection[str], pending: Sequence[Given]) -> str | None:
    """Why ``actor`` may not give the second approval of a release ``pending`` waits on (the
    approvals in force), or None."""
    if any(g.actor_id == actor for g in pending):
        return (
            "you approved this release already (asking for it counts as your approval); a "
            "second person must approve it"
        )
    if actor in deciders:
        return (
            "you decided items of this request: the second approval must come from someone "
            "who did not"
        )
    return None


def voided_message(asked_at: int, now: int) -> str:
    """What an approver is told when the release was asked for at an older version."""
    return (
        f"the request changed since its release was asked for (version {asked_at}, now {now}): "
        "that approval no longer holds; the release must be asked for again"
    )
