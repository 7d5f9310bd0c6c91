"""Small policy rules used at submission: the report category and the default deadline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from trustcenter.domain.enums import Category, IdentifierType, InfoType, TargetKind
from trustcenter.domain.errors import ErrorCode, Problem

DEFAULT_RESPONSE_TIME = timedelta(days=30)
EMERGENCY_RESPONSE_TIME = timedelta(hours=8)


def derive_category(
    emergency: bool, targets: Iterable[tuple[IdentifierType, Iterable[InfoType]]]
) -> Category:
    """SPEC section 6 precedence: emergency, else transaction if D is asked for,
    else account if an account is targeted, else product."""
    if emergency:
        return Category.EMERGENCY
    materialised = [(kind, set(infos)) for kind, infos in targets]
    if any(InfoType.D in infos for _, infos in materialised):
        return Category.TRANSACTION
    if any(kind.target_kind is TargetKind.ACCOUNT for kind, _ in materialised):
        return Category.ACCOUNT
    return Category.PRODUCT


def classify_items(
    emergency: bool, items: Iterable[tuple[IdentifierType, str, InfoType]]
) -> Category:
    """The precedence applied to a request's items (identifier type, identifier, information
    type), each target counted once."""
    targets: dict[tuple[IdentifierType, str], set[InfoType]] = {}
    for kind, identifier, info in items:
        targets.setdefault((kind, identifier), set()).add(info)
    return derive_category(emergency, [(kind, infos) for (kind, _), infos in targets.items()])


#: the policy's own categories: the product classifies these, a requester's value is a hint
BUILTIN_CATEGORIES = frozenset(c.name for c in Category)


def _why(emergency: bool, targets: list[tuple[IdentifierType, set[InfoType]]]) -> str:
    """Why the precedence gives what it gives, in words the agency reads."""
    if emergency:
        return "is flagged as an emergency, so it is EMERGENCY"
    for index, (_, infos) in enumerate(targets):
        if InfoType.D in infos:
            return f"asks for D (targets[{index}]), so it is TRANSACTION"
    for index, (kind, _) in enumerate(targets):
        if kind.target_kind is TargetKind.ACCOUNT:
            return f"names an account (targets[{index}] is {kind.name}), so it is ACCOUNT"
    return "names no account and asks for no D, so it is PRODUCT"


def category_hint_problem(
    hint: str | None,
    classified: str,
    emergency: bool,
    targets: Iterable[tuple[IdentifierType, Iterable[InfoType]]],
) -> Problem | None:
    """The requester's category is only a hint: a hint that disagrees with the product's
    classification (``classified``) is refused, saying what the product classifies it as and
    why. None when there is no hint or it agrees."""
    if hint is None or category_code(hint) == category_code(classified):
        return None
    hint, classified = category_code(hint), category_code(classified)
    materialised = [(kind, set(infos)) for kind, infos in targets]
    if derive_category(emergency, materialised).name == classified:
        why = _why(emergency, materialised)
    else:
        why = f"is classified as {classified} by a plugin's rules"
    if hint == Category.EMERGENCY.name and not emergency:
        why = (
            "is not flagged as an emergency (send emergency: true with an "
            f"emergencyDescription for one); it {why}"
        )
    return Problem(
        "category",
        f"the request {why}, not {hint}; leave category out or send {classified}",
        ErrorCode.CATEGORY_MISMATCH,
    )


def default_deadline(received_at: datetime, emergency: bool) -> datetime:
    """The response deadline before any jurisdiction rule applies."""
    return received_at + (EMERGENCY_RESPONSE_TIME if emergency else DEFAULT_RESPONSE_TIME)


def category_code(stored: str) -> str:
    """A category as the API, plugins and the report name it (``ACCOUNT``) from how a request
    row stores it (``account``). The one place the case is flipped, with :func:`stored_category`."""
    return stored.strip().upper()


def stored_category(code: str) -> str:
    """A category code (``ACCOUNT``, any case) as a request row stores it (``account``)."""
    return code.strip().lower()
