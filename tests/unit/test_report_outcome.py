"""What a request counts as in the transparency report, as its status changes."""

from __future__ import annotations

from functools import reduce

import pytest

from trustcenter.domain.lifecycle import RequestStatus as S
from trustcenter.domain.report import Outcome, figures_sha256, outcome_after, percentage


def through(*statuses: S) -> Outcome:
    return reduce(outcome_after, statuses, Outcome.PENDING)


@pytest.mark.parametrize(
    ("path", "outcome"),
    [
        ((S.IN_REVIEW,), Outcome.PENDING),
        ((S.IN_REVIEW, S.CLARIFICATION_REQUESTED), Outcome.CHALLENGED),
        # questioned, then approved: not challenged any more
        ((S.IN_REVIEW, S.CLARIFICATION_REQUESTED, S.IN_REVIEW, S.APPROVED), Outcome.APPROVED),
        ((S.IN_REVIEW, S.CLARIFICATION_REQUESTED, S.IN_REVIEW), Outcome.CHALLENGED),
        ((S.IN_REVIEW, S.CLARIFICATION_REQUESTED, S.WITHDRAWN), Outcome.CHALLENGED),
        ((S.IN_REVIEW, S.CLARIFICATION_REQUESTED, S.SUPERSEDED), Outcome.CHALLENGED),
        ((S.IN_REVIEW, S.OBJECTED, S.CLOSED), Outcome.CHALLENGED),
        ((S.IN_REVIEW, S.REJECTED, S.CLOSED), Outcome.REJECTED),
        ((S.IN_REVIEW, S.PARTIALLY_APPROVED, S.DISCLOSED, S.CLOSED), Outcome.WITH_DATA),
        ((S.WITHDRAWN,), Outcome.WITHDRAWN),
        ((S.IN_REVIEW, S.APPROVED, S.WITHDRAWN), Outcome.APPROVED),
    ],
)
def test_the_outcome_follows_the_decisions(path: tuple[S, ...], outcome: Outcome):
    assert through(*path) is outcome


def test_percentages_and_digests():
    assert percentage(2, 3) == 66.7 and percentage(0, 0) is None
    assert figures_sha256({"b": 1, "a": [1, 2]}) == figures_sha256({"a": [1, 2], "b": 1})
    assert figures_sha256({"a": 1}) != figures_sha256({"a": 2})
