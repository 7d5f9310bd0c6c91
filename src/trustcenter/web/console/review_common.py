"""What the review pages (queue, request, decide, release) share: request ids in addresses,
times as UTC with the time left, the notices a redirect names, user errors by form, and the
Content-Security-Policy of a page that shows a legal document inline.

Addresses carry a request's UUID (``/console/requests/<uuid>``); the operations take its
global id (``Request:<uuid>`` in base64), made here."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from starlette.responses import Response
from strawberry.relay import from_base64, to_base64

from trustcenter.domain import lifecycle
from trustcenter.web.console.pages import Page
from trustcenter.web.console_auth import CSP

#: who reads requests in the console (the scopes ``request``/``requests`` accept)
READERS = frozenset({"review", "audit", "admin"})
REVIEW = frozenset({"review"})

#: the statuses in which the company still owes the agency an answer (deadlines apply)
OPEN = frozenset(s.name for s in lifecycle.OPEN)
#: the next operations that mean the items may be decided
DECIDING = frozenset({"APPROVE", "APPROVE_PARTIALLY", "OBJECT", "REJECT"})

#: what a redirect's ``?notice=`` may name, and the sentence shown for it (nothing else is
#: shown: a link cannot put words of its own on a console page)
NOTICES = {
    "started": "The review has started.",
    "asked": "Your question was sent to the agency.",
    "noted": "The note was added.",
    "assigned": "The request was assigned.",
    "unassigned": "The request is in nobody's queue now.",
    "closed": "The request is closed.",
    "reclassified": "The request was moved to another category; the reason is on record.",
    "held": "The hold was extended.",
    "overridden": "The finding was overridden; the justification is on record.",
    "excepted": "The notice exception was recorded.",
    "lifted": "The notice exception was lifted; the notices are due again.",
    "confirmed": "The notice exception still holds; it comes up again in 90 days.",
    "decided": "The decisions are recorded. The findings below are as they stand now.",
    "released": "Released: the agency can download the package now.",
    "asked_release": "Your approval is recorded. The release is waiting for a second "
    "approval by someone who decided nothing.",
}


def notice_of(c: Page) -> str | None:
    """The sentence for the page's ``?notice=`` (None for none or an unknown one)."""
    return NOTICES.get(c.request.query_params.get("notice", ""))


def request_gid(raw: str) -> str | None:
    """The global id of the request whose UUID is ``raw`` (None: not a UUID)."""
    try:
        return to_base64("Request", str(uuid.UUID(raw)))
    except ValueError:
        return None


def raw_id(gid: str | None) -> str:
    """The UUID inside a global id ("" when there is none)."""
    try:
        _, raw = from_base64(gid or "")
        return str(uuid.UUID(raw))
    except (ValueError, TypeError):
        return ""


def not_found(c: Page, back: str = "/console/queue") -> Response:
    message = "There is no such request, or you may not see it."
    return c.render("failed.html", "Not found", 404, error=message, back=back)


def errors_by_form(form: str, user_errors: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The messages of a mutation's user errors, under the name of the form that sent it."""
    return {form: [str(e.get("message", "")) for e in user_errors]}


def document_csp() -> str:
    """The console's CSP, letting this origin's documents show inline: PDFs in a frame
    (``frame-src 'self'``), images as images (``img-src 'self'``)."""
    directives: dict[str, str] = {}
    for part in CSP.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name] = value
    directives["img-src"] = "'self' data:"
    directives["frame-src"] = "'self'"
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


def showing_documents(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = document_csp()
    return response


_SPAN_UNITS = (("d", 86400), ("h", 3600), ("min", 60))


def span(seconds: float) -> str:
    """A duration, roughly: "2 d 3 h", "5 h", "12 min"."""
    seconds = abs(int(seconds))
    if seconds < 60:
        return "less than a minute"
    parts = []
    for unit, size in _SPAN_UNITS:
        if seconds >= size:
            parts.append(f"{seconds // size} {unit}")
            seconds %= size
        if len(parts) == 2 or (parts and unit == "h"):
            break
    return " ".join(parts)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Times:
    """Times as the pages print them: UTC, with how long ago or how long left."""

    now: datetime

    def when(self, value: str | None) -> str:
        moment = parse_time(value)
        return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"

    def ago(self, value: str | None) -> str:
        moment = parse_time(value)
        if moment is None:
            return ""
        delta = (self.now - moment).total_seconds()
        return f"{span(delta)} ago" if delta >= 0 else f"in {span(delta)}"

    def overdue(self, value: str | None) -> bool:
        moment = parse_time(value)
        return moment is not None and moment < self.now

    def left(self, value: str | None) -> str:
        """``due in 5 h`` or ``overdue by 2 d 3 h``."""
        moment = parse_time(value)
        if moment is None:
            return ""
        delta = (moment - self.now).total_seconds()
        return f"due in {span(delta)}" if delta >= 0 else f"overdue by {span(delta)}"

    def until(self, value: str | None) -> str:
        """``ends in 5 d`` or ``ended 2 h ago``."""
        moment = parse_time(value)
        if moment is None:
            return ""
        delta = (moment - self.now).total_seconds()
        return f"ends in {span(delta)}" if delta >= 0 else f"ended {span(delta)} ago"

    @staticmethod
    def size(count: int | None) -> str:
        if count is None:
            return "—"
        if count < 1024:
            return f"{count} bytes"
        if count < 1024 * 1024:
            return f"{count / 1024:.1f} KiB"
        return f"{count / (1024 * 1024):.1f} MiB"


def times(c: Page) -> Times:
    return Times(c.runner.container.clock.now())


_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def day_or_error(value: str, label: str) -> tuple[str | None, str | None]:
    """A form's date (YYYY-MM-DD) as the API takes it, or why it is not one."""
    value = value.strip()
    if not value:
        return None, None
    if _DAY.fullmatch(value):
        try:
            return date.fromisoformat(value).isoformat(), None
        except ValueError:
            pass
    return None, f"{label}: enter a date as YYYY-MM-DD."


def text(form: Mapping[str, str], name: str, limit: int = 10_000) -> str:
    """A form's text field, stripped (the API judges it; this only bounds what is kept)."""
    return form.get(name, "").strip()[: limit + 1]
