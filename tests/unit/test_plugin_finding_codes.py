"""Finding codes a plugin declares (``trustcenter_finding_codes``): collected at start-up, nonsense
stops start-up naming the plugin, and a plugin that declares codes may return only findings with
those codes and their declared severities — anything else is its failure. A plugin that declares
none keeps returning any well-formed code.

No database here: plugins are registered directly (``load("", extra=[...])``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from itertools import product
from typing import Any

import pytest

from trustcenter.plugins import Finding, FindingCodeSpec, RequestView, Severity, hookimpl
from trustcenter.plugins.builtin import jurisdiction as defaults
from trustcenter.plugins.host import PluginFailure, PluginHost
from trustcenter.plugins.manager import PluginLoadError, load
from trustcenter.plugins.testing import conformance_problems, make_request

HOOK = "trustcenter_review_findings"
SEALED = FindingCodeSpec("NL_SEALED", Severity.BLOCK, "The records asked for are sealed.")
LATE = FindingCodeSpec("NL_LATE", Severity.WARNING, "The order arrived after its deadline.")


def host_with(*plugins: tuple[str, Any]) -> PluginHost:
    return PluginHost(*load("", extra=list(plugins)))


class Rules:
    """Claims the Netherlands, declares ``declared`` (None: does not implement the hook) and
    answers every request with ``found``."""

    def __init__(self, declared: Any, found: list[Any], claims: str = "NL") -> None:
        self.declared, self.found, self.claims = declared, found, claims

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return [self.claims]

    @hookimpl
    def trustcenter_finding_codes(self) -> Any:
        return self.declared

    @hookimpl
    def trustcenter_review_findings(self, request: RequestView) -> list[Any]:
        return self.found


class Undeclaring:
    """Claims the Netherlands and declares no finding codes at all."""

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["NL"]

    @hookimpl
    def trustcenter_review_findings(self, request: RequestView) -> list[Finding]:
        return [Finding(Severity.INFO, "anything goes", "a message", "Some Act")]


def finding(code: str, severity: Severity | str, message: str = "m") -> Finding:
    return Finding(severity, code, message, "Some Act, s. 1")  # type: ignore[arg-type]


# --- start-up -------------------------------------------------------------------------------


def test_the_declared_codes_are_collected_per_plugin_and_described():
    host = host_with(("nl", Rules([SEALED, LATE], [])))
    assert host.finding_codes["nl"] == {"NL_SEALED": SEALED, "NL_LATE": LATE}
    described = {p.name: p for p in host.describe()}
    assert described["nl"].finding_codes == (SEALED, LATE)  # in the plugin's order
    assert [f.code for f in described["trustcenter.jurisdiction"].finding_codes] == [
        "LEGAL_BASIS_EXPIRED",
        "EMERGENCY_FORMAL_PROCESS_DUE",
        "EMERGENCY_WITHOUT_DECLARATION",
    ]
    assert described["trustcenter.reasons"].finding_codes == ()


def test_a_severity_given_as_text_is_kept_as_a_severity():
    host = host_with(("nl", Rules([FindingCodeSpec("NL_SEALED", "block", "Sealed.")], [])))  # type: ignore[arg-type]
    assert host.finding_codes["nl"]["NL_SEALED"].severity is Severity.BLOCK


@pytest.mark.parametrize(
    ("declared", "says"),
    [
        ("NL_SEALED", "not a list of FindingCodeSpec"),
        ({"NL_SEALED": "block"}, "not a list of FindingCodeSpec"),
        (["NL_SEALED"], "not str 'NL_SEALED'"),
        (
            [("NL_SEALED", Severity.BLOCK, "Sealed.")],
            "FindingCodeSpec(code, severity, description)",
        ),
        ([FindingCodeSpec("nl_sealed", Severity.BLOCK, "Sealed.")], "'nl_sealed' is not an upper"),
        ([FindingCodeSpec("NL SEALED", Severity.BLOCK, "Sealed.")], "is not an upper-case code"),
        ([FindingCodeSpec("N" * 65, Severity.BLOCK, "Long.")], "at most 64 characters"),
        ([FindingCodeSpec(None, Severity.BLOCK, "No code.")], "None is not an upper"),  # type: ignore[arg-type]
        ([FindingCodeSpec("NL_SEALED", "fatal", "Sealed.")], "severity 'fatal' is not one of"),  # type: ignore[arg-type]
        ([FindingCodeSpec("NL_SEALED", Severity.BLOCK, "  ")], "NL_SEALED has no description"),
        ([FindingCodeSpec("NL_SEALED", Severity.BLOCK, None)], "NL_SEALED has no description"),  # type: ignore[arg-type]
        ([SEALED, LATE, replace(SEALED, severity=Severity.INFO)], "NL_SEALED is declared twice"),
    ],
)
def test_nonsense_declarations_stop_start_up_naming_the_plugin(declared: Any, says: str):
    with pytest.raises(PluginLoadError) as caught:
        host_with(("nl-rules", Rules(declared, [])))
    message = str(caught.value)
    assert message.startswith("plugin 'nl-rules': "), message
    assert says in message, message
    # the author's conformance check says the same before the plugin is ever loaded
    assert any(says in p for p in conformance_problems(Rules(declared, [])))


def test_two_plugins_may_declare_the_same_code():
    shared = FindingCodeSpec("JUDGE_REQUIRED", Severity.BLOCK, "A judge must order it.")
    host = host_with(
        ("nl", Rules([shared], [], claims="NL")),
        ("be", Rules([replace(shared, severity=Severity.WARNING)], [], claims="BE")),
    )
    assert host.finding_codes["nl"]["JUDGE_REQUIRED"].severity is Severity.BLOCK
    assert host.finding_codes["be"]["JUDGE_REQUIRED"].severity is Severity.WARNING


def test_an_async_declaration_stops_start_up_naming_the_plugin():
    class AsyncCodes:
        @hookimpl
        async def trustcenter_finding_codes(self) -> list[FindingCodeSpec]:
            return [SEALED]

    with pytest.raises(PluginLoadError, match="'async-codes': trustcenter_finding_codes"):
        host_with(("async-codes", AsyncCodes()))


# --- the findings a declaring plugin may return -------------------------------------------------


async def test_findings_with_declared_codes_and_severities_are_accepted():
    host = host_with(("nl", Rules([SEALED, LATE], [finding("NL_LATE", "warning")])))
    found = await host.findings(make_request("NL"))
    assert [(plugin, f.code, f.severity) for plugin, f in found] == [
        ("nl", "NL_LATE", Severity.WARNING)
    ]


@pytest.mark.parametrize(
    ("found", "says"),
    [
        (
            [finding("NL_UNHEARD_OF", Severity.BLOCK)],
            "finding 0: code NL_UNHEARD_OF is not one the plugin declares in "
            "trustcenter_finding_codes (NL_SEALED, NL_LATE)",
        ),
        (
            [finding("NL_LATE", Severity.WARNING), finding("nl_sealed", Severity.BLOCK)],
            "finding 1: code nl_sealed is not one the plugin declares",
        ),
        (
            [finding("NL_SEALED", Severity.INFO)],
            "finding 0: code NL_SEALED is declared with severity block, not info",
        ),
        (
            [finding("NL_LATE", "block")],
            "finding 0: code NL_LATE is declared with severity warning, not block",
        ),
    ],
)
async def test_an_undeclared_code_or_another_severity_is_the_plugins_failure(
    found: list[Finding], says: str
):
    host = host_with(("nl", Rules([SEALED, LATE], found)))
    with pytest.raises(PluginFailure) as caught:
        await host.findings(make_request("NL"))
    assert (caught.value.plugin, caught.value.hook) == ("nl", HOOK)
    assert says in str(caught.value), str(caught.value)
    # another jurisdiction never reaches the plugin's findings
    assert await host.findings(make_request("FR")) == []


@pytest.mark.parametrize("declared", [None, []])
async def test_a_plugin_declaring_none_returns_any_well_formed_code(declared: Any):
    host = host_with(("nl", Rules(declared, [finding("any code at all", Severity.BLOCK)])))
    assert "nl" not in host.finding_codes
    assert {p.name: p for p in host.describe()}["nl"].finding_codes == ()
    [(plugin, f)] = await host.findings(make_request("NL"))
    assert (plugin, f.code) == ("nl", "any code at all")
    undeclaring = host_with(("nl", Undeclaring()))
    [(_, f)] = await undeclaring.findings(make_request("NL"))
    assert f.code == "anything goes"


async def test_the_defaults_answering_for_a_plugin_are_checked_against_their_own_codes():
    """A plugin claiming a jurisdiction without a findings rule leaves the findings to the
    built-in defaults, whose own declared codes apply — not the claiming plugin's."""

    class ClaimsOnly:
        @hookimpl
        def trustcenter_jurisdictions(self) -> list[str]:
            return ["NL"]

        @hookimpl
        def trustcenter_finding_codes(self) -> list[FindingCodeSpec]:
            return [SEALED]

    host = host_with(("nl", ClaimsOnly()))
    expired = make_request("NL")
    expired = replace(
        expired, legal_basis=replace(expired.legal_basis, expires_at=date(2026, 1, 1))
    )
    found = await host.findings(expired)
    assert [(plugin, f.code) for plugin, f in found] == [
        ("trustcenter.jurisdiction", "LEGAL_BASIS_EXPIRED")
    ]


# --- the built-in defaults declare what they return ---------------------------------------------


def test_the_built_in_rules_declare_exactly_the_codes_they_return():
    declared = {(s.code, s.severity) for s in defaults.trustcenter_finding_codes()}
    given: set[tuple[str, Severity]] = set()
    # the expiry dates fall before and after the request's receipt
    assert make_request("CA").received_at == datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    for kind, emergency, expires in product(
        ("court_order", "warrant", "emergency_declaration", "subpoena"),
        (False, True),
        (None, date(2026, 1, 1), date(2027, 1, 1)),
    ):
        asked = make_request("CA", kind=kind, emergency=emergency)
        asked = replace(asked, legal_basis=replace(asked.legal_basis, expires_at=expires))
        given |= {(f.code, f.severity) for f in defaults.trustcenter_review_findings(asked)}
    assert given == declared
    assert len(declared) == 3
