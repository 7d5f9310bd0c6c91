"""What each caller reads where that differs by caller: an item's decision (an agency never
learns the state of an account from it), the operations the caller may perform next, and who
verified an agency."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.auth.scopes import REQUESTS_SUBMIT, REVIEW
from trustcenter.domain.decisions import Reading, ReasonVocabulary, read_decision
from trustcenter.domain.lifecycle import Operation, Party, RequestStatus, allowed_operations

if TYPE_CHECKING:
    from trustcenter.services.views import ItemView


class Verified(Protocol):
    """An agency as stored (its ORM row or a Core row of its table): who verified it, on what."""

    @property
    def verified_by(self) -> str | None: ...

    @property
    def verification_evidence(self) -> str | None: ...


def item_decision(principal: Principal, item: ItemView, reasons: ReasonVocabulary) -> Reading:
    """The item's outcome, reason code and explanation as ``principal`` reads them: staff read
    what the reviewer decided; anyone else reads NO_RESPONSIVE_DATA, with one fixed sentence,
    for an item refused because of the account's state (unknown identifier, data not held, no
    premium service), whatever the reason was."""
    return read_decision(
        item.outcome,
        item.reason_code,
        item.explanation,
        reasons,
        by_agency=not principal.is_staff,
    )


def next_operations(principal: Principal, status: RequestStatus) -> list[Operation]:
    """What ``principal`` may do next: reviewers (scope review) the company's operations, the
    requesting agency (scope requests:submit) its own; nobody sees the other side's."""
    if principal.is_staff and principal.has(REVIEW):
        return allowed_operations(status, Party.REVIEWER)
    if principal.kind is PrincipalKind.AGENCY and principal.has(REQUESTS_SUBMIT):
        return allowed_operations(status, Party.AGENCY)
    return []


def verified_by(principal: Principal, agency: Verified) -> str | None:
    """Who verified the agency: staff read it, the agency itself does not."""
    return agency.verified_by if principal.is_staff else None


def verification_evidence(principal: Principal, agency: Verified) -> str | None:
    """What the verifier saw when granting jurisdictions: staff read it, the agency does not."""
    return agency.verification_evidence if principal.is_staff else None
