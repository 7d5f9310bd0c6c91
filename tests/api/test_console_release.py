"""The console's review pages (issue 14 §2), through the pages only, on SQLite and PostgreSQL:
releasing with four eyes (one reviewer asks, a second person approves on the same page, then
close), overriding a block (admins), assigning (admins from a list, reviewers themselves),
notice exceptions (record, confirm, lift), and every refusal: no CSRF token, a role that does
not include the action, nobody signed in, an agency's token."""

from __future__ import annotations

import re
from datetime import timedelta

import trustcenter_us.plugin

from tests.api.console_review_support import (
    SUBMIT,
    THREE_ITEMS,
    order_of,
    person,
    raw,
    seen,
    send,
)
from tests.api.disclosure.support import UserData
from tests.api.test_console_review import RITA, decisions, version_on
from tests.api.test_findings_follow_decisions import BLOCK, SUBPOENA
from tests.api.test_four_eyes import four_eyes_settings
from tests.api.test_plugins import use
from tests.helpers import submission

APPROVE_ALL = {t: {"outcome": "APPROVE"} for t in "ABC"}
WAITING = "Waiting for a second approval by someone who decided nothing."


async def test_with_four_eyes_a_second_person_approves_the_release_on_the_same_page(
    container, world
):
    container.settings = four_eyes_settings(container)
    agency = await world.agency_actor("DE")
    rid = raw(await send(agency))
    release = f"/console/requests/{rid}/release"
    async with (
        person(container, *RITA) as rita,
        person(container, "bo@staff.example", "Bo Second") as bo,
    ):
        text = await rita.page(f"/console/requests/{rid}")
        await rita.post(f"/console/requests/{rid}/start", version=version_on(text))
        text = await rita.page(f"/console/requests/{rid}/decide")
        r = await rita.post(f"/console/requests/{rid}/decide", **decisions(text, **APPROVE_ALL))
        assert r.status_code == 303, r.text

        text = await rita.page(release)
        assert "2 people must agree" in text and "No approval yet." in text
        assert '<button type="submit">Release</button>' in text
        r = await rita.post(release)
        assert r.status_code == 303 and r.headers["location"] == f"{release}?notice=asked_release"
        text = await rita.page(r.headers["location"])
        assert WAITING in text and "Approved by <strong>Rita Reviewer</strong>" in text
        assert "You asked for this release" in text and "Approve and release" not in text
        text = await bo.page(release)
        assert WAITING in text and "Approve and release" in text
        # the decider approving her own release is refused by the API, shown, nothing released
        r = await rita.post(f"/console/requests/{rid}/approve", version=version_on(text))
        assert r.status_code == 400 and 'id="approve-errors"' in r.text
        assert "status <strong>approved</strong>" in seen(r)
        r = await bo.post(f"/console/requests/{rid}/approve", csrf=False, version="1")
        assert r.status_code == 403
        r = await bo.post(f"/console/requests/{rid}/approve", version=version_on(text))
        assert r.status_code == 303 and r.headers["location"] == f"{release}?notice=released"
        text = await bo.page(r.headers["location"])
        assert "Released: the agency can download the package now." in text
        assert "status <strong>disclosed</strong>" in text
        order_of(text, "Approved by <strong>Rita Reviewer</strong>", "<strong>Bo Second</strong>")

        r = await bo.post(
            f"/console/requests/{rid}/close", version=version_on(text), back="release"
        )
        assert r.status_code == 303 and r.headers["location"] == f"{release}?notice=closed"
        assert "status <strong>closed</strong>" in await bo.page(r.headers["location"])


async def test_the_preview_shows_exactly_the_decided_scope_then_one_reviewer_releases(
    container, world
):
    """Without four eyes: A approved, C narrowed to a week, D rejected; the preview shows the
    account, the one usage event of that week and nothing of D; then release and close."""
    await UserData().seed(container)
    agency = await world.agency_actor("DE")
    rid = raw(await send(agency, targets=THREE_ITEMS))
    release = f"/console/requests/{rid}/release"
    async with person(container, *RITA) as rita:
        text = await rita.page(f"/console/requests/{rid}")
        await rita.post(f"/console/requests/{rid}/start", version=version_on(text))
        text = await rita.page(f"/console/requests/{rid}/decide")
        r = await rita.post(
            f"/console/requests/{rid}/decide",
            **decisions(
                text,
                A={"outcome": "APPROVE"},
                C={"outcome": "NARROW", "reason": "OVERBROAD", "from": "2026-03-01",
                   "to": "2026-03-07", "fields": "occurred_at, kind"},
                D={"outcome": "REJECT", "reason": "OVERBROAD", "explanation": "Not needed."},
            ),
        )  # fmt: skip
        assert r.status_code == 303, r.text
        text = await rita.page(release)
        assert "What will be released" in text and "1 person must agree" in text
        assert "The preview could not be made" not in text
        assert "What stops the release now" not in text
        account, usage = order_of(text, "type A</h3>", "type C</h3>")
        assert "type D</h3>" not in text
        assert "suspect-user" in text[account:usage]
        week = text[usage:]
        assert "from 2026-03-01 to 2026-03-07" in week and "fields: kind, occurred_at" in week
        assert "<strong>1 record</strong>" in week and "2026-03-01T00:00:00" in week
        assert "ip_address" not in week

        r = await rita.post(release)
        assert r.headers["location"] == f"{release}?notice=released"
        text = await rita.page(r.headers["location"])
        assert "status <strong>disclosed</strong>" in text and "Close the request" in text
        assert "What will be released" not in text  # released: nothing left to preview


async def test_an_admin_overrides_a_block_and_a_reviewer_cannot(container, world):
    use(container, ("us", trustcenter_us.plugin))
    agency = await world.agency_actor("US")
    payload = await agency.data(SUBMIT, {"input": submission(**SUBPOENA)})
    rid = raw(payload["submitRequest"]["request"]["id"])
    async with (
        person(container, *RITA) as rita,
        person(container, "ada@staff.example", "Ada Admin", roles="admin reviewer") as ada,
    ):
        text = await rita.page(f"/console/requests/{rid}")
        assert BLOCK in text and "Blocks the release" in text
        assert "Why the release may go ahead" not in text
        finding = re.search(
            r'name="finding_id" value="([^"]+)"', await ada.page(f"/console/requests/{rid}")
        )
        assert finding
        r = await rita.post(
            f"/console/requests/{rid}/override", finding_id=finding[1], justification="No."
        )
        assert r.status_code == 403 and "Your roles do not include this page." in r.text

        r = await ada.post(
            f"/console/requests/{rid}/override", finding_id=finding[1], justification=" "
        )
        assert r.status_code == 400 and 'role="alert" id="override-' in r.text
        assert "Overridden" not in r.text
        r = await ada.post(
            f"/console/requests/{rid}/override",
            finding_id=finding[1],
            justification="Counsel confirmed the subpoena reaches these records.",
        )
        assert r.status_code == 303
        text = await ada.page(r.headers["location"])
        assert "The finding was overridden" in text
        assert "Counsel confirmed the subpoena reaches these records." in text


async def test_an_admin_assigns_from_a_list_and_a_reviewer_takes_or_returns_it(container, world):
    agency = await world.agency_actor("DE")
    rid = raw(await send(agency))
    page = f"/console/requests/{rid}"
    async with (
        person(container, *RITA) as rita,
        person(container, "ada@staff.example", "Ada Admin", roles="admin reviewer") as ada,
    ):
        text = await ada.page(page)
        option = re.search(r'<option value="([^"]+)">Rita Reviewer</option>', text)
        assert option and "Assign to a reviewer" in text
        r = await ada.post(f"{page}/assign", staff_id=option[1])
        assert r.status_code == 303
        assert "In <strong>Rita Reviewer</strong>'s queue" in await ada.page(page)

        text = await rita.page(page)
        assert "Assign to a reviewer" not in text and "Assign to me" not in text
        r = await rita.post(f"{page}/assign", staff_id="")
        assert r.headers["location"] == f"{page}?notice=unassigned"
        assert "In nobody's queue." in await rita.page(page)
        r = await rita.post(f"{page}/assign", staff_id="nonsense")
        assert r.status_code == 400 and "Choose a reviewer" in r.text


async def test_notice_exceptions_are_recorded_confirmed_and_lifted(container, world, clock):
    agency = await world.agency_actor("DE")
    rid = raw(await send(agency))
    page = f"/console/requests/{rid}"
    roles = "reviewer notices"
    async with person(container, "nora@staff.example", "Nora Notices", roles) as nora:
        r = await nora.post(
            f"{page}/exceptions", kind="COURT_ORDER_OR_LAW", justification="A gag order."
        )
        assert r.status_code == 400 and "name the court order or the law" in r.text
        assert "A gag order." in r.text
        r = await nora.post(
            f"{page}/exceptions", kind="RISK_OF_HARM", justification="x", ends_on="31.12.2026"
        )
        assert r.status_code == 400 and "YYYY-MM-DD" in r.text
        for kind in ("RISK_OF_HARM", "CHILD_ABUSE"):
            r = await nora.post(
                f"{page}/exceptions", kind=kind, justification=f"{kind} holds.", ends_on=""
            )
            assert r.headers["location"] == f"{page}?notice=excepted"
    clock.advance(timedelta(days=91))
    async with person(container, "nils@staff.example", "Nils Notices", roles) as nils:
        text = await nils.page(page)
        assert "RISK_OF_HARM holds." in text and "CHILD_ABUSE holds." in text
        ids = list(dict.fromkeys(re.findall(r'name="exception_id" value="([^"]+)"', text)))
        assert len(ids) == 2
        r = await nils.post(f"{page}/exceptions/confirm", exception_id=ids[0], justification="")
        assert r.status_code == 400
        r = await nils.post(
            f"{page}/exceptions/confirm", exception_id=ids[0], justification="Still a risk."
        )
        assert r.headers["location"] == f"{page}?notice=confirmed"
        r = await nils.post(
            f"{page}/exceptions/lift", exception_id=ids[1], justification="The case closed."
        )
        assert r.headers["location"] == f"{page}?notice=lifted"
        text = await nils.page(r.headers["location"])
        assert "The notice exception was lifted" in text
        # both stay on the record; only the confirmed one can still be lifted or confirmed
        assert "RISK_OF_HARM holds." in text and "CHILD_ABUSE holds." in text
        assert f"lifted {clock.now():%Y-%m-%d %H:%M} UTC" in text
        still = list(dict.fromkeys(re.findall(r'name="exception_id" value="([^"]+)"', text)))
        assert still == [ids[0]]
        r = await nils.post(f"{page}/exceptions/lift", exception_id=ids[1], justification="Again.")
        assert r.status_code == 400  # lifted once: the API refuses, the page says so


#: every form the review pages post, with a plausible form
ACTIONS = {
    "start": {"version": "1"},
    "ask": {"message": "Which account?", "version": "1"},
    "notes": {"body": "A note."},
    "assign": {"staff_id": ""},
    "close": {"version": "1"},
    "hold": {"justification": "Longer."},
    "decide": {"version": "1"},
    "release": {"version": "1"},
    "approve": {"version": "1"},
    "override": {"finding_id": "x", "justification": "Because."},
    "exceptions": {"kind": "RISK_OF_HARM", "justification": "Risk."},
    "exceptions/lift": {"exception_id": "x", "justification": "Over."},
    "exceptions/confirm": {"exception_id": "x", "justification": "Still."},
}


async def test_every_action_needs_the_csrf_token_and_a_role_that_includes_it(container, world):
    agency = await world.agency_actor("DE")
    rid = raw(await send(agency))
    page = f"/console/requests/{rid}"
    async with (
        person(container, "all@staff.example", "Al All", "reviewer notices admin auditor") as al,
        person(container, "audrey@staff.example", "Audrey Auditor", "auditor") as audrey,
    ):
        before = await al.page(page)
        for action, form in ACTIONS.items():
            r = await al.post(f"{page}/{action}", csrf=False, **form)
            assert r.status_code == 403 and "Nothing was done" in r.text, action
            r = await al.post(f"{page}/{action}", csrf=False, **form, csrf_token="forged")
            assert r.status_code == 403, action
        after = await al.page(page)
        assert after == before
        assert "No messages yet." in after and "No notes yet." in after

        text = await audrey.page(page)
        assert "Agency DE" in text and "Audit trail" in text and "request.submitted" in text
        for absent in ("Start review", "Add a note", "Assign to me", "<iframe", "Record an"):
            assert absent not in text, absent
        for action, form in ACTIONS.items():
            r = await audrey.post(f"{page}/{action}", **form)
            assert r.status_code == 403, action
            assert "Your roles do not include this page." in r.text, action
        for path in ("decide", "release"):
            assert (await audrey.get(f"{page}/{path}")).status_code == 403
        assert await al.page(page) == after


async def test_nobody_signed_in_and_an_agency_token_get_the_sign_in_page(container, world, http):
    agency = await world.agency_actor("DE")
    rid = raw(await send(agency))
    paths = ["/console/queue", f"/console/requests/{rid}", f"/console/requests/{rid}/decide"]
    paths.append(f"/console/requests/{rid}/release")
    bearer = {"Authorization": f"Bearer {agency.token}"}
    for path in paths:
        for headers in ({}, bearer):
            r = await http.get(path, headers=headers)
            assert r.status_code == 303 and r.headers["location"] == "/console/sign-in", path
            assert "Agency DE" not in r.text and rid not in r.text
    for action, form in ACTIONS.items():
        r = await http.post(f"/console/requests/{rid}/{action}", data=form, headers=bearer)
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in", action
