"""The console's administration pages (issue 14 §2), on SQLite and PostgreSQL: each opens for the
roles it is for, answers 403 to everyone else and sends anonymous visitors to the sign-in page;
the plugins list; the audit chain verified with its head. Each section's actions are tested in
``test_console_admin_<section>.py``."""

from __future__ import annotations

import pytest
import trustcenter_eu.plugin

from tests.api.audit_helpers import event_count, head
from tests.api.console_admin_support import assert_forbidden_page, signed_in, text_of
from tests.api.sign_in_helpers import browser
from tests.api.test_audit_tamper import tamper
from trustcenter.bootstrap import Container
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load
from trustcenter.services.audit import seal

#: each page and the roles that open it
PAGES = {
    "/console/agencies": {"admin"},
    "/console/vendors": {"reviewer", "admin"},
    "/console/notices": {"notices"},
    "/console/transparency": {"reports"},
    "/console/audit": {"auditor"},
    "/console/staff": {"admin"},
    "/console/plugins": {"reviewer", "auditor", "admin"},
}
#: pages below a section, shown to the section's roles only
SUB_PAGES = {
    "/console/agencies/view?id=x": {"admin"},
    "/console/staff/member?id=x": {"admin"},
    "/console/transparency/preview": {"reports"},
}
ROLES = ("reviewer", "notices", "reports", "auditor", "admin")


@pytest.mark.parametrize("role", ROLES)
async def test_each_page_opens_for_its_roles_only(container: Container, role: str) -> None:
    async with signed_in(container, role) as b:
        for path, roles in PAGES.items():
            r = await b.http.get(path)
            if role in roles:
                assert r.status_code == 200, (path, r.text)
                assert r.headers["cache-control"] == "no-store"
                assert "default-src 'none'" in r.headers["content-security-policy"]
            else:
                assert_forbidden_page(r)
        for path, roles in SUB_PAGES.items():
            r = await b.http.get(path)
            if role not in roles:
                assert_forbidden_page(r)
            else:  # the section's own page says what is missing
                assert r.status_code == 404, (path, r.text)


async def test_anonymous_visitors_are_sent_to_sign_in(container: Container) -> None:
    posts = [
        "/console/agencies",
        "/console/agencies/verify",
        "/console/agencies/clients",
        "/console/vendors/attest",
        "/console/notices/lift",
        "/console/transparency/build",
        "/console/staff",
        "/console/staff/reset",
    ]
    async with browser(container) as b:
        for path in [*PAGES, *SUB_PAGES]:
            r = await b.http.get(path)
            assert (r.status_code, r.headers.get("location")) == (303, "/console/sign-in"), path
        for path in posts:
            r = await b.http.post(path, data={"name": "x"})
            assert r.status_code in (303, 403), (path, r.status_code)
            if r.status_code == 303:
                assert r.headers["location"] == "/console/sign-in"


async def test_the_navigation_shows_the_sections_of_the_roles(container: Container) -> None:
    async with signed_in(container, "reviewer auditor") as b:
        page = await b.http.get("/console/plugins")
        for shown in ('href="/console/vendors"', 'href="/console/audit"'):
            assert shown in page.text
        for hidden in ('href="/console/agencies"', 'href="/console/staff"'):
            assert hidden not in page.text


async def test_the_plugins_page_lists_loaded_plugins_with_versions_and_hooks(
    container: Container,
) -> None:
    container.plugins = PluginHost(*load("", extra=[("eu", trustcenter_eu.plugin)]))
    async with signed_in(container, "auditor") as b:
        page = await b.http.get("/console/plugins")
    assert page.status_code == 200
    row = page.text.split('data-plugin="eu"', 1)[1].split("</tr>", 1)[0]
    for hook in ("trustcenter_review_findings", "trustcenter_response_deadline"):
        assert hook in row
    assert "DE" in row and "FR" in row and "(built in)" not in row
    assert "trustcenter.jurisdiction (built in)" in text_of(page)


async def test_the_audit_page_verifies_the_chain_and_shows_its_head(container: Container) -> None:
    async with signed_in(container, "auditor") as b:
        first = await b.http.get("/console/audit")
        assert first.status_code == 200 and "Verify the chain" in first.text
        assert "Intact" not in first.text  # nothing is walked until asked
        await seal(container)  # as serve does every few seconds: the head names every event
        page = await b.http.get("/console/audit", params={"verify": "1"})
    assert page.status_code == 200, page.text
    seq, hash_ = await head(container)
    assert seq == await event_count(container) > 0  # the sign-in itself is audited
    shown = text_of(page)
    assert "Intact." in shown and f"All {seq} entries were checked" in shown
    assert f"data-head-seq>{seq}<" in page.text and hash_ in page.text


async def test_the_audit_page_names_where_a_tampered_chain_breaks(container: Container) -> None:
    async with signed_in(container, "auditor") as b:
        await tamper(container, "UPDATE audit_events SET data = '{\"forged\": 1}' WHERE seq = 1")
        page = await b.http.get("/console/audit", params={"verify": "1"})
    assert page.status_code == 200, page.text
    shown = text_of(page)
    assert "Broken at entry 1" in shown and "Intact" not in shown
