"""Small policy rules used at submission: the report category and the default deadline."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from trustcenter.domain.enums import Category, IdentifierType, InfoType, TargetKind

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


def default_deadline(received_at: datetime, emergency: bool) -> datetime:
    """The response deadline before any jurisdiction rule applies."""
    return received_at + (EMERGENCY_RESPONSE_TIME if emergency else DEFAULT_RESPONSE_TIME)
