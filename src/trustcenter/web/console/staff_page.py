"""Staff (admin): the people on the staff; add one (the initial password shown once, on the
page that answers the form), change a person's name or roles, disable or enable them, and start
their sign-in afresh (a new initial password, shown once).

- ``GET /console/staff`` (``?status=ACTIVE|DISABLED``), ``POST`` adds a person;
- ``GET /console/staff/member?id=<staff member id>``;
- ``POST /console/staff/update``, ``/disable``, ``/enable``, ``/reset`` (``staff_member_id``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.auth.principal import PERSON_PREFIX
from trustcenter.web.console.admin_shared import (
    GENERAL,
    checked,
    field,
    not_found,
    notice_of,
    problems,
    refused_whole,
    times_of,
)
from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.runner import Outcome, Runner

LIST = "/console/staff"
MEMBER = f"{LIST}/member"
ROLES = {
    "REVIEWER": "Reviewer — reviews and decides requests",
    "NOTICES": "Notices — user notices and their exceptions",
    "REPORTS": "Reports — builds and publishes the transparency report",
    "AUDITOR": "Auditor — reads the audit trail",
    "ADMIN": "Admin — agencies, clients, vendors, staff",
}
STATUSES = {"ACTIVE": "Active", "DISABLED": "Disabled"}

Errors = dict[str, list[str]]


def routes(runner: Runner) -> list[Route]:
    admin = console_page(runner, scopes={"admin"})
    return [
        Route(LIST, admin(listing), methods=["GET"]),
        Route(LIST, admin(create), methods=["POST"]),
        Route(MEMBER, admin(member), methods=["GET"]),
        Route(f"{LIST}/update", admin(update), methods=["POST"]),
        Route(f"{LIST}/disable", admin(disable), methods=["POST"]),
        Route(f"{LIST}/enable", admin(enable), methods=["POST"]),
        Route(f"{LIST}/reset", admin(reset), methods=["POST"]),
    ]


# -- the pages ---------------------------------------------------------------------------------


async def listing(c: Page) -> Response:
    return await show_list(c)


async def show_list(
    c: Page, *, errors: Errors | None = None, values: dict[str, str] | None = None
) -> Response:
    wanted = c.request.query_params.get("status", "").upper()
    status = wanted if wanted in STATUSES else None
    outcome = await c.run("StaffList", {"status": status})
    if outcome.errors:
        return c.failed(outcome, "/console")
    return c.render(
        "staff.html",
        "Staff",
        400 if errors else 200,
        members=outcome.data["staffMembers"],
        shown_status=status or "",
        statuses=STATUSES,
        role_choices=ROLES,
        ticked=_ticked(values),
        t=times_of(c),
        notice=notice_of(c),
        errors=errors or {},
        values=values or {},
    )


def _ticked(values: dict[str, str] | None) -> list[str]:
    return checked(values or {}, "role_", ROLES)


async def member(c: Page) -> Response:
    return await show_member(c, c.request.query_params.get("id", ""))


async def show_member(
    c: Page,
    member_id: str,
    *,
    failed: str = "",
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    if not member_id:
        return not_found(c, "staff member", LIST)
    outcome = await c.run("StaffMemberDetail", {"id": member_id})
    if "FORBIDDEN" in outcome.codes:
        return c.failed(outcome, LIST)
    found = outcome.data.get("node") if not outcome.errors else None
    if not found or "email" not in found:
        return not_found(c, "staff member", LIST)
    return c.render(
        "staff_member.html",
        found["name"],
        400 if errors else 200,
        member=found,
        ticked=_ticked(values) if failed == "update" else found["roles"],
        myself=c.principal.client_id == f"{PERSON_PREFIX}{found['email']}",
        role_choices=ROLES,
        statuses=STATUSES,
        t=times_of(c),
        notice=notice_of(c),
        failed=failed,
        errors=errors or {},
        values=values or {},
    )


def member_path(member_id: str) -> str:
    return f"{MEMBER}?{urlencode({'id': member_id})}"


# -- the actions -------------------------------------------------------------------------------


async def create(c: Page) -> Response:
    form = c.form
    roles = checked(form, "role_", ROLES)
    if not roles:
        return await show_list(c, errors={"roles": ["tick at least one role"]}, values=form)
    given = {"email": field(form, "email"), "name": field(form, "name"), "roles": roles}
    outcome = await c.run("StaffCreate", {"input": given})
    if refused_whole(outcome) and not outcome.user_errors("createStaffMember"):
        return c.failed(outcome, LIST)
    errors = problems(outcome, "createStaffMember")
    done = outcome.payload("createStaffMember")
    if errors or not done.get("initialPassword"):
        errors = errors or {GENERAL: ["Nobody was added."]}
        return await show_list(c, errors=errors, values=form)
    return _password_page(c, done, "Staff member added", "was added")


async def update(c: Page) -> Response:
    form = c.form
    member_id = form.get("staff_member_id", "")
    roles = checked(form, "role_", ROLES)
    if not roles:
        errors: Errors = {"roles": ["tick at least one role"]}
        return await show_member(c, member_id, failed="update", errors=errors, values=form)
    given = {"staffMemberId": member_id, "name": field(form, "name"), "roles": roles}
    outcome = await c.run("StaffUpdate", {"input": given})
    return await _after(c, outcome, "updateStaffMember", "update", "was changed.")


async def disable(c: Page) -> Response:
    given = {"staffMemberId": c.form.get("staff_member_id", "")}
    outcome = await c.run("StaffDisable", {"input": given})
    done = "was disabled: they cannot sign in, and their sessions have ended."
    return await _after(c, outcome, "disableStaffMember", "status", done)


async def enable(c: Page) -> Response:
    given = {"staffMemberId": c.form.get("staff_member_id", "")}
    outcome = await c.run("StaffEnable", {"input": given})
    return await _after(c, outcome, "enableStaffMember", "status", "may sign in again.")


async def reset(c: Page) -> Response:
    member_id = c.form.get("staff_member_id", "")
    outcome = await c.run("StaffResetSignIn", {"input": {"staffMemberId": member_id}})
    if refused_whole(outcome) and not outcome.user_errors("resetStaffSignIn"):
        return c.failed(outcome, LIST)
    errors = problems(outcome, "resetStaffSignIn")
    done = outcome.payload("resetStaffSignIn")
    if errors or not done.get("initialPassword"):
        errors = errors or {GENERAL: ["Nothing was changed."]}
        return await show_member(c, member_id, failed="reset", errors=errors)
    return _password_page(c, done, "Sign-in reset", "must sign in afresh")


async def _after(c: Page, outcome: Outcome, name: str, failed: str, done: str) -> Response:
    member_id = c.form.get("staff_member_id", "")
    if refused_whole(outcome) and not outcome.user_errors(name):
        return c.failed(outcome, LIST)
    errors = problems(outcome, name)
    changed = outcome.payload(name).get("staffMember")
    if errors or not changed:
        errors = errors or {GENERAL: ["Nothing was changed."]}
        return await show_member(c, member_id, failed=failed, errors=errors, values=c.form)
    return c.back_to(MEMBER, id=changed["id"], notice=f"{changed['name']} {done}")


def _password_page(c: Page, done: dict[str, Any], title: str, what: str) -> Response:
    """The only page that ever shows the initial password (console pages are ``no-store``)."""
    person = done["staffMember"]
    return c.render(
        "secret_once.html",
        title,
        heading=title,
        summary=f"{person['name']} ({person['email']}) {what}.",
        label="Initial password",
        secret=done["initialPassword"],
        facts=[("Sign-in name", person["email"]), ("Roles", ", ".join(person["roles"]).lower())],
        next_step="They sign in with it at /console/sign-in and set up their authenticator app "
        "(the second factor) there.",
        back=member_path(person["id"]),
        back_label=f"Back to {person['name']}",
    )
