"""The transparency report over GraphQL: staff build and publish, everyone reads what is
published, and a published version never changes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.helpers import RELEASE, VALID_SUBMISSION, World, approve_all
from trustcenter.db.models import AuditEvent, Request

FIGURES = "requests challengedOrRejected withData withDataPct accountsSpecified productsSpecified"
REPORT = f"""year version status methodVersion figuresSha256 changelog excludedCountries
  rows {{ country category {FIGURES} }} worldwide {{ {FIGURES} medianDaysToRespond }}
  statement {{ text confirmedAt }}"""
BUILD = f"""mutation($y: Int!) {{ buildTransparencyReport(input: {{year: $y}}) {{
  report {{ {REPORT} }} userErrors {{ field code message }} }} }}"""
PUBLISH = f"""mutation($y: Int!, $c: String) {{
  publishTransparencyReport(input: {{year: $y, changelog: $c}}) {{
  report {{ {REPORT} }} userErrors {{ field code message }} }} }}"""
PUBLIC = f"""query($y: Int!, $v: Int) {{ transparencyReportYears
  transparencyReport(year: $y, version: $v) {{ {REPORT} }} }}"""
STATEMENT = """mutation($t: String!) { confirmTransparencyStatement(input: {text: $t}) {
  statement { text confirmedAt } userErrors { field code } } }"""
YEAR = 2026


async def anonymous(world: World, year: int = YEAR, version: int | None = None) -> dict:
    r = await world.http.post(
        "/graphql", json={"query": PUBLIC, "variables": {"y": year, "v": version}}
    )
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    return r.json()["data"]


async def released_request(world: World, reference: str = "AG-2026-113") -> None:
    agency = await world.agency_actor("DE")
    basis = {**VALID_SUBMISSION["legalBasis"], "reference": reference}
    request = await agency.submit(legalBasis=basis)
    staff = await world.staff_actor()
    await approve_all(staff, request["id"])
    done = await staff.data(RELEASE, {"i": {"requestId": request["id"]}})
    assert done["releaseDisclosure"]["userErrors"] == []


async def test_staff_build_and_publish_and_everyone_reads_the_published(world, container):
    await released_request(world)
    staff = await world.staff_actor(["reports", "admin"])
    assert (await anonymous(world))["transparencyReport"] is None

    built = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]
    assert built["userErrors"] == []
    draft = built["report"]
    assert draft["status"] == "DRAFT" and draft["version"] == 1
    assert draft["excludedCountries"] == ["CN"]
    assert draft["worldwide"]["requests"] == 1 and draft["worldwide"]["withData"] == 1
    assert draft["rows"] == [{"country": "DE", "category": "account", "requests": 1,
                              "challengedOrRejected": 0, "withData": 1, "withDataPct": 100.0,
                              "accountsSpecified": 1, "productsSpecified": 1}]  # fmt: skip
    public = await anonymous(world)
    assert public["transparencyReport"] is None and public["transparencyReportYears"] == []

    published = (await staff.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert published["userErrors"] == []
    assert published["report"]["status"] == "PUBLISHED"
    public = await anonymous(world)  # no token at all
    assert public["transparencyReportYears"] == [YEAR]
    assert public["transparencyReport"]["figuresSha256"] == draft["figuresSha256"]
    assert public["transparencyReport"]["rows"] == draft["rows"]
    async with container.db.reader() as s:
        actions = (await s.scalars(select(AuditEvent.action))).all()
    assert "report.built" in actions and "report.published" in actions


async def test_a_published_report_does_not_change_and_a_correction_is_a_new_version(
    world, container, clock
):
    await released_request(world)
    staff = await world.staff_actor(["reports"])
    await staff.data(BUILD, {"y": YEAR})
    first = (await staff.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]["report"]

    clock.advance(timedelta(days=1))  # later data for the same year arrives
    await released_request(world, "AG-2026-200")  # another warrant: another request
    assert (await anonymous(world))["transparencyReport"] == first

    await staff.fetch_token()
    rebuilt = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["report"]
    assert rebuilt["worldwide"]["requests"] == 2 and rebuilt["version"] == 2
    refused = (await staff.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert refused["report"] is None
    assert refused["userErrors"][0]["field"] == "changelog"
    assert (await anonymous(world))["transparencyReport"] == first

    note = "Adds a request received on 1 December that arrived after version 1."
    second = (await staff.data(PUBLISH, {"y": YEAR, "c": note}))["publishTransparencyReport"]
    assert second["userErrors"] == [] and second["report"]["changelog"] == note
    assert (await anonymous(world))["transparencyReport"]["version"] == 2
    assert (await anonymous(world, version=1))["transparencyReport"] == first

    again = (await staff.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert again["userErrors"][0]["code"] == "NOT_FOUND"  # nothing left to publish


async def test_the_statement_is_confirmed_by_an_admin_and_dated_in_the_report(world, clock):
    admin = await world.staff_actor(["admin"])
    reporter = await world.staff_actor(["reports"])
    text = "We have never built a backdoor or a master key."
    refused = await reporter.gql(STATEMENT, {"t": text})
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    blank = (await admin.data(STATEMENT, {"t": "  "}))["confirmTransparencyStatement"]
    assert blank["userErrors"][0]["field"] == "text"
    confirmed = (await admin.data(STATEMENT, {"t": text}))["confirmTransparencyStatement"]
    assert confirmed["statement"]["text"] == text
    report = (await reporter.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["report"]
    assert report["statement"] == confirmed["statement"]


async def test_only_the_reports_scope_builds_or_publishes(world):
    agency = await world.agency_actor("DE")
    reviewer = await world.staff_actor(["review"])
    for actor in (agency, reviewer):
        for query in (BUILD, PUBLISH):
            r = await actor.gql(query, {"y": YEAR})
            assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    staff = await world.staff_actor(["reports"])
    future = (await staff.data(BUILD, {"y": YEAR + 1}))["buildTransparencyReport"]
    assert future["userErrors"][0]["field"] == "year"


async def test_the_request_records_what_it_counts_as(world, container):
    await released_request(world)
    async with container.db.reader() as s:
        row = (await s.scalars(select(Request))).one()
    assert row.report_outcome == "with_data" and row.responded_at is not None
