"""The finding codes plugins declare (``trustcenter_finding_codes``), through the product on
SQLite and PostgreSQL: staff read each plugin's codes, with severity and description, over
GraphQL and on the console's plugins page; a plugin that declares codes and returns a finding
with another code or another severity is refused as PLUGIN_FAILED naming it, and nothing is
stored.
"""

from __future__ import annotations

from typing import Any

import pytest
import trustcenter_eu.plugin
import trustcenter_us.plugin

from tests.api.console_admin_support import signed_in, text_of
from tests.api.test_hostile_inputs_policy import counts
from tests.helpers import SUBMIT, Actor, World, submission
from trustcenter.bootstrap import Container
from trustcenter.plugins import Finding as PluginFinding
from trustcenter.plugins import FindingCodeSpec, RequestView, Severity, hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load

PLUGINS = "{ plugins { name findingCodes { code severity description } } }"
PLUGIN = "de-rules"
SEALED = FindingCodeSpec("DE_SEALED", Severity.BLOCK, "The records asked for are sealed.")
FINDINGS = "query($id: ID!) { request(id: $id) { findings { plugin severity code } } }"


def use(container: Container, *plugins: tuple[str, Any]) -> None:
    container.plugins = PluginHost(*load("", extra=list(plugins)))


class GermanRules:
    """Claims Germany, declares DE_SEALED (block) and answers every request with ``found``."""

    def __init__(self, found: list[PluginFinding]) -> None:
        self.found = found

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["DE"]

    @hookimpl
    def trustcenter_finding_codes(self) -> list[FindingCodeSpec]:
        return [SEALED]

    @hookimpl
    def trustcenter_review_findings(self, request: RequestView) -> list[PluginFinding]:
        return self.found


def finding(code: str, severity: Severity) -> PluginFinding:
    return PluginFinding(severity, code, "a rule's message", "Some Act, s. 1")


# --- staff read the codes -----------------------------------------------------------------------


async def test_staff_read_the_codes_each_plugin_declares(
    container: Container, world: World, agency: Actor, reviewer: Actor
) -> None:
    use(container, ("eu", trustcenter_eu.plugin), ("us", trustcenter_us.plugin))
    plugins = {p["name"]: p["findingCodes"] for p in (await reviewer.data(PLUGINS))["plugins"]}

    eu = {c["code"]: c for c in plugins["eu"]}
    assert list(eu) == [
        "EU_JUDGE_REQUIRED",
        "EU_EMERGENCY_VALIDATION_DUE",
        "EU_ISSUER_NOT_COMPETENT",
        "EU_NOT_AN_EPOC",
    ]
    assert eu["EU_JUDGE_REQUIRED"]["severity"] == "BLOCK"
    assert "Art. 4(2)" in eu["EU_JUDGE_REQUIRED"]["description"]
    assert eu["EU_EMERGENCY_VALIDATION_DUE"]["severity"] == "WARNING"
    assert eu["EU_NOT_AN_EPOC"]["severity"] == "INFO"

    us = {c["code"]: c["severity"] for c in plugins["us"]}
    assert us == {
        "US_SUBPOENA_BEYOND_SUBSCRIBER_INFO": "BLOCK",
        "US_SUBPOENA_LOGIN_IPS_ONLY": "WARNING",
        "US_CONTENT_NEEDS_WARRANT": "BLOCK",
        "US_EXECUTIVE_AGREEMENT": "INFO",
        "US_EMERGENCY_NOT_DECLARED": "BLOCK",
        "US_EMERGENCY_VOLUNTARY": "INFO",
        "US_NOT_COMPULSORY_PROCESS": "BLOCK",
        "US_2705B_ORDER": "INFO",
    }

    defaults = {c["code"]: c["severity"] for c in plugins["trustcenter.jurisdiction"]}
    assert defaults == {
        "LEGAL_BASIS_EXPIRED": "BLOCK",
        "EMERGENCY_FORMAL_PROCESS_DUE": "WARNING",
        "EMERGENCY_WITHOUT_DECLARATION": "INFO",
    }
    assert plugins["trustcenter.reasons"] == []  # it returns no findings, so declares none
    assert all(c["description"].strip() for codes in plugins.values() for c in codes)

    # an agency reads no plugins, codes included
    r = await agency.gql(PLUGINS)
    assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_the_plugins_page_lists_each_plugins_codes(container: Container) -> None:
    use(container, ("eu", trustcenter_eu.plugin))
    async with signed_in(container, "reviewer") as b:
        page = await b.http.get("/console/plugins")
    assert page.status_code == 200, page.text
    row = page.text.split('data-plugin="eu"', 1)[1].split("</tr>", 1)[0]
    assert "4 declared" in row
    table = page.text.split('data-finding-codes="eu"', 1)[1].split("</table>", 1)[0]
    assert "<caption>Finding codes of eu</caption>" in table
    assert '<th scope="col">Code</th><th scope="col">Severity</th>' in table
    code = table.split('data-finding-code="EU_JUDGE_REQUIRED"', 1)[1].split("</tr>", 1)[0]
    assert "BLOCK" in code and "without validation by a judge or court" in code
    shown = text_of(page)
    assert "Finding codes of trustcenter.jurisdiction (built in)" in shown
    assert "LEGAL_BASIS_EXPIRED BLOCK The legal basis had expired" in shown
    assert 'data-finding-codes="trustcenter.reasons"' not in page.text


# --- a declaring plugin returns only its codes ----------------------------------------------------


@pytest.mark.parametrize(
    ("found", "says"),
    [
        (
            [finding("DE_UNHEARD_OF", Severity.BLOCK)],
            "code DE_UNHEARD_OF is not one the plugin declares in trustcenter_finding_codes "
            "(DE_SEALED)",
        ),
        (
            [finding("DE_SEALED", Severity.INFO)],
            "code DE_SEALED is declared with severity block, not info",
        ),
    ],
    ids=["undeclared-code", "other-severity"],
)
async def test_an_undeclared_code_or_another_severity_refuses_the_submission(
    world: World, container: Container, agency: Actor, found: list[PluginFinding], says: str
) -> None:
    use(container, (PLUGIN, GermanRules(found)))
    before = await counts(container)
    r = await agency.gql(SUBMIT, {"input": submission()})
    assert r.status_code == 200
    body = r.json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "PLUGIN_FAILED", error
    assert error["extensions"]["plugin"] == PLUGIN
    assert f"plugin '{PLUGIN}' failed in trustcenter_review_findings" in error["message"]
    assert says in error["message"], error["message"]
    assert "nothing was changed" in error["message"]
    assert body["data"]["submitRequest"] is None
    assert await counts(container) == before


async def test_a_declared_code_with_its_severity_is_stored(
    world: World, container: Container, agency: Actor, reviewer: Actor
) -> None:
    use(container, (PLUGIN, GermanRules([finding("DE_SEALED", Severity.BLOCK)])))
    request = await agency.submit()
    seen = await reviewer.data(FINDINGS, {"id": request["id"]})
    assert seen["request"]["findings"] == [
        {"plugin": PLUGIN, "severity": "BLOCK", "code": "DE_SEALED"}
    ]
