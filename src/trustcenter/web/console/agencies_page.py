"""Agencies (admin): the agencies with their verification state and the jurisdictions granted
to them; add one, verify it (with the jurisdictions granted and the evidence seen), suspend it.
Each agency's clients are on its page (``agency_clients`` serves their actions), and the staff's
own machine clients (no agency) on the list.

- ``GET /console/agencies`` (``?verification=PENDING|VERIFIED|SUSPENDED``), ``POST`` adds one;
- ``GET /console/agencies/view?id=<agency id>``: one agency and its clients;
- ``POST /console/agencies/verify`` and ``/console/agencies/suspend``.

Ids travel in the query or the form, never in the path (a global id may hold ``/``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.auth.scopes import AGENCY_SCOPES, STAFF_SCOPES
from trustcenter.web.console.admin_shared import (
    GENERAL,
    codes,
    field,
    not_found,
    notice_of,
    problems,
    refused_whole,
    times_of,
)
from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.runner import Runner

LIST = "/console/agencies"
VIEW = "/console/agencies/view"
KINDS = {
    "LAW_ENFORCEMENT": "Law enforcement",
    "JUDICIAL": "Judicial",
    "ADMINISTRATIVE": "Administrative",
}
STATES = {"PENDING": "Pending", "VERIFIED": "Verified", "SUSPENDED": "Suspended"}
#: the scopes a new client may be given: an agency's, or (no agency) the staff's
AGENCY_CLIENT_SCOPES = tuple(AGENCY_SCOPES)
STAFF_CLIENT_SCOPES = tuple(STAFF_SCOPES)
#: how long the previous secret keeps working after a rotation, as the form offers it
GRACE = {
    "0": "Stops at once",
    "3600": "1 hour",
    "86400": "1 day",
    "604800": "7 days (the longest)",
}

Errors = dict[str, list[str]]


def routes(runner: Runner) -> list[Route]:
    from trustcenter.web.console import agency_clients  # it renders these pages again

    admin = console_page(runner, scopes={"admin"})
    return [
        Route(LIST, admin(listing), methods=["GET"]),
        Route(LIST, admin(create), methods=["POST"]),
        Route(VIEW, admin(detail), methods=["GET"]),
        Route(f"{LIST}/verify", admin(verify), methods=["POST"]),
        Route(f"{LIST}/suspend", admin(suspend), methods=["POST"]),
        *agency_clients.routes(runner),
    ]


# -- the pages ---------------------------------------------------------------------------------


async def listing(c: Page) -> Response:
    return await show_list(c)


async def show_list(
    c: Page,
    *,
    failed: str = "",
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The agencies, the staff's machine clients, and the forms that add either."""
    wanted = c.request.query_params.get("verification", "").upper()
    state = wanted if wanted in STATES else None
    outcome = await c.run("AgencyList", {"verification": state})
    if outcome.errors:
        return c.failed(outcome, "/console")
    staff_clients = [k for k in outcome.data["clients"] if k.get("agency") is None]
    return c.render(
        "agencies.html",
        "Agencies",
        status,
        agencies=outcome.data["agencies"],
        staff_clients=staff_clients,
        state=state or "",
        states=STATES,
        kinds=KINDS,
        scopes=STAFF_CLIENT_SCOPES,
        grace=GRACE,
        t=times_of(c),
        notice=notice_of(c),
        failed=failed,
        errors=errors or {},
        values=values or {},
    )


async def detail(c: Page) -> Response:
    return await show_agency(c, c.request.query_params.get("id", ""))


async def show_agency(
    c: Page,
    agency_id: str,
    *,
    failed: str = "",
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """One agency: its facts, the verify and suspend forms, its clients and the form that adds
    one."""
    if not agency_id:
        return not_found(c, "agency", LIST)
    outcome = await c.run("AgencyDetail", {"id": agency_id})
    if "FORBIDDEN" in outcome.codes:
        return c.failed(outcome, LIST)
    agency = outcome.data.get("node") if not outcome.errors else None
    if not agency or "verification" not in agency:
        return not_found(c, "agency", LIST)
    return c.render(
        "agency.html",
        agency["name"],
        status,
        agency=agency,
        clients=outcome.data.get("clients") or [],
        kinds=KINDS,
        states=STATES,
        scopes=AGENCY_CLIENT_SCOPES,
        grace=GRACE,
        t=times_of(c),
        notice=notice_of(c),
        failed=failed,
        errors=errors or {},
        values=values or {},
    )


def agency_path(agency_id: str | None) -> str:
    """Where an agency's page is (the list's staff clients for none)."""
    return f"{VIEW}?{urlencode({'id': agency_id})}" if agency_id else f"{LIST}#staff-clients"


# -- the actions -------------------------------------------------------------------------------


async def create(c: Page) -> Response:
    form = c.form
    kind = form.get("kind", "")
    if kind not in KINDS:
        errors: Errors = {"kind": ["choose what kind of agency it is"]}
        return await show_list(c, failed="create", errors=errors, values=form, status=400)
    given: dict[str, Any] = {
        "name": field(form, "name"),
        "kind": kind,
        "country": field(form, "country").upper(),
    }
    if field(form, "region"):
        given["region"] = field(form, "region").upper()
    if field(form, "contact_email"):
        given["contactEmail"] = field(form, "contact_email")
    outcome = await c.run("AgencyCreate", {"input": given})
    if refused_whole(outcome):
        return c.failed(outcome, LIST)
    errors = problems(outcome, "createAgency")
    agency = outcome.payload("createAgency").get("agency")
    if errors or not agency:
        errors = errors or {GENERAL: ["The agency was not added."]}
        return await show_list(c, failed="create", errors=errors, values=form, status=400)
    return c.back_to(VIEW, id=agency["id"], notice=f"{agency['name']} was added, pending.")


async def verify(c: Page) -> Response:
    form = c.form
    agency_id = form.get("agency_id", "")
    given: dict[str, Any] = {
        "agencyId": agency_id,
        "jurisdictions": codes(form.get("jurisdictions", "")),
        "evidence": field(form, "evidence") or None,
        "verifiedBy": c.principal.staff_name,
    }
    outcome = await c.run("AgencyVerify", {"input": given})
    return await _after(c, outcome, "verifyAgency", "verify", agency_id, "was verified.")


async def suspend(c: Page) -> Response:
    form = c.form
    agency_id = form.get("agency_id", "")
    given = {"agencyId": agency_id, "reason": field(form, "reason")}
    outcome = await c.run("AgencySuspend", {"input": given})
    return await _after(c, outcome, "suspendAgency", "suspend", agency_id, "was suspended.")


async def _after(
    c: Page, outcome: Any, name: str, failed: str, agency_id: str, done: str
) -> Response:
    """Back to the agency with a notice, or its page again with the problems."""
    if refused_whole(outcome) and not outcome.user_errors(name):
        return c.failed(outcome, agency_path(agency_id))
    errors = problems(outcome, name)
    agency = outcome.payload(name).get("agency")
    if errors or not agency:
        return await show_agency(
            c, agency_id, failed=failed, errors=errors, values=c.form, status=400
        )
    return c.back_to(VIEW, id=agency["id"], notice=f"{agency['name']} {done}")
