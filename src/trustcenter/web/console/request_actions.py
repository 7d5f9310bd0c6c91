"""The request page's forms, each a POST to ``/console/requests/{id}/<action>`` running one
console operation: start the review, ask the agency a question, add an internal note, assign
(to me, to a reviewer, to nobody), reclassify, close, extend the hold (review); override a
finding (admin);
record, lift or confirm a notice exception (notices).

Each route admits only the roles its operation needs (403 page otherwise, nothing done), the
CSRF token checked by ``console_page``. Done: 303 back to the page with a notice. Refused by the
API (its user errors): the page again, the errors next to the form and what was typed kept."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.request_page import show
from trustcenter.web.console.review_common import (
    REVIEW,
    day_or_error,
    errors_by_form,
    not_found,
    raw_id,
    request_gid,
    text,
)
from trustcenter.web.console.runner import Outcome, Runner

BASE = "/console/requests/{id}"
#: where a close may send the person back to (the request page, or the release page)
BACK = {"release": "/release", "decide": "/decide"}


def _raw(c: Page) -> str:
    return str(c.request.path_params["id"])


def _version(c: Page) -> int | None:
    value = c.form.get("version", "")
    return int(value) if value.isdigit() and len(value) < 10 else None


async def settle(
    c: Page,
    outcome: Outcome,
    field: str,
    form: str,
    notice: str,
    *,
    back: str = "",
    keep: tuple[str, ...] = (),
) -> Response:
    """What a form's operation answered, as a response: refused as a whole, the failure page;
    refused for its input, the request page with the errors by ``form`` (and what was typed in
    the ``keep`` fields); done, 303 back to the page (plus ``back``) with ``notice``."""
    raw = _raw(c)
    page = f"/console/requests/{raw}"
    if outcome.errors:
        return c.failed(outcome, page)
    problems = outcome.user_errors(field)
    if problems:
        values = {k: c.form.get(k, "") for k in keep}
        return await show(c, raw, errors=errors_by_form(form, problems), values=values, status=400)
    return c.back_to(page + back, notice=notice)


def _input(c: Page, **more: Any) -> dict[str, Any]:
    """The mutation's input with the request's global id (the address names a request by its
    UUID: the routes check it)."""
    return {"requestId": request_gid(_raw(c)) or "", **more}


async def _refused(c: Page, form: str, message: str, keep: tuple[str, ...] = ()) -> Response:
    values = {k: c.form.get(k, "") for k in keep}
    return await show(c, _raw(c), errors={form: [message]}, values=values, status=400)


Action = Callable[[Page], Awaitable[Response]]


async def start(c: Page) -> Response:
    given = _input(c, version=_version(c))
    outcome = await c.run("StartReview", {"input": given})
    return await settle(c, outcome, "startReview", "start", "started")


async def ask(c: Page) -> Response:
    given = _input(c, message=text(c.form, "message"), version=_version(c))
    outcome = await c.run("AskClarification", {"input": given})
    return await settle(c, outcome, "askClarification", "ask", "asked", keep=("message",))


async def note(c: Page) -> Response:
    given = _input(c, body=text(c.form, "body"))
    outcome = await c.run("AddInternalNote", {"input": given})
    return await settle(c, outcome, "addInternalNote", "note", "noted", keep=("body",))


async def assign(c: Page) -> Response:
    staff = c.form.get("staff_id", "").strip()
    given = _input(c, staffId=staff or None)
    if staff and not raw_id(staff):
        return await _refused(c, "assign", "Choose a reviewer from the list.")
    outcome = await c.run("AssignRequest", {"input": given})
    notice = "assigned" if staff else "unassigned"
    return await settle(c, outcome, "assignRequest", "assign", notice)


async def close(c: Page) -> Response:
    given = _input(c, version=_version(c))
    outcome = await c.run("CloseRequest", {"input": given})
    back = BACK.get(c.form.get("back", ""), "")
    return await settle(c, outcome, "closeRequest", "close", "closed", back=back)


async def hold(c: Page) -> Response:
    given = _input(c, justification=text(c.form, "justification"))
    outcome = await c.run("ExtendHold", {"input": given})
    return await settle(c, outcome, "extendHold", "hold", "held", keep=("justification",))


async def reclassify(c: Page) -> Response:
    keep = ("category", "reason")
    category = c.form.get("category", "").strip()
    if not category or len(category) > 64:
        return await _refused(c, "reclassify", "Choose the category.", keep)
    given = _input(c, category=category, reason=text(c.form, "reason"), version=_version(c))
    outcome = await c.run("ReclassifyRequest", {"input": given})
    return await settle(c, outcome, "reclassifyRequest", "reclassify", "reclassified", keep=keep)


async def override(c: Page) -> Response:
    finding = c.form.get("finding_id", "").strip()
    form = f"override:{finding}"
    if not finding or len(finding) > 200:
        return await _refused(c, "override", "Choose the finding to override.")
    given = {"findingId": finding, "justification": text(c.form, "justification")}
    outcome = await c.run("OverrideFinding", {"input": given})
    return await settle(c, outcome, "overrideFinding", form, "overridden")


async def record_exception(c: Page) -> Response:
    keep = ("kind", "justification", "reference", "ends_on")
    ends_on, wrong = day_or_error(c.form.get("ends_on", ""), "Ends on")
    if wrong:
        return await _refused(c, "exception", wrong, keep)
    given = _input(
        c,
        kind=c.form.get("kind", ""),
        justification=text(c.form, "justification"),
        reference=text(c.form, "reference") or None,
        endsOn=ends_on,
    )
    if given["kind"] not in ("COURT_ORDER_OR_LAW", "RISK_OF_HARM", "CHILD_ABUSE"):
        return await _refused(c, "exception", "Choose the kind of exception.", keep)
    outcome = await c.run("RecordNoticeException", {"input": given})
    return await settle(c, outcome, "recordNoticeException", "exception", "excepted", keep=keep)


def _change(c: Page) -> tuple[str, dict[str, Any]] | None:
    exception = c.form.get("exception_id", "").strip()
    if not exception or len(exception) > 200:
        return None
    return exception, {"exceptionId": exception, "justification": text(c.form, "justification")}


async def lift_exception(c: Page) -> Response:
    change = _change(c)
    if change is None:
        return await _refused(c, "exception", "Choose the exception to lift.")
    outcome = await c.run("NoticeLiftException", {"input": change[1]})
    return await settle(c, outcome, "liftNoticeException", f"change:{change[0]}", "lifted")


async def confirm_exception(c: Page) -> Response:
    change = _change(c)
    if change is None:
        return await _refused(c, "exception", "Choose the exception to confirm.")
    outcome = await c.run("NoticeConfirmException", {"input": change[1]})
    return await settle(c, outcome, "confirmNoticeException", f"change:{change[0]}", "confirmed")


#: each form: (its path under the request, the scopes that may send it, its handler)
ACTIONS: tuple[tuple[str, frozenset[str], Action], ...] = (
    ("start", REVIEW, start),
    ("ask", REVIEW, ask),
    ("notes", REVIEW, note),
    ("assign", REVIEW, assign),
    ("reclassify", REVIEW, reclassify),
    ("close", REVIEW, close),
    ("hold", REVIEW, hold),
    ("override", frozenset({"admin"}), override),
    ("exceptions", frozenset({"notices"}), record_exception),
    ("exceptions/lift", frozenset({"notices"}), lift_exception),
    ("exceptions/confirm", frozenset({"notices"}), confirm_exception),
)


def _on_a_request(handler: Action) -> Action:
    """The form's handler, for an address that names a request by its UUID (else 404)."""

    async def checked(c: Page) -> Response:
        if request_gid(_raw(c)) is None:
            return not_found(c)
        return await handler(c)

    checked.__name__ = handler.__name__
    return checked


def routes(runner: Runner) -> list[Route]:
    return [
        Route(
            f"{BASE}/{path}",
            console_page(runner, scopes=scopes)(_on_a_request(handler)),
            methods=["POST"],
        )
        for path, scopes, handler in ACTIONS
    ]
