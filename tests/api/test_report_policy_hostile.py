"""Callers who try to bend the report's floors, on SQLite and PostgreSQL: a plugin excluding a
country with a blank reason or with nonsense, a configuration that is not what it should be,
publishing one second before the year has ended — each a clear refusal, never a server error
and never a report built or published in spite of it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner

from tests.api.test_categories import Preservation
from tests.api.test_report_graphql import (
    BUILD,
    CN,
    PUBLISH,
    STATEMENT,
    TEXT,
    YEAR,
    anonymous,
    plugins,
    released_request,
)
from tests.helpers import SUBMIT, submission
from trustcenter.cli import main
from trustcenter.config import Settings
from trustcenter.plugins import Exclusion

DRAFT = "query { transparencyReportDraft(year: 2026) { version } }"


async def build(world: Any) -> tuple[Any, dict[str, Any]]:
    staff = await world.staff_actor(["reports"])
    r = await staff.gql(BUILD, {"y": YEAR})
    assert r.status_code == 200, r.text
    return staff, r.json()


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"], ids=["empty", "spaces", "blank"])
async def test_a_plugin_excluding_with_a_blank_reason_stops_the_build(world, container, reason):
    await released_request(world)
    plugins(container, Exclusion("US", reason))
    staff, answer = await build(world)
    payload = answer["data"]["buildTransparencyReport"]
    assert payload["report"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["EXCLUSION_WITHOUT_REASON"]
    assert payload["userErrors"][0]["message"].startswith("plugin 'acme' excludes US without")
    assert (await staff.data(DRAFT))["transparencyReportDraft"] is None


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        ([Exclusion("US", None)], "the reason is NoneType"),  # type: ignore[arg-type]
        ([Exclusion(42, "x")], "the country is int"),  # type: ignore[arg-type]
        ("US", "not a list of Exclusion"),
        ([{"country": "US"}], "not an Exclusion"),
    ],
    ids=["reason-none", "country-int", "a-string", "a-dict"],
)
async def test_a_plugin_answering_nonsense_is_named_and_nothing_is_built(
    world, container, answer, says
):
    await released_request(world)
    container.plugins = plugins_answering(answer)
    staff, body = await build(world)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "PLUGIN_FAILED"
    assert "acme" in error["message"] and says in error["message"]
    assert (await staff.data(DRAFT))["transparencyReportDraft"] is None


def plugins_answering(answer: Any, *more: Any) -> Any:
    from trustcenter.plugins import hookimpl
    from trustcenter.plugins.host import PluginHost
    from trustcenter.plugins.manager import load

    class Answers:
        @hookimpl
        def trustcenter_report_exclusions(self) -> Any:
            return answer

    extra = [("acme", Answers()), *((f"more{i}", p) for i, p in enumerate(more))]
    return PluginHost(*load("", extra=extra))


@pytest.mark.parametrize(
    ("configured", "says"),
    [
        ("XX", "excludes XX without a reason"),
        (":no lawful channel", "'' is not a two-letter country code"),
        ("CN,KP", "'CN,KP' is not a two-letter country code"),
        ("KP:", "excludes KP without a reason"),
        ("KP:ok;DEU:three letters", "'DEU' is not a two-letter country code"),
    ],
)
async def test_a_configuration_that_bends_the_rules_stops_the_build(
    world, container, configured, says
):
    await released_request(world)
    plugins(container)
    container.settings = replace(container.settings, report_exclusions=configured)
    staff, answer = await build(world)
    payload = answer["data"]["buildTransparencyReport"]
    assert payload["report"] is None
    messages = [e["message"] for e in payload["userErrors"]]
    assert any(says in m for m in messages), messages
    assert all("TRUSTCENTER_REPORT_EXCLUSIONS" in m for m in messages)
    assert (await staff.data(DRAFT))["transparencyReportDraft"] is None


async def test_cn_without_a_reason_in_the_configuration_is_the_policys_own(world, container):
    await released_request(world)
    plugins(container)
    container.settings = replace(container.settings, report_exclusions="CN:;cn")
    _, answer = await build(world)
    report = answer["data"]["buildTransparencyReport"]["report"]
    assert report["excluded"] == [CN]  # printed with the policy's reason, never bare


@pytest.mark.parametrize("configured", ["XX", ":reason", "CN,KP"])
def test_a_configuration_that_bends_the_rules_stops_start_up(configured):
    with pytest.raises(SystemExit) as stopped:
        Settings.from_env({"TRUSTCENTER_REPORT_EXCLUSIONS": configured})
    assert "TRUSTCENTER_REPORT_EXCLUSIONS" in str(stopped.value.code)
    ok = Settings.from_env({"TRUSTCENTER_REPORT_EXCLUSIONS": "KP:no lawful channel;CN:"})
    assert ok.report_exclusions == "KP:no lawful channel;CN:"


async def test_the_command_line_says_what_is_wrong_with_the_configuration(container):
    env = {
        "TRUSTCENTER_DATABASE_URL": container.settings.database_url,
        "TRUSTCENTER_DATABASE_SCHEMA": container.settings.database_schema,
        "TRUSTCENTER_PLUGINS": "",
        "TRUSTCENTER_REPORT_EXCLUSIONS": "FR",
    }
    result = await asyncio.to_thread(
        CliRunner().invoke, main, ["report", "build", "--year", str(YEAR)], env=env
    )
    assert result.exit_code != 0
    assert "excludes FR without a reason" in result.output
    assert "Traceback" not in result.output


# --- publishing at the turn of the year -----------------------------------------------------------


async def test_a_year_is_published_from_its_last_second_plus_one(world, clock):
    """2026-12-31T23:59:59Z: not yet; 2027-01-01T00:00:00Z: the year has ended."""
    await released_request(world)
    end = datetime(YEAR + 1, 1, 1, tzinfo=UTC)
    clock.set(end - timedelta(seconds=1))
    admin = await world.staff_actor(["reports", "admin"])
    assert (await admin.data(STATEMENT, {"t": TEXT}))["confirmTransparencyStatement"][
        "userErrors"
    ] == []
    assert (await admin.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["userErrors"] == []
    early = (await admin.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert early["report"] is None
    assert [e["code"] for e in early["userErrors"]] == ["YEAR_NOT_ENDED", "STATEMENT_NOT_CONFIRMED"]

    clock.set(end)
    await admin.fetch_token()
    # the statement confirmed a second before the year ended is not the year's statement
    still = (await admin.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert [e["code"] for e in still["userErrors"]] == ["STATEMENT_NOT_CONFIRMED"]
    assert (await admin.data(STATEMENT, {"t": TEXT}))["confirmTransparencyStatement"][
        "userErrors"
    ] == []
    assert (await admin.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["userErrors"] == []
    done = (await admin.data(PUBLISH, {"y": YEAR}))["publishTransparencyReport"]
    assert done["userErrors"] == []
    assert done["report"]["status"] == "PUBLISHED" and done["report"]["version"] == 1
    assert (await anonymous(world))["transparencyReport"]["statement"]["text"] == TEXT


# --- one spelling of a category ----------------------------------------------------------------


async def test_report_categories_are_the_codes_the_api_uses_everywhere(world, container):
    container.plugins = plugins_answering(None, Preservation())
    agency = await world.agency_actor("DE")
    payload = await agency.data(SUBMIT, {"input": submission(category="PRESERVATION")})
    assert payload["submitRequest"]["userErrors"] == []
    await agency.submit()  # an account request, classified by the product
    staff = await world.staff_actor(["reports", "review"])
    listed = await staff.data("{ categories { code } requests { edges { node { category } } } }")
    codes = {c["code"] for c in listed["categories"]}
    draft = (await staff.data(BUILD, {"y": YEAR}))["buildTransparencyReport"]["report"]
    in_report = [r["category"] for r in draft["rows"]]
    assert in_report == ["ACCOUNT", "PRESERVATION"]
    assert [c["category"] for c in draft["categoryTotals"]] == in_report
    assert set(in_report) <= codes
    assert (
        sorted(n["category"] for n in (e["node"] for e in listed["requests"]["edges"])) == in_report
    )
