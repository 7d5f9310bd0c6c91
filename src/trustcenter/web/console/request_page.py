"""``GET /console/requests/{id}``: one request, for those who read requests (review, audit,
admin) — the agency with its verification, the officer, the legal basis with its documents
shown inline (PDF in the browser's viewer, images as images; for those who may read them) and
their digests, targets and items with their decisions, findings (admins override a block), the
thread with the agency, internal notes, the assignment, the notices and every exception recorded
to hold them back, the hold, the release approvals and, for auditors, the audit trail.

Each part comes from a console operation: ``Request`` for everything every reader may read,
``RequestAuditTrail`` (audit) and ``RequestReviewers`` (admin: whom to assign to) only for
those whose roles let them. The forms post to ``request_actions``; a refused one re-renders
this page with the API's user errors next to the form (:func:`show`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.responses import Response
from starlette.routing import Route
from strawberry.relay import to_base64

from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.review_common import (
    DECIDING,
    OPEN,
    READERS,
    not_found,
    notice_of,
    raw_id,
    request_gid,
    showing_documents,
    times,
)
from trustcenter.web.console.runner import Runner

PATH = "/console/requests/{id}"
EXCEPTION_KINDS = ("COURT_ORDER_OR_LAW", "RISK_OF_HARM", "CHILD_ABUSE")
#: the content types a browser shows inline: PDFs in a frame, images as images
FRAMED = frozenset({"application/pdf"})
IMAGES = frozenset({"image/png", "image/jpeg"})


def _may(c: Page, scope: str) -> bool:
    return scope in c.principal.scopes


async def _audit_trail(c: Page, gid: str) -> list[dict[str, Any]] | None:
    if not _may(c, "audit"):
        return None
    outcome = await c.run("RequestAuditTrail", {"id": gid})
    found = outcome.data.get("request") or {}
    return list(found.get("auditTrail") or [])


async def _reviewers(c: Page) -> list[dict[str, Any]] | None:
    """Whom an admin may assign the request to (None: not an admin; offer "me" only)."""
    if not _may(c, "admin"):
        return None
    outcome = await c.run("RequestReviewers")
    members = outcome.data.get("staffMembers") or []
    return [m for m in members if "REVIEWER" in (m.get("roles") or [])]


def _exceptions(request: Mapping[str, Any], today: str) -> list[dict[str, Any]]:
    """Every exception recorded on the request, oldest first, each marked with whether it
    holds a notice back now, and whether it is still in force (not lifted, not ended)."""
    holding = {(n.get("exception") or {}).get("id") for n in request.get("notices") or []}
    return [
        {
            **e,
            "holding": e["id"] in holding,
            "in_force": not e.get("liftedAt") and not (e.get("endsOn") and e["endsOn"] < today),
        }
        for e in request.get("noticeExceptions") or []
    ]


def _documents(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Documents with where to read them and how to show them inline."""
    out = []
    for d in documents:
        path = f"/documents/{d['id']}"
        kind = d.get("contentType")
        show = "frame" if kind in FRAMED else "image" if kind in IMAGES else ""
        out.append({**d, "path": path, "show": show})
    return out


async def show(
    c: Page,
    raw: str,
    *,
    errors: Mapping[str, list[str]] | None = None,
    values: Mapping[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The request page (``errors`` and ``values``: a refused form's messages and input)."""
    gid = request_gid(raw)
    if gid is None:
        return not_found(c)
    outcome = await c.run("Request", {"id": gid})
    if outcome.errors:
        return c.failed(outcome, "/console/queue")
    request = outcome.data.get("request")
    if request is None:
        return not_found(c)
    me = (outcome.data.get("me") or {}).get("staffMember") or {}
    basis = request["legalBasis"]
    t = times(c)
    ops = set(request.get("nextOperations") or [])
    is_open = request["status"] in OPEN
    response = c.render(
        "request.html",
        f"Request {raw[:8]}",
        status,
        r=request,
        raw=raw,
        basis_documents=_documents(basis.get("documents") or []),
        messages=[
            {**m, "files": _documents(m.get("documents") or [])} for m in request["messages"]
        ],
        exceptions=_exceptions(request, t.now.date().isoformat()),
        exception_kinds=EXCEPTION_KINDS,
        categories=outcome.data.get("categories") or [],
        audit_trail=await _audit_trail(c, gid),
        reviewers=await _reviewers(c),
        my_id=me.get("id") or to_base64("StaffMember", str(c.principal.staff_id)),
        ops=ops,
        deciding=bool(ops & DECIDING),
        is_open=is_open,
        late=is_open and t.overdue(request["deadline"]),
        can=lambda scope: _may(c, scope),
        revision_of=raw_id((request.get("revisionOf") or {}).get("id")),
        notice=notice_of(c),
        errors=errors or {},
        values=values or {},
        t=t,
    )
    return showing_documents(response)


def routes(runner: Runner) -> list[Route]:
    @console_page(runner, scopes=READERS)
    async def request_page(c: Page) -> Response:
        return await show(c, c.request.path_params["id"])

    return [Route(PATH, request_page, methods=["GET"])]
