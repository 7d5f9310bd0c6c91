"""The console's staff page (admin), on SQLite and PostgreSQL: add a person (the initial
password shown once, on the page that answers the form, and it signs them in), change their
name and roles, disable and enable them, reset their sign-in (a new password, shown once). Every
form refused without its CSRF token (nothing changed); bad input shown next to the field."""

from __future__ import annotations

from sqlalchemy import func, select
from strawberry.relay import to_base64

from tests.api.console_admin_support import (
    assert_refused_form,
    post,
    secret_shown,
    signed_in,
    text_of,
)
from tests.api.sign_in_helpers import add_member, browser, member_row
from trustcenter.bootstrap import Container
from trustcenter.db.models import StaffMember

LIST = "/console/staff"


def member_page(member_id: object) -> str:
    return f"{LIST}/member?id={to_base64('StaffMember', str(member_id))}"


async def staff_count(container: Container) -> int:
    async with container.db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(StaffMember)) or 0)


async def by_email(container: Container, email: str) -> StaffMember:
    async with container.db.reader() as s:
        row = await s.scalar(select(StaffMember).where(StaffMember.email == email))
    assert row is not None
    return row


async def password_works(container: Container, email: str, password: str) -> bool:
    async with browser(container, "10.0.0.9") as other:
        r = await other.password(email, password)
    return r.status_code == 303 and r.headers["location"] == "/console/sign-in/code"


NEW = {"name": "Nora Notices", "email": "Nora@Staff.example", "role_NOTICES": "1"}


async def test_an_admin_adds_a_person_whose_password_is_shown_once(container: Container) -> None:
    async with signed_in(container, "admin") as b:
        before = await staff_count(container)
        assert_refused_form(await b.http.post(LIST, data=NEW))
        r = await post(b, LIST, {**NEW, "role_NOTICES": ""}, page=LIST)
        assert r.status_code == 400 and "tick at least one role" in r.text
        r = await post(b, LIST, {**NEW, "email": "not an address"}, page=LIST)
        assert r.status_code == 400 and 'aria-invalid="true"' in r.text
        assert 'value="Nora Notices"' in r.text
        assert await staff_count(container) == before

        answer = await post(b, LIST, NEW, page=LIST)
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        password = secret_shown(answer)
        assert "Nora Notices (nora@staff.example) was added." in text_of(answer)
        row = await by_email(container, "nora@staff.example")
        assert row.roles == "notices" and row.status == "active"
        for again in (LIST, member_page(row.id)):
            shown = await b.http.get(again)
            assert shown.status_code == 200 and password not in shown.text
            assert "Nora Notices" in shown.text
    assert await password_works(container, "nora@staff.example", password)


async def test_name_and_roles_are_changed_through_the_form(container: Container) -> None:
    member = await add_member(container, "rita@staff.example", roles="reviewer")
    page = member_page(member.id)
    gid = to_base64("StaffMember", str(member.id))
    form = {"staff_member_id": gid, "name": "Rita Reporter", "role_REPORTS": "1"}
    async with signed_in(container, "admin") as b:
        assert_refused_form(await b.http.post(f"{LIST}/update", data=form))
        r = await post(b, f"{LIST}/update", {"staff_member_id": gid, "name": "Rita"}, page=page)
        assert r.status_code == 400 and "tick at least one role" in r.text
        assert (await member_row(container, member.id)).roles == "reviewer"

        r = await post(b, f"{LIST}/update", {**form, "role_AUDITOR": "1"}, page=page)
        assert r.status_code == 303, r.text
        shown = text_of(await b.http.get(r.headers["location"]))
    assert "Rita Reporter was changed." in shown and "reports, auditor" in shown
    row = await member_row(container, member.id)
    assert (row.name, set(row.roles.split())) == ("Rita Reporter", {"reports", "auditor"})


async def test_disable_and_enable_a_person_but_not_oneself(container: Container) -> None:
    member = await add_member(container, "rita@staff.example", roles="reviewer")
    gid = to_base64("StaffMember", str(member.id))
    page = member_page(member.id)
    async with signed_in(container, "admin", email="ada@staff.example") as b:
        assert_refused_form(await b.http.post(f"{LIST}/disable", data={"staff_member_id": gid}))
        assert (await member_row(container, member.id)).status == "active"
        r = await post(b, f"{LIST}/disable", {"staff_member_id": gid}, page=page)
        assert r.status_code == 303, r.text
        shown = text_of(await b.http.get(r.headers["location"]))
        assert "was disabled" in shown and "Enable Rita Reviewer" in shown
        assert (await member_row(container, member.id)).status == "disabled"
        assert not await password_works(container, member.email, "correct horse battery staple")

        r = await post(b, f"{LIST}/enable", {"staff_member_id": gid}, page=page)
        assert r.status_code == 303
        assert "may sign in again" in text_of(await b.http.get(r.headers["location"]))
        assert (await member_row(container, member.id)).status == "active"

        me = await by_email(container, "ada@staff.example")
        mine = {"staff_member_id": to_base64("StaffMember", str(me.id))}
        r = await post(b, f"{LIST}/disable", mine, page=member_page(me.id))
        assert r.status_code == 400 and 'class="error"' in r.text
    assert (await by_email(container, "ada@staff.example")).status == "active"


async def test_reset_sign_in_shows_a_new_password_once(container: Container) -> None:
    member = await add_member(container, "rita@staff.example", roles="reviewer")
    gid = to_base64("StaffMember", str(member.id))
    page = member_page(member.id)
    async with signed_in(container, "admin") as b:
        assert_refused_form(await b.http.post(f"{LIST}/reset", data={"staff_member_id": gid}))
        assert await password_works(container, member.email, "correct horse battery staple")
        answer = await post(b, f"{LIST}/reset", {"staff_member_id": gid}, page=page)
        assert answer.status_code == 200, answer.text
        password = secret_shown(answer)
        assert "must sign in afresh" in text_of(answer)
        assert password not in (await b.http.get(page)).text
        assert password not in (await b.http.get(LIST)).text
    row = await member_row(container, member.id)
    assert row.totp_enrolled_at is None
    assert not await password_works(container, member.email, "correct horse battery staple")
    assert await password_works(container, member.email, password)


async def test_an_unknown_person_is_not_found(container: Container) -> None:
    async with signed_in(container, "admin") as b:
        missing = to_base64("StaffMember", "00000000-0000-4000-8000-000000000001")
        for query in (f"?id={missing}", "?id=nope", ""):
            r = await b.http.get(f"{LIST}/member{query}")
            assert r.status_code == 404 and "There is no such staff member." in r.text
