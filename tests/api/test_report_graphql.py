"""The transparency report over GraphQL: staff build and publish, everyone reads what is
published, and a published version never changes. A year is published only after it has ended
and with the statement confirmed for it; "with data" means a record was disclosed; every
exclusion but CN carries its reason."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from tests.helpers import RELEASE, VALID_SUBMISSION, Actor, World, approve_all
from trustcenter.db.models import Account, AuditEvent, Request
from trustcenter.domain.report import METHOD_VERSION
from trustcenter.domain.report_policy import ALWAYS_EXCLUDED_REASON
from trustcenter.plugins import Exclusion, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

FIGURES = "requests challengedOrRejected withData withDataPct accountsSpecified productsSpecified"
REPORT = f"""year version status methodVersion figuresSha256 changelog excludedCountries
  excluded {{ country reason }}
  rows {{ country category {FIGURES} }} categoryTotals {{ category requests }}
  worldwide {{ {FIGURES} medianDaysToRespond }}
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
DISCLOSURE = """query($id: ID!) { request(id: $id) {
  disclosure { recordCount hasRecords summary } } }"""
YEAR = 2026
#: the first days of the next year: the year has ended (UTC)
NEW_YEAR = datetime(YEAR + 1, 1, 4, 9, 0, tzinfo=UTC)
TEXT = "We have never built a backdoor or a master key."
CN = {"country": "CN", "reason": ALWAYS_EXCLUDED_REASON}


async def anonymous(world: World, year: int = YEAR, version: int | None = None) -> dict:
    r = await world.http.post(
        "/graphql", json={"query": PUBLIC, "variables": {"y": year, "v": version}}
    )
    assert r.status_code == 200 and "errors" not in r.json(), r.text
    return r.json()["data"]


async def suspect_account(world: World) -> None:
    """The account the standard submission names (so a release discloses a record)."""
    async with world.container.db.transaction() as s:
        s.add(Account(username="suspect", email="suspect@example.com", region="DE",
                      registered_at=datetime(2024, 1, 1, tzinfo=UTC)))  # fmt: skip


async def submitted(world: World, reference: str = "AG-2026-113", country: str = "DE") -> str:
    agency = await world.agency_actor(country)
    basis = {**VALID_SUBMISSION["legalBasis"], "reference": reference}
    request = await agency.submit(legalBasis=basis, jurisdiction=country)
    return str(request["id"])


async def release(world: World, request_id: str) -> None:
    staff = await world.staff_actor(["review"])
    await approve_all(staff, request_id)
    done = await staff.data(RELEASE, {"i": {"requestId": request_id}})
    assert done["releaseDisclosure"]["userErrors"] == []


async def released_request(world: World, reference: str = "AG-2026-113") -> str:
    request_id = await submitted(world, reference)
    await release(world, request_id)
    return request_id


async def year_over(world: World, clock: Any) -> Actor:
    """The year ends and an admin confirms the statement for it; a reporter with a token now."""
    clock.set(NEW_YEAR)
    admin = await world.staff_actor(["admin"])
    confirmed = (await admin.data(STATEMENT, {"t": TEXT}))["confirmTransparencyStatement"]
    assert confirmed["userErrors"] == []
    return await world.staff_actor(["reports"])


async def test_staff_build_and_publish_and_everyone_reads_the_published(world, container, clock):
    await suspect_account(world)
    await released_request(world)
    staff = await world.staff_actor(["reports", "admin"])
    assert (await anonymous(world))["transparencyReport"] is None

    built = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]
    assert built["userErrors"] == []  # a draft at any time
    draft = built["report"]
    assert draft["status"] == "DRAFT" and draft["version"] == 1
    assert draft["methodVersion"] == METHOD_VERSION == "2026.2"
    assert draft["excludedCountries"] == ["CN"] and draft["excluded"] == [CN]
    assert draft["worldwide"]["requests"] == 1 and draft["worldwide"]["withData"] == 1
    assert draft["rows"] == [{"country": "DE", "category": "ACCOUNT", "requests": 1,
                              "challengedOrRejected": 0, "withData": 1, "withDataPct": 100.0,
                              "accountsSpecified": 1, "productsSpecified": 1}]  # fmt: skip
    assert draft["categoryTotals"] == [{"category": "ACCOUNT", "requests": 1}]
    public = await anonymous(world)
    assert public["transparencyReport"] is None and public["transparencyReportYears"] == []

    staff = await year_over(world, clock)
    rebuilt = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["report"]
    assert rebuilt["figuresSha256"] == draft["figuresSha256"]  # the same figures, and now …
    published = (await staff.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert published["userErrors"] == []  # … the statement confirmed for the year that ended
    assert published["report"]["status"] == "PUBLISHED"
    public = await anonymous(world)  # no token at all
    assert public["transparencyReportYears"] == [YEAR]
    assert public["transparencyReport"]["figuresSha256"] == draft["figuresSha256"]
    assert public["transparencyReport"]["rows"] == draft["rows"]
    async with container.db.reader() as s:
        actions = (await s.scalars(select(AuditEvent.action))).all()
    assert "report.built" in actions and "report.published" in actions


async def test_a_year_is_published_only_once_it_has_ended_and_its_statement_is_confirmed(
    world, clock
):
    await released_request(world)
    admin = await world.staff_actor(["reports", "admin"])
    await admin.data(STATEMENT, {"t": TEXT})  # confirmed during the year: not for the year
    assert (await admin.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["userErrors"] == []

    early = (await admin.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert early["report"] is None
    assert [(e["field"], e["code"]) for e in early["userErrors"]] == [
        ("year", "YEAR_NOT_ENDED"), ("statement", "STATEMENT_NOT_CONFIRMED"),
    ]  # fmt: skip
    assert "2027-01-01 00:00 UTC" in early["userErrors"][0]["message"]
    assert "confirm" in early["userErrors"][1]["message"]

    clock.set(datetime(YEAR + 1, 1, 1, tzinfo=UTC) - timedelta(microseconds=1))
    await admin.fetch_token()
    last_moment = (await admin.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert "YEAR_NOT_ENDED" in [e["code"] for e in last_moment["userErrors"]]

    clock.set(NEW_YEAR)
    await admin.fetch_token()
    ended = (await admin.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert [e["code"] for e in ended["userErrors"]] == ["STATEMENT_NOT_CONFIRMED"]

    await admin.data(STATEMENT, {"t": TEXT})  # now, for the year that ended …
    stale = (await admin.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert [e["code"] for e in stale["userErrors"]] == ["STATEMENT_NOT_CONFIRMED"]
    assert "build the report again" in stale["userErrors"][0]["message"]  # … not in the draft

    await admin.data(BUILD, {"y": YEAR})
    done = (await admin.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert done["userErrors"] == [] and done["report"]["statement"]["text"] == TEXT
    assert (await anonymous(world))["transparencyReport"]["version"] == 1


async def test_a_published_report_does_not_change_and_a_correction_is_a_new_version(
    world, container, clock
):
    await suspect_account(world)
    await released_request(world)
    late = await submitted(world, "AG-2026-200")  # received in 2026, answered only in 2027
    staff = await year_over(world, clock)
    await staff.data(BUILD, {"y": YEAR})
    first = (await staff.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]["report"]
    assert first["worldwide"]["withData"] == 1 and first["worldwide"]["requests"] == 2

    clock.advance(timedelta(days=1))
    await release(world, late)  # later data for the same year
    assert (await anonymous(world))["transparencyReport"] == first

    await staff.fetch_token()
    rebuilt = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["report"]
    assert rebuilt["worldwide"]["withData"] == 2 and rebuilt["version"] == 2
    refused = (await staff.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert refused["report"] is None
    assert refused["userErrors"][0]["field"] == "changelog"
    assert (await anonymous(world))["transparencyReport"] == first

    note = "Adds the answer to a request received on 30 November, given after version 1."
    second = (await staff.data(PUBLISH, {"y": YEAR, "c": note}))["publishTransparencyReport"]
    assert second["userErrors"] == [] and second["report"]["changelog"] == note
    assert (await anonymous(world))["transparencyReport"]["version"] == 2
    assert (await anonymous(world, version=1))["transparencyReport"] == first

    again = (await staff.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert again["userErrors"][0]["code"] == "NOT_FOUND"  # nothing left to publish


async def test_the_statement_is_confirmed_by_an_admin_and_dated_in_the_report(world, clock):
    admin = await world.staff_actor(["admin"])
    reporter = await world.staff_actor(["reports"])
    refused = await reporter.gql(STATEMENT, {"t": TEXT})
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    blank = (await admin.data(STATEMENT, {"t": "  "}))["confirmTransparencyStatement"]
    assert blank["userErrors"][0]["field"] == "text"
    confirmed = (await admin.data(STATEMENT, {"t": TEXT}))["confirmTransparencyStatement"]
    assert confirmed["statement"]["text"] == TEXT
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
    await suspect_account(world)
    await released_request(world)
    async with container.db.reader() as s:
        row = (await s.scalars(select(Request))).one()
    assert row.report_outcome == "with_data" and row.responded_at is not None


# --- "with data" means data --------------------------------------------------------------------


async def test_an_empty_release_is_an_answer_with_no_responsive_records_not_data(
    world, container, clock
):
    """Approved items for identifiers the company does not hold: the package holds nothing.
    The agency reads "no responsive records"; the report counts an answer, not data."""
    agency = await world.agency_actor("DE")
    request = await agency.submit()
    staff = await world.staff_actor(["review", "reports"])
    await approve_all(staff, request["id"])
    clock.advance(timedelta(days=2))
    await staff.fetch_token()
    await agency.fetch_token()
    done = await staff.data(RELEASE, {"i": {"requestId": request["id"]}})
    assert done["releaseDisclosure"]["userErrors"] == []

    seen = (await agency.data(DISCLOSURE, {"id": request["id"]}))["request"]["disclosure"]
    assert seen == {
        "recordCount": 0,
        "hasRecords": False,
        "summary": "No responsive records: the request was answered, nothing was disclosed.",
    }
    draft = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["report"]
    worldwide = draft["worldwide"]
    assert (worldwide["requests"], worldwide["withData"], worldwide["withDataPct"]) == (1, 0, 0.0)
    assert worldwide["challengedOrRejected"] == 0
    assert worldwide["medianDaysToRespond"] == 2.0  # answered two days after receipt
    async with container.db.reader() as s:
        row = (await s.scalars(select(Request))).one()
    assert (row.report_outcome, row.status) == ("no_data", "disclosed")


async def test_a_release_with_a_record_counts_with_data_and_the_agency_reads_its_count(world):
    await suspect_account(world)
    await released_request(world)
    staff = await world.staff_actor(["reports"])
    draft = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["report"]
    assert draft["worldwide"]["withData"] == 1


# --- exclusions carry their reasons --------------------------------------------------------------


class Excludes:
    def __init__(self, *answer: Any) -> None:
        self.answer = list(answer)

    @hookimpl
    def trustcenter_report_exclusions(self) -> list[Any]:
        return self.answer


def plugins(container: Any, *answer: Any) -> None:
    container.plugins = PluginHost(*load("", extra=[("acme", Excludes(*answer))]))


async def test_cn_is_excluded_even_when_no_plugin_and_no_configuration_excludes_anything(
    world, container
):
    plugins(container)  # a host whose plugins exclude nothing
    assert container.settings.report_exclusions == ""
    await released_request(world)
    cn = await submitted(world, "BJ-2026-1", country="CN")
    await release(world, cn)
    staff = await world.staff_actor(["reports"])
    draft = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["report"]
    assert draft["excluded"] == [CN]
    assert [r["country"] for r in draft["rows"]] == ["DE"]
    assert draft["worldwide"]["requests"] == 1


async def test_every_further_exclusion_is_printed_with_its_reason(world, container):
    container.settings = replace(
        container.settings, report_exclusions="kp: no lawful channel exists ; ;"
    )
    plugins(container, Exclusion("RU", "Requests cannot be verified as lawful."))
    await released_request(world)
    staff = await world.staff_actor(["reports"])
    draft = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["report"]
    assert draft["excluded"] == [
        CN,
        {"country": "KP", "reason": "no lawful channel exists"},
        {"country": "RU", "reason": "Requests cannot be verified as lawful."},
    ]
    assert draft["excludedCountries"] == ["CN", "KP", "RU"]


async def test_an_exclusion_without_a_reason_stops_the_build_naming_where_it_came_from(
    world, container
):
    await released_request(world)
    staff = await world.staff_actor(["reports"])
    plugins(container, "US")  # a bare code: the old contract, no reason
    refused = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]
    assert refused["report"] is None
    [error] = refused["userErrors"]
    assert error["code"] == "EXCLUSION_WITHOUT_REASON"
    assert error["message"].startswith("plugin 'acme' excludes US without a reason")

    plugins(container)
    container.settings = replace(container.settings, report_exclusions="FR")
    refused = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]
    assert refused["userErrors"][0]["code"] == "EXCLUSION_WITHOUT_REASON"
    assert "TRUSTCENTER_REPORT_EXCLUSIONS" in refused["userErrors"][0]["message"]
    assert "FR" in refused["userErrors"][0]["message"]
    draft = await staff.data("query { transparencyReportDraft(year: 2026) { version } }")
    assert draft["transparencyReportDraft"] is None  # nothing was built
