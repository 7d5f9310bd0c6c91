"""Issue 14's "Done when": the console in a real browser, on SQLite and on PostgreSQL.

The real app (with four eyes: ``TRUSTCENTER_RELEASE_APPROVERS=2``) is served by uvicorn in a
thread on a free port, one server per database, from the suite's migrated database (a copy of
the SQLite file; PostgreSQL's schema of this run, emptied first, as the ``container`` fixture
does). Debian's chromium, headless, driven by selenium, then plays a day's work:

1. a reviewer signs in with her password and the authenticator's code (the app's clock, moved on
   31 s before each code), finds an emergency first in the queue (before an overdue request),
   opens it and reads the legal document the agency uploaded (a PDF, framed from this origin);
2. she asks the agency a question; the agency answers over the API with a document (an image);
   she reads the answer and the image on the request's page;
3. she approves A, narrows C to a week and rejects D with a reason, previews the release and
   asks for it; a second reviewer (the cookies cleared, signed in as another person) approves it
   on the release page;
4. the agency downloads the package over the API: it holds exactly the approved scope;
5. a third person (notices and reports) records a notice exception on the request's page, looks
   at the notices, builds the year's draft transparency report and views it.

Every page is checked by :class:`tests.browser.console_support.Pages` (nothing from another
origin, no console error, axe-core: no serious or critical violation, the skip link first) and
screenshotted into ``test-artifacts/console-*.png``; the queue and the request also at a phone's
width. Skipped without chromium (with the reason) unless CI or TRUSTCENTER_REQUIRE_BROWSER."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.api.console_review_support import ANSWER, EMERGENCY, SUBMIT, THREE_ITEMS, basis, raw
from tests.api.disclosure.support import ALL, READ, Approved, UserData, assert_package_holds_exactly
from tests.api.sign_in_helpers import Member, add_member
from tests.browser.console_support import Agency, Pages, pdf_document, png_image
from tests.browser.support import REQUIRE_BROWSER, in_a_thread, serving
from tests.browser.support import chromium_available as chromium_available  # the fixture
from tests.conftest import START, TEST_DISCLOSURE_KEYS, MigratedDatabase, empty_postgres
from tests.helpers import AGENCY_SCOPES, OPERATOR, submission
from trustcenter.bootstrap import build
from trustcenter.clock import FixedClock
from trustcenter.config import Settings
from trustcenter.domain.enums import AgencyKind, InfoType, VerificationState
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.clients import create_client

WARRANT = pdf_document("Beschluss AG-2026-113: Herausgabe der Kontodaten")
ORDER = png_image()
QUESTION = "Please send the court's order for the usage log."
ANSWERED = "The order for the usage log is attached."
REJECTED = "The warrant does not cover orders."
WAITING = "Waiting for a second approval by someone who decided nothing."


@dataclass
class Console:
    """The served app, and what was put in its database before."""

    url: str
    backend: str
    clock: FixedClock
    agency: tuple[str, str]
    people: dict[str, Member]
    userdata: UserData


def _settings(migrated: MigratedDatabase, folder: Path) -> Settings:
    url = migrated.url
    if migrated.backend == "sqlite":  # a private copy of the migrated, empty file
        copy = folder / "trustcenter.db"
        shutil.copyfile(migrated.url.split(":///", 1)[1], copy)
        url = f"sqlite+aiosqlite:///{copy}"
    return Settings.from_env(
        {"TRUSTCENTER_RELEASE_APPROVERS": "2"},
        database_url=url,
        database_schema=migrated.schema,
        issuer="http://127.0.0.1",
        disclosure_keys=TEST_DISCLOSURE_KEYS,
        plugins="",
        graphql_cost_per_minute=10_000_000,
        graphql_requests_per_minute=100_000,
        graphql_anonymous_cost_per_minute=10_000_000,
        graphql_anonymous_requests_per_minute=100_000,
    )


async def _prepare(settings: Settings, clock: FixedClock, out: dict[str, Any]) -> None:
    """The company's user data, a verified agency in DE with an API client, three staff."""
    c = build(settings, clock)
    if settings.database_url.startswith("postgresql"):
        await empty_postgres(c.db)
    await c.start(upgrade=False)
    try:
        out["userdata"] = UserData()
        await out["userdata"].seed(c)
        agency = await create_agency(
            c, OPERATOR, name="LKA Berlin", kind=AgencyKind.LAW_ENFORCEMENT, country="DE"
        )
        await set_verification(c, OPERATOR, agency.id, VerificationState.VERIFIED)
        client = await create_client(c, OPERATOR, scopes=AGENCY_SCOPES, agency_id=agency.id)
        out["agency"] = (client.client_id, client.client_secret)
        out["people"] = {
            "rita": await add_member(c, "rita@staff.example", name="Rita Reviewer"),
            "bo": await add_member(c, "bo@staff.example", name="Bo Second"),
            "nora": await add_member(
                c, "nora@staff.example", name="Nora Notices", roles="auditor notices reports"
            ),
        }
    finally:
        await c.close()


@pytest.fixture(scope="module")
def console(
    chromium_available: None,
    migrated: MigratedDatabase,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Console]:
    """The real app with four eyes, on a free port, on this run's database."""
    from trustcenter.web.app import create_app

    settings = _settings(migrated, tmp_path_factory.mktemp("console"))
    assert settings.release_approvers == 2
    clock = FixedClock(START)
    prepared: dict[str, Any] = {}
    in_a_thread(lambda: _prepare(settings, clock, prepared))
    app = create_app(build(settings, clock), manage_lifecycle=True)
    with serving(app) as url:
        yield Console(url, migrated.backend, clock, **prepared)


@pytest.fixture
def driver(browser: Any) -> Any:
    """The process's chromium (``tests/browser/conftest.py``: one for both databases and the
    other browser tests), which logs every request of every frame (skipped, or failed where the
    browser test is required, without axe-selenium-python)."""
    try:
        import axe_selenium_python  # noqa: F401
    except ImportError:
        reason = "axe-selenium-python is not installed (pip install -e '.[dev]')"
        if REQUIRE_BROWSER:
            pytest.fail(f"{reason}, and this run requires the browser test (CI)")
        pytest.skip(f"{reason}: the browser test did not run")
    return browser


def _items_by_type(pages: Pages) -> dict[str, str]:
    """The decide form's item number of each information type."""
    numbers = {}
    for fieldset in pages.driver.find_elements("css selector", "form fieldset"):
        legend = fieldset.find_element("tag name", "legend").text
        hidden = fieldset.find_element("css selector", "input[type=hidden][name^=item-]")
        numbers[legend.rsplit(" ", 1)[1]] = hidden.get_attribute("name").removeprefix("item-")
    return numbers


def _agency_sends(console: Console) -> tuple[Agency, str, str]:
    """An ordinary request (overdue a month later), then an ordinary one and an emergency
    with the warrant uploaded as a PDF; the agency, the emergency's global id and the PDF's
    id."""
    agency = Agency(console.url, *console.agency)
    agency.fetch_token()
    agency.data(SUBMIT, {"input": submission()})
    console.clock.advance(timedelta(days=31))
    agency.fetch_token()
    agency.data(SUBMIT, {"input": submission()})
    pdf = agency.upload(WARRANT, "application/pdf")
    urgent = submission(legalBasis=basis(documentIds=[pdf]), targets=THREE_ITEMS, **EMERGENCY)
    payload = agency.data(SUBMIT, {"input": urgent})["submitRequest"]
    assert payload["userErrors"] == [], payload
    return agency, payload["request"]["id"], pdf


def test_a_day_in_the_console(console: Console, driver: Any) -> None:
    pages = Pages(driver, console.url, console.backend, console.clock)
    agency, gid, pdf = _agency_sends(console)
    rid = raw(gid)
    request = f"/console/requests/{rid}"

    # 1. Rita signs in, finds the emergency first in the queue, opens it, reads the warrant
    pages.sign_in(console.people["rita"], "reviewer", phone=True)
    rows = driver.find_elements("css selector", "main table tbody tr")
    assert len(rows) == 3
    first = rows[0].find_element("css selector", "th a")
    assert first.text.startswith("Emergency") and first.get_attribute("href").endswith(rid)
    assert "overdue by" in rows[1].text and "overdue" not in rows[2].text
    text = pages.click(first, "request", phone=True)
    assert "Emergency" in text and "LKA Berlin" in text and "AG-2026-113" in text
    frame = driver.find_element("css selector", "iframe")
    assert frame.get_attribute("src") == f"{console.url}/documents/{pdf}"
    assert pages.responses[f"{console.url}/documents/{pdf}"] == (200, "application/pdf")

    # 2. she starts the review and asks; the agency answers with a document; she reads it
    text = pages.click(pages.button("Start review"), "review-started")
    assert "The review has started." in text
    pages.fill("ask-message", QUESTION)
    text = pages.click(pages.button("Send the question"), "question-sent")
    assert "Your question was sent to the agency." in text and QUESTION in text
    console.clock.advance(timedelta(minutes=5))
    image = agency.upload(ORDER, "image/png")
    given = {"requestId": gid, "message": ANSWERED, "documentIds": [image]}
    assert agency.data(ANSWER, {"i": given})["answerClarification"]["userErrors"] == []
    text = pages.open(request, "answer-read")
    assert "The agency wrote" in text and ANSWERED in text
    assert text.index(QUESTION) < text.index(ANSWERED)
    shown = driver.find_element("css selector", f'img[src="/documents/{image}"]')
    assert driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", shown)
    assert pages.responses[f"{console.url}/documents/{image}"] == (200, "image/png")

    # 3. she decides: A approved, C narrowed to a week, D rejected with a reason
    pages.click(pages.button("Decide the items"), "decide")
    n = _items_by_type(pages)
    assert set(n) == {"A", "C", "D"}
    pages.choose(f"outcome-{n['A']}", "APPROVE")
    pages.choose(f"outcome-{n['C']}", "NARROW")
    pages.choose(f"reason-{n['C']}", "OVERBROAD")
    pages.set_date(f"from-{n['C']}", "2026-03-01")
    pages.set_date(f"to-{n['C']}", "2026-03-07")
    pages.choose(f"outcome-{n['D']}", "REJECT")
    pages.choose(f"reason-{n['D']}", "NO_LEGAL_BASIS")
    pages.fill(f"explanation-{n['D']}", REJECTED)
    text = pages.click(pages.button("Record the decisions"), "decided")
    assert "The decisions are recorded." in text and "partially approved" in text

    # ... previews the release and asks for it (four eyes: her approval is the first)
    text = pages.click(pages.button("Preview and release"), "release-preview")
    assert "What will be released" in text and "2 people must agree" in text
    assert "type A" in text and "type C" in text and "type D" not in text
    assert "from 2026-03-01 to 2026-03-07" in text
    text = pages.click(pages.button("Release"), "release-asked")
    assert WAITING in text and "You asked for this release" in text
    assert "Approve and release" not in text

    # a second reviewer approves on the release page
    pages.sign_in(console.people["bo"], "second-reviewer")
    text = pages.open(f"{request}/release", "release-second")
    assert WAITING in text and "Approved by Rita Reviewer" in text
    text = pages.click(pages.button("Approve and release"), "released")
    assert "Released: the agency can download the package now." in text
    assert "status disclosed" in text

    # 4. the agency downloads exactly the approved scope
    read = agency.data(READ, {"id": gid})["request"]
    assert read["status"] == "DISCLOSED"
    r = agency.get(read["disclosure"]["downloadPath"])
    assert r.status_code == 200, r.text
    package = r.json()
    week = (date(2026, 3, 1), date(2026, 3, 7))
    email = ("email", "suspect@example.com")
    assert_package_holds_exactly(
        package,
        [
            Approved(*email, InfoType.A, "approve", ALL[InfoType.A], None, None),
            Approved(*email, InfoType.C, "narrow", ALL[InfoType.C], *week),
        ],
        console.userdata,
    )
    agency.close()

    # 5. a notice exception, recorded from the console; the year's draft report
    pages.sign_in(console.people["nora"], "notices")
    text = pages.open(request, "request-notices")
    assert REJECTED in text and "NO_LEGAL_BASIS" in text
    pages.choose("exception-kind", "RISK_OF_HARM")
    pages.fill("exception-why", "Telling the user now would warn the suspect.")
    text = pages.click(pages.button("Record the exception"), "exception-recorded")
    assert "The notice exception was recorded." in text
    assert "Telling the user now would warn the suspect." in text
    text = pages.open("/console/notices", "notices")
    assert "Held back (1)" in text and "Risk of harm" in text and "warn the suspect" in text

    text = pages.open("/console/transparency", "transparency")
    assert f"Transparency report {console.clock.now().year}" in text and "No draft" in text
    text = pages.click(pages.button("Build the draft"), "transparency-built")
    assert "The draft of" in text and "was built" in text
    requests = driver.find_element(
        "css selector", 'table[data-totals="worldwide"] td[data-figure="requests"]'
    )
    assert requests.get_attribute("data-value") == "3", requests.text  # all three of 2026
    link = pages.button("See the draft exactly as the public page will show it")
    text = pages.click(link, "transparency-draft", layout=False)
    year = console.clock.now().year
    assert f"This is the draft of the {year} report" in text
    assert f"Transparency report {year}" in text

    assert len(pages.shots) >= 20, pages.shots
    assert all(re.fullmatch(r"console-\w+-\d\d-[\w-]+\.png", s) for s in pages.shots)
    problems = [f"axe-core: {f}" for f in pages.findings]
    problems += [f"keyboard: {k}" for k in pages.keyboard]
    assert problems == [], "serious or critical accessibility problems:\n" + "\n".join(problems)
