"""The public transparency page in a real browser.

The real app is served by uvicorn (in a thread, on a free port) from a SQLite file with the demo
data and a published 2025 report (a first version, then a correction); Debian's chromium, headless,
driven by selenium through chromedriver, loads ``/transparency/2025`` and the test checks what
it shows against ``/transparency/2025.json``: every table figure, every chart bar (its value and
its drawn length), that the charts have a size, that nothing was loaded from anywhere else and
that the browser logged no error (a Content-Security-Policy violation would be one). Screenshots
(desktop, full page, and a phone-width one) are saved as test artifacts in
``$TRUSTCENTER_TEST_ARTIFACTS`` (default ``test-artifacts/``).

Without chromium or chromedriver the test is skipped with the reason, except in CI (``CI`` set)
or with ``TRUSTCENTER_REQUIRE_BROWSER=1``: there its setup installs Debian's ``chromium`` and
``chromium-driver`` with apt-get (as root), and fails if they are still missing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.api.test_transparency_pages import attribute, shown
from tests.browser.support import READ_ENTRIES, artifacts, serving
from tests.browser.support import chromium_available as chromium_available  # the fixture
from tests.browser.support import in_a_thread as _in_a_thread
from tests.browser.support import is_png as _is_png
from tests.conftest import TEST_DISCLOSURE_KEYS
from tests.helpers import OPERATOR
from tests.support.demo_copy import load_demo_copy
from trustcenter.bootstrap import build
from trustcenter.clock import FixedClock
from trustcenter.config import Settings
from trustcenter.domain.report import FIGURES
from trustcenter.services.reports import build_report, confirm_statement, publish_report

YEAR = 2025
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
STATEMENT = (
    "We have never built a backdoor or a master key into our products or services, and we have "
    "never been asked to."
)
#: the statement as first confirmed for 2025 (a year is published only with its statement)
FIRST_STATEMENT = "We have never built a backdoor or a master key."
CHANGELOG = "Rewords the statement, as confirmed on 1 December 2026; the figures are unchanged."


async def _prepare(settings: Settings) -> None:
    """The demo data, and 2025's report: version 1, then a correction rewording the statement."""
    clock = FixedClock(NOW)
    c = build(settings, clock)
    await c.start()
    try:
        await load_demo_copy(c)  # played once per process (tests/support/demo_copy.py)
        excluded = await c.report_exclusions()
        await confirm_statement(c, OPERATOR, FIRST_STATEMENT)
        await build_report(c, OPERATOR, YEAR, excluded)
        await publish_report(c, OPERATOR, YEAR)
        clock.advance(timedelta(days=1))
        await confirm_statement(c, OPERATOR, STATEMENT)
        await build_report(c, OPERATOR, YEAR, excluded)
        await publish_report(c, OPERATOR, YEAR, CHANGELOG)
    finally:
        await c.close()


@pytest.fixture(scope="module")
def site(chromium_available: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real app on a free port of 127.0.0.1; yields its base URL."""
    from trustcenter.web.app import create_app

    path = tmp_path_factory.mktemp("browser") / "trustcenter.db"
    settings = Settings.from_env(
        {},
        database_url=f"sqlite+aiosqlite:///{path}",
        issuer="http://127.0.0.1",
        disclosure_keys=TEST_DISCLOSURE_KEYS,
        plugins="",
    )
    _in_a_thread(lambda: _prepare(settings))

    app = create_app(build(settings, FixedClock(NOW)), manage_lifecycle=True)
    with serving(app) as url:
        yield url


READ_ROWS = """
return Array.from(document.querySelectorAll(arguments[0])).map(tr => ({
  country: tr.dataset.country || null,
  category: tr.dataset.category || null,
  total: tr.dataset.total || null,
  cells: Object.fromEntries(Array.from(tr.querySelectorAll('td[data-figure]')).map(
    td => [td.dataset.figure, [td.dataset.value, td.innerText.trim()]])),
}));
"""
READ_BARS = """
return Array.from(document.querySelectorAll('svg[data-chart="' + arguments[0] + '"] rect.bar'))
  .map(bar => ({
    key: bar.dataset.key, label: bar.dataset.label, value: bar.dataset.value,
    width: bar.getBoundingClientRect().width,
    text: bar.parentNode.querySelector('text.value').textContent,
    label_text: bar.parentNode.querySelector('text.label').textContent,
  }));
"""


def _check_bars(
    bars: list[dict[str, Any]], expected: dict[str, Any], text: Callable[[Any], str]
) -> None:
    assert {b["key"] for b in bars} == set(expected)
    assert len(bars) == len(expected)
    for bar in bars:
        value = expected[bar["key"]]
        assert float(bar["value"]) == value, bar
        assert bar["text"] == text(value), bar
        assert bar["label_text"] == bar["label"] != ""
        assert (bar["width"] > 0) == (value > 0), bar
    # the drawn lengths are in the figures' proportions (to within a pixel)
    widest = max(bars, key=lambda b: b["width"])
    if widest["width"] > 0:
        for bar in bars:
            wanted = widest["width"] * expected[bar["key"]] / expected[widest["key"]]
            assert abs(bar["width"] - wanted) <= 1.0, (bar, wanted)


def test_the_page_shows_the_published_figures_and_charts(site: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By

    published = httpx.get(f"{site}/transparency/{YEAR}.json", timeout=10)
    assert published.status_code == 200
    doc = published.json()
    assert doc["version"] == 2 and doc["rows"], "the fixture publishes a correction with rows"

    browser.get(f"{site}/transparency/{YEAR}")
    assert browser.execute_script("return document.readyState") == "complete"
    assert browser.title.startswith(f"Transparency report {YEAR}")
    body = browser.find_element(By.TAG_NAME, "body").text
    assert STATEMENT in body and CHANGELOG in body
    assert doc["figures_sha256"] in body

    # every row of the table, and the totals, are the JSON's figures
    columns = browser.execute_script(
        "return Array.from(document.querySelectorAll('th[data-column]'), th => th.dataset.column)"
    )
    assert columns == list(FIGURES)
    rows = browser.execute_script(READ_ROWS, "tr[data-country]")
    expected = {(r["country"], r["category"]): r for r in doc["rows"]}
    assert len(rows) == len(expected)
    for row in rows:
        figures = expected[(row["country"], row["category"])]
        assert sorted(row["cells"]) == sorted(FIGURES)
        for name, (value, text) in row["cells"].items():
            assert (value, text) == (attribute(figures[name]), shown(figures[name], name)), (
                row["country"],
                row["category"],
                name,
            )
    totals = browser.execute_script(READ_ROWS, "tr[data-total]")
    per_category = {c["category"]: c for c in doc["totals"]["categories"]}
    assert len(totals) == len(per_category) + 1
    for row in totals:
        figures = (
            doc["totals"]["worldwide"]
            if row["total"] == "worldwide"
            else per_category[row["category"]]
        )
        for name, (value, text) in row["cells"].items():
            assert (value, text) == (attribute(figures[name]), shown(figures[name], name))

    # every chart bar is the JSON's figure, labelled and drawn to scale
    by_country: defaultdict[str, int] = defaultdict(int)
    for r in doc["rows"]:
        by_country[r["country"]] += r["requests"]
    _check_bars(
        browser.execute_script(READ_BARS, "requests-by-category"),
        {c: t["requests"] for c, t in per_category.items()},
        lambda v: shown(v, "requests"),
    )
    _check_bars(
        browser.execute_script(READ_BARS, "requests-by-country"),
        dict(by_country),
        lambda v: shown(v, "requests"),
    )
    _check_bars(
        browser.execute_script(READ_BARS, "with-data-share"),
        {c: t["with_data_pct"] for c, t in per_category.items()},
        lambda v: shown(v, "with_data_pct"),
    )
    charts = browser.find_elements(By.CSS_SELECTOR, "svg[data-chart]")
    assert len(charts) == 3
    for chart in charts:
        assert chart.get_attribute("role") == "img" and chart.get_attribute("aria-label")
        assert chart.size["width"] > 200 and chart.size["height"] > 30, chart.size

    # nothing came from anywhere but the app, and the browser reported no error
    origin = urlsplit(site)
    entries = browser.execute_script(READ_ENTRIES)
    assert any(e["type"] == "navigation" for e in entries)
    foreign = [e["name"] for e in entries if urlsplit(e["name"])[:2] != origin[:2]]
    assert foreign == [], foreign
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == [], errors

    # screenshots: the whole page on a desktop, and at a phone's width (no sideways scrolling)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1280, min(int(height) + 40, 8000))
    shot = artifacts() / f"transparency-{YEAR}.png"
    assert browser.save_screenshot(str(shot))
    assert _is_png(shot)

    browser.set_window_size(390, 844)
    browser.refresh()
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at a phone's width"
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(390, min(int(height) + 40, 8000))
    phone = artifacts() / f"transparency-{YEAR}-phone.png"
    assert browser.save_screenshot(str(phone))
    assert _is_png(phone)
