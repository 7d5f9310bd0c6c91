"""Notices (scope ``notices``): the user notices due (soonest first), those held back and the
exception holding each, the deliveries that failed (attempts and the last error), the status
webhooks given up on (the newest 50), and the exceptions due for re-review, each lifted or
confirmed from here with a justification. Every row links to its request's page.

- ``GET /console/notices``;
- ``POST /console/notices/lift`` and ``/console/notices/confirm``: ``exception_id``,
  ``justification``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.web.console.admin_shared import (
    GENERAL,
    field,
    notice_of,
    problems,
    refused_whole,
    short_id,
    times_of,
)
from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.runner import Outcome, Runner

LIST = "/console/notices"
#: what ``notices(status:)`` answers at most per status (its default ``first``)
PAGE_SIZE = 50
KINDS = {
    "COURT_ORDER_OR_LAW": "Court order or law",
    "RISK_OF_HARM": "Risk of harm",
    "CHILD_ABUSE": "Child abuse",
}
#: a notice due within this many hours is marked as due soon
DUE_SOON_HOURS = 48

Errors = dict[str, list[str]]


def routes(runner: Runner) -> list[Route]:
    staff = console_page(runner, scopes={"notices"})
    return [
        Route(LIST, staff(listing), methods=["GET"]),
        Route(f"{LIST}/lift", staff(lift), methods=["POST"]),
        Route(f"{LIST}/confirm", staff(confirm), methods=["POST"]),
    ]


async def listing(c: Page) -> Response:
    return await show(c)


def _by_due(notices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(notices, key=lambda n: (n["dueAt"], n["id"]))


async def show(
    c: Page,
    *,
    failed: str = "",
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    outcome = await c.run("NoticeList")
    if outcome.errors:
        return c.failed(outcome, "/console")
    data = outcome.data
    return c.render(
        "notices.html",
        "Notices",
        status,
        due=_by_due(data["due"]),
        held=_by_due(data["held"]),
        failed_notices=_by_due(data["failed"]),
        failed_webhooks=data["failedWebhooks"],
        review=data["review"],
        page_size=PAGE_SIZE,
        kinds=KINDS,
        due_soon=DUE_SOON_HOURS * 3600,
        t=times_of(c),
        short=short_id,
        notice=notice_of(c),
        failed=failed,
        errors=errors or {},
        values=values or {},
    )


def _given(c: Page) -> dict[str, Any]:
    return {
        "exceptionId": c.form.get("exception_id", ""),
        "justification": field(c.form, "justification"),
    }


async def lift(c: Page) -> Response:
    outcome = await c.run("NoticeLiftException", {"input": _given(c)})
    done = "The exception was lifted: the notices it held are due again."
    return await _after(c, outcome, "liftNoticeException", lambda _changed: done)


async def confirm(c: Page) -> Response:
    outcome = await c.run("NoticeConfirmException", {"input": _given(c)})
    t = times_of(c)
    return await _after(
        c,
        outcome,
        "confirmNoticeException",
        lambda changed: (
            "The exception was confirmed; it comes up for re-review again "
            f"{t.relative(changed.get('reviewDueAt'))} ({t.at(changed.get('reviewDueAt'))})."
        ),
    )


async def _after(
    c: Page, outcome: Outcome, name: str, done: Callable[[dict[str, Any]], str]
) -> Response:
    """Back to the list with a notice, or the list again with the problems by the form."""
    if refused_whole(outcome) and not outcome.user_errors(name):
        return c.failed(outcome, LIST)
    errors = problems(outcome, name)
    changed = outcome.payload(name).get("exception")
    if errors or not changed:
        errors = errors or {GENERAL: ["Nothing was changed."]}
        failed = c.form.get("exception_id", "")
        return await show(c, failed=failed, errors=errors, values=c.form, status=400)
    return c.back_to(LIST, notice=done(changed))
