"""An agency's OAuth clients, and the staff's own machine clients (admin): add one (its secret
shown once, on the page that answers the form), revoke one, rotate its secret with a grace
period for the old one (the new secret shown once).

- ``POST /console/agencies/clients`` (``agency_id`` empty: a staff client);
- ``POST /console/agencies/clients/revoke`` and ``/console/agencies/clients/rotate``."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.web.console.admin_shared import (
    GENERAL,
    checked,
    field,
    problems,
    refused_whole,
    times_of,
)
from trustcenter.web.console.agencies_page import (
    AGENCY_CLIENT_SCOPES,
    GRACE,
    LIST,
    STAFF_CLIENT_SCOPES,
    VIEW,
    Errors,
    agency_path,
    show_agency,
    show_list,
)
from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.runner import Outcome, Runner

CLIENTS = f"{LIST}/clients"


def routes(runner: Runner) -> list[Route]:
    admin = console_page(runner, scopes={"admin"})
    return [
        Route(CLIENTS, admin(create), methods=["POST"]),
        Route(f"{CLIENTS}/revoke", admin(revoke), methods=["POST"]),
        Route(f"{CLIENTS}/rotate", admin(rotate), methods=["POST"]),
    ]


async def _again(c: Page, failed: str, errors: Errors) -> Response:
    """The page the form was on, again, with its problems (400)."""
    agency_id = c.form.get("agency_id", "")
    if agency_id:
        return await show_agency(
            c, agency_id, failed=failed, errors=errors, values=c.form, status=400
        )
    return await show_list(c, failed=failed, errors=errors, values=c.form, status=400)


async def create(c: Page) -> Response:
    form = c.form
    agency_id = form.get("agency_id") or None
    allowed = AGENCY_CLIENT_SCOPES if agency_id else STAFF_CLIENT_SCOPES
    scopes = checked(form, "scope_", allowed)
    if not scopes:
        return await _again(c, "client", {"scopes": ["tick at least one scope"]})
    given = {"agencyId": agency_id, "name": field(form, "name"), "scopes": scopes}
    outcome = await c.run("ClientCreate", {"input": given})
    if refused_whole(outcome) and not outcome.user_errors("createClient"):
        return c.failed(outcome, agency_path(agency_id))
    errors = problems(outcome, "createClient")
    done = outcome.payload("createClient")
    if errors or not done.get("clientSecret"):
        return await _again(c, "client", errors or {GENERAL: ["The client was not added."]})
    return _secret_page(c, done, "Client added", agency_id, "added")


async def revoke(c: Page) -> Response:
    client_id = c.form.get("client_id", "")
    outcome = await c.run("ClientRevoke", {"input": {"clientId": client_id}})
    errors = _refusal(outcome, "revokeClient")
    if errors:
        return await _again(c, "revoke", errors)
    client = outcome.payload("revokeClient")["client"]
    agency_id = (client.get("agency") or {}).get("id")
    notice = f"{client['name']} ({client['clientId']}) was revoked: its tokens stop working now."
    if agency_id:
        return c.back_to(VIEW, id=agency_id, notice=notice)
    return c.back_to(LIST, notice=notice)


async def rotate(c: Page) -> Response:
    form = c.form
    grace = form.get("grace_seconds", "0")
    if grace not in GRACE:
        return await _again(c, "rotate", {"graceSeconds": ["choose how long the old one works"]})
    given = {"clientId": form.get("client_id", ""), "graceSeconds": int(grace)}
    outcome = await c.run("ClientRotateSecret", {"input": given})
    errors = _refusal(outcome, "rotateClientSecret")
    if errors:
        return await _again(c, "rotate", errors)
    done = outcome.payload("rotateClientSecret")
    agency = (done["client"].get("agency") or {}).get("id")
    return _secret_page(c, done, "New client secret", agency, "given a new secret")


def _refusal(outcome: Outcome, name: str) -> Errors:
    """What stopped the action, if anything."""
    errors = problems(outcome, name)
    if not errors and not outcome.payload(name).get("client"):
        errors = {GENERAL: ["Nothing was done."]}
    return errors


def _secret_page(
    c: Page, done: dict[str, Any], title: str, agency_id: str | None, what: str
) -> Response:
    """The only page that ever shows the secret (every console page is ``no-store``)."""
    client = done["client"]
    t = times_of(c)
    previous = client.get("previousSecretValidUntil")
    return c.render(
        "secret_once.html",
        title,
        heading=title,
        summary=f"The client {client['name']} ({client['clientId']}) was {what}.",
        label="Client secret",
        secret=done["clientSecret"],
        facts=[("Client id", client["clientId"]), ("Scopes", ", ".join(client.get("scopes", [])))],
        until=t.at(previous) if (t.seconds_left(previous) or 0) > 0 else "",
        back=agency_path(agency_id),
        back_label="Back to the agency" if agency_id else "Back to the agencies",
    )
