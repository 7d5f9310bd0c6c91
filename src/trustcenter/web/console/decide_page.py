"""``/console/requests/{id}/decide`` (review): per item, approve / narrow (a shorter time range,
fewer fields) / question / object / reject, with a reason code (from ``reasonCodes``) and an
explanation the agency reads; then the findings as they stand after the decisions.

One form decides any number of items at the request's version (a stale form is refused by the
API, never applied over someone else's change); an item left at "no decision now" is not sent.
Refused input re-renders the form with each error next to its item and everything typed kept;
done, 303 back here with the findings as they now stand."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.review_common import (
    DECIDING,
    REVIEW,
    day_or_error,
    not_found,
    notice_of,
    request_gid,
    text,
    times,
)
from trustcenter.web.console.runner import Runner

PATH = "/console/requests/{id}/decide"
OUTCOMES = {
    "APPROVE": "Approve",
    "NARROW": "Narrow (a shorter range or fewer fields)",
    "QUESTION": "Question (ask the agency)",
    "OBJECT": "Object",
    "REJECT": "Reject",
}
#: the most items one form decides (each sends six fields; the console reads up to 400)
MAX_ITEMS = 60
_AT = re.compile(r"decisions\[(\d+)\]")
_FIELD = re.compile(r"[a-z_]{1,40}")


def _items(request: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every item with its target, numbered as the form numbers them."""
    out: list[dict[str, Any]] = []
    for target in request.get("targets") or []:
        for item in target.get("items") or []:
            out.append({**item, "target": target, "n": len(out)})
    return out


def _decision(form: Mapping[str, str], n: int) -> tuple[dict[str, Any] | None, list[str]]:
    """The form's decision on item ``n`` (None: none chosen) and what is wrong with it here."""
    outcome = form.get(f"outcome-{n}", "")
    if not outcome:
        return None, []
    if outcome not in OUTCOMES:
        return None, ["Choose a decision from the list."]
    decision: dict[str, Any] = {"itemId": form.get(f"item-{n}", ""), "outcome": outcome}
    wrong = []
    reason = form.get(f"reason-{n}", "").strip()
    if reason:
        decision["reasonCode"] = reason
    explanation = text(form, f"explanation-{n}")
    if explanation:
        decision["explanation"] = explanation
    for key, label in (("from", "From"), ("to", "To")):
        day, problem = day_or_error(form.get(f"{key}-{n}", ""), label)
        if problem:
            wrong.append(problem)
        elif day:
            decision[key] = day
    fields = [f for f in re.split(r"[\s,]+", form.get(f"fields-{n}", "").strip().lower()) if f]
    if fields:
        if not all(_FIELD.fullmatch(f) for f in fields):
            wrong.append("Fields: name them as the list shows, separated by commas.")
        decision["fields"] = fields
    return decision, wrong


def _decisions(
    form: Mapping[str, str],
) -> tuple[list[dict[str, Any]], list[int], dict[int, list[str]]]:
    """The decisions the form sends, the item number of each, and what is wrong by item."""
    decisions: list[dict[str, Any]] = []
    sent: list[int] = []
    wrong: dict[int, list[str]] = {}
    for n in range(MAX_ITEMS):
        if f"item-{n}" not in form:
            break
        decision, problems = _decision(form, n)
        if problems:
            wrong[n] = problems
        if decision is not None:
            decisions.append(decision)
            sent.append(n)
    return decisions, sent, wrong


def _errors_by_item(
    user_errors: list[dict[str, Any]], sent: list[int]
) -> tuple[dict[int, list[str]], list[str]]:
    """The API's errors next to the item they concern (``sent``: the item number of each
    decision sent, in order), and those about the whole form."""
    by_item: dict[int, list[str]] = {}
    general: list[str] = []
    for e in user_errors:
        found = _AT.match(str(e.get("field") or ""))
        message = str(e.get("message", ""))
        if found and int(found[1]) < len(sent):
            by_item.setdefault(sent[int(found[1])], []).append(message)
        else:
            general.append(message)
    return by_item, general


def routes(runner: Runner) -> list[Route]:
    async def render(
        c: Page,
        *,
        status: int = 200,
        item_errors: Mapping[int, list[str]] | None = None,
        general: list[str] | None = None,
    ) -> Response:
        raw = str(c.request.path_params["id"])
        gid = request_gid(raw)
        if gid is None:
            return not_found(c)
        outcome = await c.run("Decide", {"id": gid})
        if outcome.errors:
            return c.failed(outcome, f"/console/requests/{raw}")
        request = outcome.data.get("request")
        if request is None:
            return not_found(c)
        return c.render(
            "decide.html",
            f"Decide request {raw[:8]}",
            status,
            r=request,
            raw=raw,
            items=_items(request)[:MAX_ITEMS],
            outcomes=OUTCOMES,
            reason_codes=outcome.data.get("reasonCodes") or [],
            deciding=bool(set(request.get("nextOperations") or []) & DECIDING),
            values=c.form,
            item_errors=item_errors or {},
            general=general or [],
            notice=notice_of(c),
            t=times(c),
        )

    @console_page(runner, scopes=REVIEW)
    async def decide_page(c: Page) -> Response:
        return await render(c)

    @console_page(runner, scopes=REVIEW)
    async def decide(c: Page) -> Response:
        raw = str(c.request.path_params["id"])
        gid = request_gid(raw)
        version = c.form.get("version", "")
        if gid is None or not version.isdigit() or len(version) > 9:
            return await render(c, status=400, general=["This form is not one of this page's."])
        decisions, sent, wrong = _decisions(c.form)
        if wrong:
            return await render(c, status=400, item_errors=wrong)
        if not decisions:
            return await render(c, status=400, general=["Choose a decision for at least one item."])
        given = {"requestId": gid, "version": int(version), "decisions": decisions}
        outcome = await c.run("DecideRequest", {"input": given})
        if outcome.errors:
            return c.failed(outcome, f"/console/requests/{raw}/decide")
        refused = outcome.user_errors("decideRequest")
        if refused:
            by_item, general = _errors_by_item(refused, sent)
            return await render(c, status=400, item_errors=by_item, general=general)
        return c.back_to(f"/console/requests/{raw}/decide", notice="decided")

    return [
        Route(PATH, decide_page, methods=["GET"]),
        Route(PATH, decide, methods=["POST"]),
    ]
