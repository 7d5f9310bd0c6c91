"""Root fields' descriptions end with what the field needs, written from the access map
(``services.access.RULES``) the services enforce, so the schema and the checks cannot disagree."""

from __future__ import annotations

from trustcenter.services.access import describe


def described(use_case: str, text: str) -> str:
    """``text`` followed by the use case's access rule, e.g. "Begin reviewing… (Scope: review.)"."""
    return f"{text.rstrip()} ({describe(use_case)})"
