"""``/console/requests/{id}/release`` (review): a preview of exactly what a release sends
(``releasePreview``: per item its scope, how many records and the first of them; per vendor its
attestation; what would stop it), then "Release". Where two people must agree (four eyes) the
first person's release records their approval and the page says it waits for a second person
who decided nothing; that person approves and releases from the same page. The approvals are
listed; once released, "Close".

The preview runs as its own operation, so the page still shows the state, the approvals and the
actions when the preview cannot be made (the answer's errors are shown instead)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.review_common import (
    REVIEW,
    errors_by_form,
    not_found,
    notice_of,
    request_gid,
    times,
)
from trustcenter.web.console.runner import Runner

PATH = "/console/requests/{id}/release"
APPROVE = "/console/requests/{id}/approve"
#: the statuses a release starts from (the preview is of a release still to come)
RELEASABLE = frozenset({"APPROVED", "PARTIALLY_APPROVED"})
#: the most characters of one previewed value shown
MAX_VALUE = 200


def records(value: Any) -> list[list[tuple[str, str]]]:
    """The first records of an item as (field, value) pairs, one list per record."""
    rows = value if isinstance(value, list) else [value] if value else []
    out = []
    for row in rows:
        if isinstance(row, Mapping):
            out.append([(str(k), _shown(v)) for k, v in row.items()])
        else:
            out.append([("", _shown(row))])
    return out


def _shown(value: Any) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return shown if len(shown) <= MAX_VALUE else shown[:MAX_VALUE] + "…"


def _preview(data: Mapping[str, Any]) -> dict[str, Any] | None:
    found = data.get("releasePreview")
    if not isinstance(found, Mapping):
        return None
    items = [{**i, "records": records(i.get("firstRecords"))} for i in found.get("items") or []]
    refusals = found.get("refusals") or []
    return {**found, "items": items, "refusals": [_shown(r) for r in refusals]}


def routes(runner: Runner) -> list[Route]:
    async def render(
        c: Page, *, status: int = 200, errors: Mapping[str, list[str]] | None = None
    ) -> Response:
        raw = str(c.request.path_params["id"])
        gid = request_gid(raw)
        if gid is None:
            return not_found(c)
        outcome = await c.run("Release", {"id": gid})
        if outcome.errors:
            return c.failed(outcome, f"/console/requests/{raw}")
        request = outcome.data.get("request")
        if request is None:
            return not_found(c)
        preview, preview_errors = None, []
        if request["status"] in RELEASABLE:
            shown = await c.run("ReleasePreview", {"id": gid})
            preview = _preview(shown.data)
            preview_errors = [str(e.get("message", "")) for e in shown.errors]
        ops = set(request.get("nextOperations") or [])
        approvals = request.get("releaseApprovals") or []
        needed = request.get("approvalsNeeded") or 1
        waiting = "RELEASE" in ops and 0 < len(approvals) < needed
        mine = any(a.get("approvedBy") == c.principal.staff_name for a in approvals)
        return c.render(
            "release.html",
            f"Release request {raw[:8]}",
            status,
            r=request,
            raw=raw,
            preview=preview,
            preview_errors=preview_errors,
            needed=needed,
            approvals=approvals,
            releasable="RELEASE" in ops and not waiting,
            waiting=waiting,
            asked_by_me=waiting and mine,
            closable="CLOSE" in ops,
            errors=errors or {},
            notice=notice_of(c),
            t=times(c),
        )

    @console_page(runner, scopes=REVIEW)
    async def release_page(c: Page) -> Response:
        return await render(c)

    @console_page(runner, scopes=REVIEW)
    async def release(c: Page) -> Response:
        raw = str(c.request.path_params["id"])
        gid = request_gid(raw)
        if gid is None:
            return not_found(c)
        outcome = await c.run("ReleaseDisclosure", {"input": {"requestId": gid}})
        if outcome.errors:
            return c.failed(outcome, f"/console/requests/{raw}/release")
        problems = outcome.user_errors("releaseDisclosure")
        if problems:
            return await render(c, status=400, errors=errors_by_form("release", problems))
        waits = bool(outcome.payload("releaseDisclosure").get("approvalNeeded"))
        notice = "asked_release" if waits else "released"
        return c.back_to(f"/console/requests/{raw}/release", notice=notice)

    @console_page(runner, scopes=REVIEW)
    async def approve(c: Page) -> Response:
        raw = str(c.request.path_params["id"])
        gid = request_gid(raw)
        version = c.form.get("version", "")
        if gid is None:
            return not_found(c)
        if not version.isdigit() or len(version) > 9:
            stale = ["This form is not one of this page's: approve what the page shows."]
            return await render(c, status=400, errors={"approve": stale})
        given = {"requestId": gid, "version": int(version)}
        outcome = await c.run("ApproveRelease", {"input": given})
        if outcome.errors:
            return c.failed(outcome, f"/console/requests/{raw}/release")
        problems = outcome.user_errors("approveRelease")
        if problems:
            return await render(c, status=400, errors=errors_by_form("approve", problems))
        waits = bool(outcome.payload("approveRelease").get("approvalNeeded"))
        notice = "asked_release" if waits else "released"
        return c.back_to(f"/console/requests/{raw}/release", notice=notice)

    return [
        Route(PATH, release_page, methods=["GET"]),
        Route(PATH, release, methods=["POST"]),
        Route(APPROVE, approve, methods=["POST"]),
    ]
