"""What the console's administration pages share: times as people read them (UTC, with a
relative hint), the problems an operation reports per form field, and the small parsing of
form values (lists of codes, checkboxes)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from starlette.responses import Response

from trustcenter.web.console.pages import Page
from trustcenter.web.console.runner import Outcome

#: the key of problems not tied to one field
GENERAL = ""


def parse_time(value: str | None) -> datetime | None:
    """A DateTime as GraphQL answers it (ISO 8601), or None."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def span(seconds: float) -> str:
    """A duration, roughly, in the largest unit that fits (``5 min``, ``5 h``, ``3 days``)."""
    seconds = abs(seconds)
    if seconds < 3600:
        return f"{max(1, int(seconds // 60))} min"
    if seconds < 2 * 86400:
        return f"{int(seconds // 3600)} h"
    days = int(seconds // 86400)
    return f"{days} days"  # two or more


@dataclass(frozen=True, slots=True)
class Times:
    """Times on a page: UTC, and how far from now (the service's clock)."""

    now: datetime

    def at(self, value: str | None) -> str:
        """``2026-12-01 09:00 UTC`` (empty for none)."""
        when = parse_time(value)
        return "" if when is None else f"{when.astimezone(UTC):%Y-%m-%d %H:%M} UTC"

    def iso(self, value: str | None) -> str:
        when = parse_time(value)
        return "" if when is None else when.astimezone(UTC).isoformat()

    def seconds_left(self, value: str | None) -> float | None:
        when = parse_time(value)
        return None if when is None else (when - self.now).total_seconds()

    def relative(self, value: str | None, ahead: str = "in {}", behind: str = "{} ago") -> str:
        """``in 5 h`` or ``3 days ago`` (``ahead`` and ``behind`` place the span: ``"due in
        {}"``, ``"overdue by {}"``)."""
        left = self.seconds_left(value)
        if left is None:
            return ""
        return (ahead if left >= 0 else behind).format(span(left))

    def past(self, value: str | None) -> bool:
        left = self.seconds_left(value)
        return left is not None and left < 0

    def within_days(self, value: str | None, days: int) -> bool:
        """Ahead of now by at most ``days`` days."""
        left = self.seconds_left(value)
        return left is not None and 0 <= left <= days * 86400


def times_of(c: Page) -> Times:
    return Times(c.runner.container.clock.now())


def today_of(c: Page) -> date:
    return c.runner.container.clock.now().date()


def problems(outcome: Outcome, field_name: str) -> dict[str, list[str]]:
    """The operation's problems by form field (the input field's last name; ``GENERAL`` for
    the rest): its userErrors, else its errors as a whole."""
    out: dict[str, list[str]] = {}
    for e in outcome.user_errors(field_name):
        key = str(e.get("field") or GENERAL).rsplit(".", 1)[-1]
        out.setdefault(key, []).append(str(e.get("message", "")))
    for e in outcome.errors:
        out.setdefault(GENERAL, []).append(str(e.get("message", "")))
    return out


def refused_whole(outcome: Outcome) -> bool:
    """The operation was refused as a whole for who asked or what it names (not the input)."""
    return bool(outcome.codes & {"FORBIDDEN", "NOT_FOUND", "UNAUTHENTICATED"})


def codes(text: str) -> list[str]:
    """A list typed as text: ``DE, AT  FR`` → ``["DE", "AT", "FR"]`` (upper case)."""
    return [part.upper() for part in text.replace(",", " ").split() if part]


def checked(form: dict[str, str], prefix: str, allowed: Any) -> list[str]:
    """The values of the checkboxes named ``<prefix><value>`` that were ticked, in the order
    of ``allowed``."""
    return [value for value in allowed if form.get(f"{prefix}{value}")]


def field(form: dict[str, str], name: str) -> str:
    return form.get(name, "").strip()


#: the longest notice a page repeats from its address
MAX_NOTICE = 200


def notice_of(c: Page) -> str:
    """The short message the page was redirected with after an action (``?notice=``, signed
    for this session; a crafted link's is not shown)."""
    return c.notice()[:MAX_NOTICE]


def not_found(c: Page, what: str, back: str) -> Response:
    """The page for something that does not exist (or not for this person): 404."""
    return c.render("failed.html", "Not found", 404, error=f"There is no such {what}.", back=back)


def short_id(global_id: str) -> str:
    """A global id as people quote it: the first 8 characters of the object's own id
    (``Request:0f3c…`` → ``0f3c1a2b``); the id itself when it is not a global id."""
    try:
        decoded = base64.b64decode(global_id, validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return global_id[:12]
    _, _, own = decoded.partition(":")
    return (own or decoded)[:8]
