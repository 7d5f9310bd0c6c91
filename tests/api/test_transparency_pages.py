"""The public transparency report over plain HTTP: ``/transparency`` (the published years),
``/transparency/{year}`` (the page, with its charts), ``.json`` and ``.csv``.

Only published versions are visible, to anyone; what they show is the stored document, the
same in the three representations; an older version stays readable after a correction; and a
published version does not move when later data arrives."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
from sqlalchemy import select

from tests.helpers import OPERATOR, RELEASE, World, approve_all
from tests.support.demo_copy import load_demo_copy
from trustcenter.auth.principal import ANONYMOUS
from trustcenter.bootstrap import Container
from trustcenter.db.models import Account, ReportStatement
from trustcenter.domain.report import FIGURES, METHOD_VERSION, figures_sha256
from trustcenter.domain.report_policy import ALWAYS_EXCLUDED_REASON, year_end
from trustcenter.plugins import Exclusion, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load
from trustcenter.services.reports import (
    build_report,
    confirm_statement,
    publish_report,
    published,
)

COLUMNS = ["country", "category", *FIGURES]
DEMO_YEAR = 2025  # the demo data's last full year (the clock is at 2026-11-30)
YEAR = 2026  # the hand-made histories' year: requests are received "now"
STATEMENT = "We have never built a backdoor or a master key."
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
DOCUMENT_KEYS = {
    "year", "version", "method_version", "figures_sha256", "published_at", "excluded_countries",
    "exclusions", "rows", "totals", "statement", "changelog", "versions",
}  # fmt: skip
#: a few days into the year after YEAR: YEAR has ended
NEW_YEAR = datetime(YEAR + 1, 1, 4, 9, 0, tzinfo=UTC)


# -- making reports ------------------------------------------------------------------------------


async def publish(container: Container, year: int, changelog: str | None = None) -> Any:
    """Build and publish ``year`` as the rules allow it: once the year has ended (the clock
    moves to the next January if needed) and with the statement confirmed after it ended."""
    clock: Any = container.clock
    if clock.now() < year_end(year):
        clock.set(NEW_YEAR)
    async with container.db.reader() as session:
        confirmed = await session.scalar(
            select(ReportStatement).where(ReportStatement.confirmed_at >= year_end(year))
        )
    if confirmed is None:
        await confirm_statement(container, OPERATOR, STATEMENT)
    excluded = await container.report_exclusions()
    await build_report(container, OPERATOR, year, excluded)
    return await publish_report(container, OPERATOR, year, changelog)


async def with_demo(container: Container) -> None:
    """The demo data (played once per process, then copied: tests/support/demo_copy.py)."""
    await load_demo_copy(container)


async def submitted(world: World, reference: str) -> str:
    """A request received now from Germany about the suspect's account (which exists)."""
    async with world.container.db.transaction() as s:
        known = await s.scalar(select(Account).where(Account.username == "suspect"))
        if known is None:
            s.add(Account(username="suspect", email="suspect@example.com", region="DE",
                          registered_at=datetime(2024, 1, 1, tzinfo=UTC)))  # fmt: skip
    agency = await world.agency_actor("DE")
    request = await agency.submit(
        legalBasis={
            "kind": "WARRANT",
            "reference": reference,
            "issuedBy": "Amtsgericht Tiergarten",
            "issuedAt": "2026-11-01",
            "document": "JVBERi0xLjQgd2FycmFudA==",
        }
    )
    return str(request["id"])


async def release(world: World, request_id: str) -> None:
    """Approved and answered with data (the suspect's account information)."""
    staff = await world.staff_actor(["review"])
    await approve_all(staff, request_id)
    done = await staff.data(RELEASE, {"i": {"requestId": request_id}})
    assert done["releaseDisclosure"]["userErrors"] == []


async def released_request(world: World, reference: str) -> None:
    await release(world, await submitted(world, reference))


# -- reading what the pages say -------------------------------------------------------------------


def shown(value: Any, figure: str) -> str:
    """How a page prints a figure (written out here, not imported from the code under test)."""
    if value is None:
        return "\u2013"  # an en dash
    if figure == "with_data_pct":
        return f"{value:.1f}%"
    if figure == "median_days_to_respond":
        return f"{value:.1f}"
    return f"{value:,}"


def attribute(value: Any) -> str:
    return "" if value is None else str(value)


class Page(HTMLParser):
    """The parts of a transparency page the tests check: the table's rows and totals (each
    figure's ``data-value`` and visible text), the charts and their bars, and every tag."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}
        self.totals: dict[tuple[str, str | None], dict[str, tuple[str, str]]] = {}
        self.columns: list[str] = []
        self.charts: dict[str, dict[str, str | None]] = {}
        self.chart_titles: dict[str, str] = {}
        self.bars: defaultdict[str, dict[str, str]] = defaultdict(dict)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.years: list[int] = []
        self._row: dict[str, tuple[str, str]] | None = None
        self._cell: tuple[str, str] | None = None
        self._chart: str | None = None
        self._title = False
        self._text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "tr" and a.get("data-country"):
            self._row = self.rows.setdefault((a["data-country"], a["data-category"] or ""), {})
        elif tag == "tr" and a.get("data-total"):
            key = (a["data-total"] or "", a.get("data-category"))
            self._row = self.totals.setdefault(key, {})
        elif tag == "th" and a.get("data-column"):
            self.columns.append(a["data-column"] or "")
        elif tag == "td" and self._row is not None and a.get("data-figure"):
            self._cell, self._text = (a["data-figure"] or "", a["data-value"] or ""), []
        elif tag == "li" and a.get("data-year"):
            self.years.append(int(a["data-year"] or 0))
        elif tag == "svg" and a.get("data-chart"):
            self._chart = a["data-chart"]
            self.charts[self._chart or ""] = a
        elif tag == "title" and self._chart and self._chart not in self.chart_titles:
            self._title, self._text = True, []
        elif tag == "rect" and self._chart and "bar" in (a.get("class") or "").split():
            self.bars[self._chart][a["data-key"] or ""] = a["data-value"] or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            figure, value = self._cell
            self._row[figure] = (value, "".join(self._text).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None
        elif tag == "title" and self._title and self._chart:
            self.chart_titles[self._chart] = "".join(self._text)
            self._title = False
        elif tag == "svg":
            self._chart = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None or self._title:
            self._text.append(data)


async def json_of(http: httpx.AsyncClient, path: str) -> dict[str, Any]:
    r = await http.get(path)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    return body


def assert_page_shows(page: Page, doc: dict[str, Any]) -> None:
    """Every row and total of ``doc`` is in the table, value and text."""
    assert page.columns == list(FIGURES)
    assert set(page.rows) == {(r["country"], r["category"]) for r in doc["rows"]}
    for row in doc["rows"]:
        cells = page.rows[(row["country"], row["category"])]
        assert cells == {f: (attribute(row[f]), shown(row[f], f)) for f in FIGURES}, row
    totals = {("category", c["category"]): c for c in doc["totals"]["categories"]}
    totals[("worldwide", None)] = doc["totals"]["worldwide"]
    assert set(page.totals) == set(totals)
    for key, figures in totals.items():
        assert page.totals[key] == {f: (attribute(figures[f]), shown(figures[f], f))
                                    for f in FIGURES}, key  # fmt: skip


# -- the tests --------------------------------------------------------------------------------


async def test_the_years_page_lists_only_published_years(container, http):
    await with_demo(container)
    empty = await http.get("/transparency")
    assert empty.status_code == 200 and Page(empty.text).years == []
    await publish(container, DEMO_YEAR)
    await build_report(container, OPERATOR, YEAR, ["CN"])  # a draft only

    r = await http.get("/transparency")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.headers["content-security-policy"].startswith(CSP)
    assert Page(r.text).years == [DEMO_YEAR]
    assert f'href="/transparency/{DEMO_YEAR}"' in r.text
    assert f"/transparency/{YEAR}" not in r.text
    listed = await json_of(http, "/transparency?format=json")
    assert listed["years"] == [DEMO_YEAR]
    assert [(s["year"], s["version"]) for s in listed["reports"]] == [(DEMO_YEAR, 1)]

    # the draft is nobody's business but the staff's
    for path in (f"/transparency/{YEAR}", f"/transparency/{YEAR}.json",
                 f"/transparency/{YEAR}.csv", f"/transparency/{YEAR}?version=1"):  # fmt: skip
        assert (await http.get(path)).status_code == 404, path
    missing = await http.get(f"/transparency/{YEAR}.json")
    assert missing.json()["error"] == "not_found"
    # nor is anything that is not a year
    for path in ("/transparency/abc", "/transparency/20x5", "/transparency/2025.xml",
                 "/transparency/1999", "/transparency/12025.json"):  # fmt: skip
        r = await http.get(path)
        assert r.status_code == 404, path
    page = await http.get("/transparency/abc")
    assert "Not found" in page.text and page.headers["content-security-policy"].startswith(CSP)

    await publish(container, YEAR)  # once the year has ended
    assert Page((await http.get("/transparency")).text).years == [YEAR, DEMO_YEAR]
    # a version that is no whole number a report could have names none (never a server error)
    for version in ("abc", "0", "-1", "²", "\u0661", "9" * 5000, "99999999999", "7"):
        r = await http.get(f"/transparency/{YEAR}.json?version={version}")
        assert r.status_code == 404 and r.json()["error"] == "not_found", version
    assert (await json_of(http, "/transparency?format=json"))["years"] == [YEAR, DEMO_YEAR]


async def test_the_json_is_the_stored_report(container, http):
    await with_demo(container)
    await confirm_statement(container, OPERATOR, STATEMENT)
    row = await publish(container, DEMO_YEAR)
    stored = (await published(container, ANONYMOUS, DEMO_YEAR)).figures
    assert stored["rows"], "the demo data has requests in 2025"

    r = await http.get(f"/transparency/{DEMO_YEAR}.json")
    assert r.status_code == 200
    doc = r.json()
    assert set(doc) == DOCUMENT_KEYS
    assert doc["year"] == DEMO_YEAR and doc["version"] == 1
    assert doc["method_version"] == METHOD_VERSION == stored["method_version"]
    assert doc["figures_sha256"] == row.figures_sha256
    assert doc["excluded_countries"] == stored["excluded_countries"] == ["CN"]
    assert doc["rows"] == stored["rows"] and doc["totals"] == stored["totals"]
    assert [list(r) for r in doc["rows"]] == [COLUMNS] * len(doc["rows"])
    assert doc["published_at"] == row.published_at.isoformat() == "2026-11-30T09:00:00+00:00"
    assert doc["statement"] == {"text": STATEMENT, "confirmed_on": "2026-11-30"}
    assert doc["changelog"] is None
    assert doc["versions"] == [
        {"version": 1, "published_at": doc["published_at"], "changelog": None,
         "figures_sha256": row.figures_sha256}
    ]  # fmt: skip
    # anyone can check the digest from the JSON alone
    hashed = ("year", "method_version", "excluded_countries", "exclusions", "rows", "totals")
    assert figures_sha256({k: doc[k] for k in hashed}) == doc["figures_sha256"]

    # cached by what it is: the figures' digest and the version
    etag = r.headers["etag"]
    assert row.figures_sha256 in etag and "-v1-" in etag
    assert r.headers["cache-control"] == "public, max-age=300"
    again = await http.get(f"/transparency/{DEMO_YEAR}.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    page = await http.get(f"/transparency/{DEMO_YEAR}")
    assert page.headers["etag"] != etag and row.figures_sha256 in page.headers["etag"]


async def test_the_csv_rows_are_the_json_rows(container, http):
    await with_demo(container)
    await publish(container, DEMO_YEAR)
    doc = await json_of(http, f"/transparency/{DEMO_YEAR}.json")

    r = await http.get(f"/transparency/{DEMO_YEAR}.csv")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == (
        f'attachment; filename="transparency-{DEMO_YEAR}-v1.csv"'
    )
    assert r.headers["cache-control"] == "public, max-age=300" and r.headers["etag"]
    header, *lines = list(csv.reader(io.StringIO(r.text)))
    assert header == COLUMNS
    assert lines == [[attribute(row[c]) for c in COLUMNS] for row in doc["rows"]]
    assert len(lines) == len({(row[0], row[1]) for row in lines})  # one per country and category
    # read back as numbers, they are the JSON's
    for line, row in zip(csv.DictReader(io.StringIO(r.text)), doc["rows"], strict=True):
        for column in COLUMNS[2:]:
            value = row[column]
            assert (None if line[column] == "" else type(value)(line[column])) == value


async def test_the_page_shows_every_row_and_the_charts_match_the_totals(container, http):
    await with_demo(container)
    await confirm_statement(container, OPERATOR, STATEMENT)
    await publish(container, DEMO_YEAR)
    doc = await json_of(http, f"/transparency/{DEMO_YEAR}.json")

    r = await http.get(f"/transparency/{DEMO_YEAR}")
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-security-policy"].startswith(CSP)
    assert r.headers["cache-control"] == "public, max-age=300"
    page = Page(r.text)
    assert_page_shows(page, doc)

    per_category = {c["category"]: c for c in doc["totals"]["categories"]}
    by_country: defaultdict[str, int] = defaultdict(int)
    for row in doc["rows"]:
        by_country[row["country"]] += row["requests"]
    assert set(page.charts) == {"requests-by-category", "requests-by-country", "with-data-share"}
    assert page.bars["requests-by-category"] == {
        c: str(t["requests"]) for c, t in per_category.items()
    }
    assert page.bars["requests-by-country"] == {c: str(n) for c, n in by_country.items()}
    assert page.bars["with-data-share"] == {
        c: str(t["with_data_pct"]) for c, t in per_category.items()
    }
    for name, svg in page.charts.items():
        assert svg["role"] == "img" and svg["aria-label"], name
        assert page.chart_titles[name] == svg["aria-label"]

    # what a reader needs around the figures
    assert "Germany" in r.text and "United Kingdom" in r.text and "Hong Kong" in r.text
    assert STATEMENT in r.text and "Confirmed on" in r.text and "30 November 2026" in r.text
    assert doc["figures_sha256"] in r.text and METHOD_VERSION in r.text
    assert "transparency-method.md" in r.text
    assert f'href="/transparency/{DEMO_YEAR}.json"' in r.text
    assert f'href="/transparency/{DEMO_YEAR}.csv"' in r.text

    # and nothing from anywhere else: no script, no external file, no font, no address
    assert not [t for t, a in page.tags if t in ("script", "iframe", "object", "embed", "img")]
    assert not [a for _, a in page.tags if "src" in a or "srcset" in a]
    links = [a for t, a in page.tags if t == "link"]
    assert all((a.get("href") or "").startswith("data:") for a in links), links
    assert set(re.findall(r"https?://[^\s\"'<>]+", r.text)) <= {"http://www.w3.org/2000/svg"}
    assert "@import" not in r.text and "url(" not in r.text


async def test_an_older_version_stays_readable_after_a_correction(world, container, clock, http):
    await released_request(world, "AG-2026-113")
    late = await submitted(world, "AG-2026-200")  # another warrant, answered next year
    first = await publish(container, YEAR)
    v1 = await json_of(http, f"/transparency/{YEAR}.json")
    assert v1["totals"]["worldwide"]["with_data"] == 1

    clock.advance(timedelta(days=1))
    await release(world, late)
    note = "Adds the answer to a request received on 30 November, given after version 1."
    second = await publish(container, YEAR, note)
    assert (first.version, second.version) == (1, 2)

    # the year's page is the newest version …
    newest = await json_of(http, f"/transparency/{YEAR}.json")
    assert newest["version"] == 2 and newest["changelog"] == note
    assert newest["totals"]["worldwide"]["with_data"] == 2
    r = await http.get(f"/transparency/{YEAR}")
    assert 'data-version="2"' in r.text and "data-older-version" not in r.text
    assert_page_shows(Page(r.text), newest)

    # … and version 1 is still there, as it was
    old = await json_of(http, f"/transparency/{YEAR}.json?version=1")
    assert {k: old[k] for k in DOCUMENT_KEYS - {"versions"}} == {
        k: v1[k] for k in DOCUMENT_KEYS - {"versions"}
    }
    r = await http.get(f"/transparency/{YEAR}?version=1")
    assert r.status_code == 200 and "data-older-version" in r.text
    assert_page_shows(Page(r.text), v1)
    assert f'href="/transparency/{YEAR}.json?version=1"' in r.text
    csv_v1 = await http.get(f"/transparency/{YEAR}.csv?version=1")
    assert f'filename="transparency-{YEAR}-v1.csv"' in csv_v1.headers["content-disposition"]
    assert next(csv.DictReader(io.StringIO(csv_v1.text)))["with_data"] == "1"

    # both documents list both versions, and the page says what changed
    listed = [
        {"version": 1, "published_at": first.published_at.isoformat(), "changelog": None,
         "figures_sha256": first.figures_sha256},
        {"version": 2, "published_at": second.published_at.isoformat(), "changelog": note,
         "figures_sha256": second.figures_sha256},
    ]  # fmt: skip
    assert newest["versions"] == old["versions"] == listed
    assert first.figures_sha256 != second.figures_sha256
    assert note in r.text and 'href="/transparency/2026?version=1"' not in r.text
    assert note in (await http.get(f"/transparency/{YEAR}")).text

    for version in ("3", "0", "-1", "one", ""):
        for suffix in ("", ".json", ".csv"):
            path = f"/transparency/{YEAR}{suffix}?version={version}"
            assert (await http.get(path)).status_code == 404, path


async def test_a_published_report_does_not_change_when_later_data_arrives(
    world, container, clock, http
):
    await released_request(world, "AG-2026-113")
    late = await submitted(world, "AG-2026-200")
    await publish(container, YEAR)
    paths = [f"/transparency/{YEAR}", f"/transparency/{YEAR}.json", f"/transparency/{YEAR}.csv"]
    before = {p: (await http.get(p)).text for p in paths}

    clock.advance(timedelta(days=1))
    await release(world, late)  # received in the same year, answered after publishing
    assert {p: (await http.get(p)).text for p in paths} == before
    excluded = await container.report_exclusions()
    draft = await build_report(container, OPERATOR, YEAR, excluded)
    assert draft.version == 2  # built, not published: still invisible
    assert {p: (await http.get(p)).text for p in paths} == before
    assert (await http.get(f"/transparency/{YEAR}.json?version=2")).status_code == 404

    await publish_report(container, OPERATOR, YEAR, "Adds a later answer.")
    after = await json_of(http, f"/transparency/{YEAR}.json")
    assert after["version"] == 2 and after["totals"]["worldwide"]["with_data"] == 2
    assert (await http.get(f"/transparency/{YEAR}.csv?version=1")).text == before[paths[2]]


async def test_no_token_is_needed_and_a_bad_token_is_still_refused(world, container, http):
    await released_request(world, "AG-2026-113")
    await publish(container, YEAR)
    paths = ["/transparency", f"/transparency/{YEAR}", f"/transparency/{YEAR}.json",
             f"/transparency/{YEAR}.csv"]  # fmt: skip
    anonymous = {}
    for path in paths:
        r = await http.get(path)  # no Authorization header at all
        assert r.status_code == 200, path
        anonymous[path] = r.text

    agency = await world.agency_actor("FR")
    for path in paths:  # a valid token changes nothing: the same public report
        r = await http.get(path, headers={"Authorization": f"Bearer {agency.token}"})
        assert r.status_code == 200 and r.text == anonymous[path], path

    for header in ("Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "):
        r = await http.get(f"/transparency/{YEAR}", headers={"Authorization": header})
        assert r.status_code == 401, header  # the middleware refuses a bad token everywhere
        assert r.json()["error"] == "invalid_token"
        assert r.headers["www-authenticate"].startswith('Bearer realm="trustcenter"')


# -- method versions and exclusions ----------------------------------------------------------------

#: a report as method 2026.1 stored it: categories in lower case, exclusions without reasons
OLD_FIGURES: dict[str, Any] = {
    "year": 2025,
    "method_version": "2026.1",
    "excluded_countries": ["CN"],
    "rows": [
        {"country": "DE", "category": "account", "requests": 3, "challenged_or_rejected": 1,
         "with_data": 2, "with_data_pct": 66.7, "accounts_specified": 3,
         "products_specified": 0, "median_days_to_respond": 4.5},
    ],
    "totals": {
        "categories": [
            {"category": "account", "requests": 3, "challenged_or_rejected": 1, "with_data": 2,
             "with_data_pct": 66.7, "accounts_specified": 3, "products_specified": 0,
             "median_days_to_respond": 4.5},
        ],
        "worldwide": {"requests": 3, "challenged_or_rejected": 1, "with_data": 2,
                      "with_data_pct": 66.7, "accounts_specified": 3, "products_specified": 0,
                      "median_days_to_respond": 4.5},
    },
}  # fmt: skip
OLD_GRAPHQL = """query { transparencyReport(year: 2025, version: 1) { methodVersion
  figuresSha256 excluded { country reason } rows { category withData accountsSpecified } } }"""


async def published_under_2026_1(container: Container) -> str:
    """Version 1 of 2025 as it was published under method 2026.1; its figures' digest."""
    from sqlalchemy import insert

    from trustcenter.db.models import TransparencyReport
    from trustcenter.domain.report import canonical

    at = datetime(2026, 1, 20, tzinfo=UTC)
    digest = figures_sha256(OLD_FIGURES)
    async with container.db.transaction() as s:
        await s.execute(insert(TransparencyReport).values(
            year=2025, version=1, status="published", method_version="2026.1",
            figures=canonical(OLD_FIGURES).decode(), figures_sha256=digest, built_at=at,
            built_by="operator", published_at=at, published_by="operator",
            statement=STATEMENT, statement_confirmed_at=at,
        ))  # fmt: skip
    return digest


async def test_a_report_published_under_method_2026_1_keeps_its_figures_and_says_so(
    container, http
):
    # the demo first, copied in while the database is fresh (on top of a stored report it would
    # be played again: seconds); it writes no report, so version 1 reads the same after it
    await with_demo(container)
    digest = await published_under_2026_1(container)

    doc = await json_of(http, "/transparency/2025.json")
    assert doc["method_version"] == "2026.1" and doc["figures_sha256"] == digest
    assert "exclusions" not in doc  # the document as it was published, nothing added
    hashed = ("year", "method_version", "excluded_countries", "rows", "totals")
    assert {k: doc[k] for k in hashed} == OLD_FIGURES
    assert figures_sha256({k: doc[k] for k in hashed}) == digest

    r = await http.get("/transparency/2025.csv")
    assert r.headers["x-report-method-version"] == "2026.1"
    assert json.loads(r.headers["x-report-exclusions"]) == [{"country": "CN", "reason": None}]
    assert next(csv.DictReader(io.StringIO(r.text)))["category"] == "account"  # as stored

    page = await http.get("/transparency/2025")
    assert "data-method-version>2026.1<" in page.text
    assert_page_shows(Page(page.text), doc)
    assert ">Account<" in page.text.replace('"></span>', ">")  # labelled as before

    gql = await http.post("/graphql", json={"query": OLD_GRAPHQL})
    report = gql.json()["data"]["transparencyReport"]
    assert report["methodVersion"] == "2026.1" and report["figuresSha256"] == digest
    assert report["excluded"] == [{"country": "CN", "reason": None}]
    assert report["rows"] == [{"category": "ACCOUNT", "withData": 2, "accountsSpecified": 3}]

    # a correction under today's method (of the demo's 2025) leaves version 1 as it was
    second = await publish(container, 2025, "Recounted under method 2026.2.")
    assert second.version == 2 and second.method_version == METHOD_VERSION == "2026.2"
    assert (await json_of(http, "/transparency/2025.json?version=1")) == {
        **doc,
        "versions": (await json_of(http, "/transparency/2025.json"))["versions"],
    }
    assert (await json_of(http, "/transparency/2025.json"))["method_version"] == "2026.2"


class Excludes:
    @hookimpl
    def trustcenter_report_exclusions(self) -> list[Exclusion]:
        return [Exclusion("RU", "Requests cannot be verified as lawful (“Ersuchen”).")]


async def test_the_published_report_prints_every_exclusion_beside_its_reason(
    world, container, http
):
    container.settings = replace(container.settings, report_exclusions="KP:no lawful channel")
    container.plugins = PluginHost(*load("", extra=[("acme", Excludes())]))
    await released_request(world, "AG-2026-113")
    await publish(container, YEAR)
    expected = [
        {"country": "CN", "reason": ALWAYS_EXCLUDED_REASON},
        {"country": "KP", "reason": "no lawful channel"},
        {"country": "RU", "reason": "Requests cannot be verified as lawful (“Ersuchen”)."},
    ]

    doc = await json_of(http, f"/transparency/{YEAR}.json")
    assert doc["exclusions"] == expected and doc["excluded_countries"] == ["CN", "KP", "RU"]
    assert doc["method_version"] == METHOD_VERSION
    assert {r["category"] for r in doc["rows"]} == {"ACCOUNT"}

    r = await http.get(f"/transparency/{YEAR}.csv")
    assert json.loads(r.headers["x-report-exclusions"]) == expected
    assert r.headers["x-report-method-version"] == METHOD_VERSION
    assert next(csv.DictReader(io.StringIO(r.text)))["category"] == "ACCOUNT"

    page = await http.get(f"/transparency/{YEAR}")
    items = re.findall(r'<li data-excluded="(\w+)">(.*?)</li>', page.text, re.S)
    assert [code for code, _ in items] == ["CN", "KP", "RU"]
    for (_, text), exclusion in zip(items, expected, strict=True):
        assert f"<span data-reason>{html.escape(exclusion['reason'], quote=True)}</span>" in text
