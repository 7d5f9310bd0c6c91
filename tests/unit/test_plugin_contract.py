"""The plugin contract (SPEC section 7): every hook documented, explicit loading that fails
loudly, and a host that routes each jurisdiction to one plugin, awaits async answers and names
the plugin that failed.

No database here: plugins are registered directly (``load("", extra=[...])``), never
auto-loaded from the environment.
"""

from __future__ import annotations

import inspect
import re
import types
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import trustcenter_eu.plugin

from trustcenter.plugins import (
    CategorySpec,
    Exclusion,
    Finding,
    ItemView,
    LegalBasisView,
    Problem,
    RequestView,
    Severity,
    hookimpl,
    hookspecs,
)
from trustcenter.plugins.host import PluginFailure, PluginHost
from trustcenter.plugins.manager import PluginLoadError, load

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
BUILTINS = [
    "trustcenter.jurisdiction",
    "trustcenter.categories",
    "trustcenter.datasource",
    "trustcenter.outbox",
    "trustcenter.reasons",
]
DEFAULTS = "trustcenter.jurisdiction"
RECEIVED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def request(
    jurisdiction: str = "DE",
    *,
    emergency: bool = False,
    expires_at: date | None = None,
    types_: str = "A",
    category: str | None = None,
) -> RequestView:
    return RequestView(
        id=None,
        jurisdiction=jurisdiction,
        category=category,
        emergency=emergency,
        received_at=RECEIVED,
        agency_kind="law_enforcement",
        agency_country=jurisdiction[:2],
        legal_basis=LegalBasisView(
            "warrant", "AG-1", "Amtsgericht", "judge", date(2026, 11, 1), expires_at, None
        ),
        items=tuple(ItemView("email", "a@example.com", t, None, None) for t in types_),
    )


def host_with(*plugins: tuple[str, Any]) -> PluginHost:
    return PluginHost(*load("", extra=list(plugins)))


# --- (a) every hook documented ----------------------------------------------------------------
#
# ``contract_hooks()`` reads the hook names from the contract module itself and
# ``documented_hooks()`` reads the ``### trustcenter_<name>`` headings from docs/plugins.md.
# Adding a hook to hookspecs.py without a section makes the first set larger than the second,
# so ``test_every_hook_is_documented`` fails naming the new hook; renaming or removing a hook
# while its section stays makes ``test_the_guide_documents_no_hook_that_does_not_exist`` fail.
# Neither list is written down in this test, so neither can go stale with the contract.


def contract_hooks() -> dict[str, Any]:
    return {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("trustcenter_")
    }


def documented_hooks() -> list[str]:
    return re.findall(r"^### (trustcenter_\w+)[ \t]*$", DOCS.read_text(), re.MULTILINE)


def doc_section(name: str) -> str:
    """The text under ``### name`` up to the next heading of level 2 or 3."""
    text = DOCS.read_text()
    start = text.index(f"\n### {name}\n") + len(name) + 6
    end = re.compile(r"^###? ", re.MULTILINE).search(text, start)
    return text[start : end.start() if end else len(text)]


def test_the_contract_declares_the_hook_families_of_the_spec():
    hooks = contract_hooks()
    assert len(hooks) >= 17
    for family in (
        "trustcenter_jurisdictions",
        "trustcenter_review_findings",
        "trustcenter_response_deadline",
        "trustcenter_categories",
        "trustcenter_legal_basis_kinds",
        "trustcenter_vendor_check",
        "trustcenter_notice_channels",
        "trustcenter_data_source",
        "trustcenter_after_submit",
        "trustcenter_after_release",
    ):
        assert family in hooks


@pytest.mark.parametrize("name", sorted(contract_hooks()))
def test_every_hook_has_a_docstring_stating_how_it_is_called(name):
    fn = contract_hooks()[name]
    doc = inspect.getdoc(fn) or ""
    assert len(doc) > 40, f"{name} has no real docstring"
    assert re.search(r"\b(Routed|All|firstresult)\b", doc), f"{name}: say how it is called"
    opts = getattr(fn, "trustcenter_spec", None)
    assert opts is not None, f"{name} is not marked @hookspec"
    if opts.get("firstresult"):
        assert "firstresult" in doc, f"{name} is firstresult but its docstring does not say so"
    hints = inspect.signature(fn)
    assert hints.return_annotation is not inspect.Signature.empty, f"{name} has no return type"
    for p in hints.parameters.values():
        assert p.annotation is not inspect.Parameter.empty, f"{name}({p.name}) is untyped"


def test_every_hook_is_documented():
    missing = sorted(set(contract_hooks()) - set(documented_hooks()))
    assert missing == [], f"docs/plugins.md has no '### <hook>' section for: {missing}"


def test_the_guide_documents_no_hook_that_does_not_exist():
    documented = documented_hooks()
    unknown = sorted(set(documented) - set(contract_hooks()))
    assert unknown == [], f"docs/plugins.md documents hooks that do not exist: {unknown}"
    assert len(documented) == len(set(documented)), "a hook is documented twice"


@pytest.mark.parametrize("name", sorted(contract_hooks()))
def test_every_hook_section_has_an_example(name):
    section = doc_section(name)
    assert "```python" in section, f"the section on {name} has no code example"
    assert f"def {name}(" in section, f"the example for {name} does not implement it"


# --- (b) loading ----------------------------------------------------------------------------


def test_a_misspelt_hook_stops_loading_and_is_named():
    plugin = types.ModuleType("typo_plugin")

    @hookimpl
    def trustcenter_reveiw_findings(request: RequestView) -> list[Finding]:
        return []

    plugin.trustcenter_reveiw_findings = trustcenter_reveiw_findings  # type: ignore[attr-defined]
    with pytest.raises(PluginLoadError, match="trustcenter_reveiw_findings"):
        load("", extra=[("typo", plugin)])


def test_two_plugins_claiming_one_jurisdiction_stop_start_up_naming_both():
    class Germany:
        @hookimpl
        def trustcenter_jurisdictions(self) -> list[str]:
            return ["DE", "AT"]

    class AlsoGermany:
        @hookimpl
        def trustcenter_jurisdictions(self) -> list[str]:
            return ["de"]  # compared upper-cased

    with pytest.raises(PluginLoadError) as caught:
        host_with(("de-rules", Germany()), ("other-de-rules", AlsoGermany()))
    message = str(caught.value)
    assert "DE" in message and "'de-rules'" in message and "'other-de-rules'" in message


def test_the_eu_plugin_and_a_german_plugin_cannot_both_load():
    class Germany:
        @hookimpl
        def trustcenter_jurisdictions(self) -> list[str]:
            return ["DE"]

    with pytest.raises(PluginLoadError, match=r"'eu'.*'de'|'de'.*'eu'"):
        host_with(("eu", trustcenter_eu.plugin), ("de", Germany()))


def test_an_allow_list_naming_a_plugin_that_is_not_installed_stops_start_up():
    with pytest.raises(PluginLoadError, match="no-such-plugin"):
        load("no-such-plugin")
    with pytest.raises(PluginLoadError, match="no-such-plugin"):
        load("eu, no-such-plugin")


def test_an_empty_allow_list_loads_only_the_built_ins():
    pm, loaded = load("")
    assert [p.name for p in loaded] == BUILTINS
    assert all(p.builtin for p in loaded)
    assert pm.get_plugin("eu") is None  # installed, but not allowed
    assert [p.name for p in PluginHost(pm, loaded).describe()] == BUILTINS


def test_an_allow_list_loads_the_named_installed_plugin_with_its_version():
    host = PluginHost.from_settings("eu")
    eu = {p.name: p for p in host.describe()}["eu"]
    assert eu.version == "0.1.0" and not eu.builtin
    assert "trustcenter_review_findings" in eu.hooks
    assert host.plugin_for("DE") == "eu"


# --- (c) routing, awaiting, isolation ---------------------------------------------------------


class Recorder:
    """A jurisdiction plugin that records every call it receives."""

    def __init__(self, *codes: str, days: int) -> None:
        self.codes = list(codes)
        self.days = days
        self.calls: list[tuple[str, str]] = []

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return self.codes

    @hookimpl
    def trustcenter_response_deadline(self, request: RequestView) -> datetime:
        self.calls.append(("deadline", request.jurisdiction))
        return request.received_at + timedelta(days=self.days)

    @hookimpl
    def trustcenter_review_findings(self, request: RequestView) -> list[Finding]:
        self.calls.append(("findings", request.jurisdiction))
        return [Finding(Severity.INFO, f"SEEN_BY_{self.codes[0]}", "seen", "test")]


def test_plugin_for_prefers_the_exact_code_then_the_country_then_the_defaults():
    host = host_with(
        ("california", Recorder("US-CA", days=1)),
        ("us", Recorder("US", days=2)),
    )
    assert host.plugin_for("US-CA") == "california"
    assert host.plugin_for("us-ca") == "california"
    assert host.plugin_for("US-NY") == "us"
    assert host.plugin_for("US") == "us"
    assert host.plugin_for("JP") == DEFAULTS
    assert host.jurisdictions() == {"*": DEFAULTS, "US-CA": "california", "US": "us"}


async def test_a_routed_hook_is_called_only_on_the_plugin_claiming_the_jurisdiction():
    de, fr = Recorder("DE", days=10), Recorder("FR", days=20)
    host = host_with(("de", de), ("fr", fr))

    assert await host.response_deadline(request("DE")) == RECEIVED + timedelta(days=10)
    assert await host.findings(request("DE-BY")) == [
        ("de", Finding(Severity.INFO, "SEEN_BY_DE", "seen", "test"))
    ]
    assert de.calls == [("deadline", "DE"), ("findings", "DE-BY")]
    assert fr.calls == []

    assert await host.response_deadline(request("FR")) == RECEIVED + timedelta(days=20)
    assert fr.calls == [("deadline", "FR")]

    # a jurisdiction neither claims reaches neither
    assert await host.response_deadline(request("US")) == RECEIVED + timedelta(days=30)
    assert await host.findings(request("US")) == []
    assert len(de.calls) == 2 and len(fr.calls) == 1


class OnlyClaims:
    """Claims a jurisdiction and implements no routed hook."""

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["JP"]


async def test_a_claiming_plugin_without_a_routed_hook_falls_back_to_the_defaults():
    host = host_with(("jp", OnlyClaims()))
    assert host.plugin_for("JP") == "jp"
    assert await host.response_deadline(request("JP")) == RECEIVED + timedelta(days=30)
    emergency = request("JP", emergency=True)
    assert await host.response_deadline(emergency) == RECEIVED + timedelta(hours=8)
    assert await host.notice_delay(request("JP")) == timedelta(days=31)
    expired = request("JP", expires_at=date(2026, 11, 2))
    assert [f.code for _, f in await host.findings(expired)] == ["LEGAL_BASIS_EXPIRED"]


async def test_findings_from_the_default_rules_are_attributed_to_the_defaults():
    """The GraphQL ``Finding.plugin`` is "the plugin whose rule found it": when the claiming
    plugin has no findings hook and the default rules answer, reviewers must not read the
    defaults' finding as the regional plugin's."""
    host = host_with(("jp", OnlyClaims()))
    expired = request("JP", expires_at=date(2026, 11, 2))
    assert [(plugin, f.code) for plugin, f in await host.findings(expired)] == [
        (DEFAULTS, "LEGAL_BASIS_EXPIRED")
    ]


class AsyncRules:
    """Every per-request hook as ``async def``."""

    def __init__(self) -> None:
        self.after: list[str] = []

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return ["NL"]

    @hookimpl
    async def trustcenter_response_deadline(self, request: RequestView) -> datetime:
        return request.received_at + timedelta(days=5)

    @hookimpl
    async def trustcenter_review_findings(self, request: RequestView) -> list[Finding]:
        return [Finding(Severity.WARNING, "NL_ASYNC", "awaited", "test")]

    @hookimpl
    async def trustcenter_notice_delay(self, request: RequestView) -> timedelta:
        return timedelta(days=90)

    @hookimpl
    async def trustcenter_validate_request(self, request: RequestView) -> list[Problem]:
        if request.jurisdiction == "NL" and "E" in request.info_types:
            return [Problem("targets", "no E in NL")]
        return []

    @hookimpl
    async def trustcenter_classify(self, request: RequestView) -> str | None:
        return "PRESERVATION" if request.jurisdiction == "NL" else None

    @hookimpl
    def trustcenter_categories(self) -> list[CategorySpec]:
        return [CategorySpec("PRESERVATION", "Preservation requests")]

    @hookimpl
    async def trustcenter_report_exclusions(self) -> list[Exclusion]:
        return [Exclusion("kp", "no lawful channel")]

    @hookimpl
    async def trustcenter_after_submit(self, request: RequestView) -> None:
        self.after.append(f"submit {request.jurisdiction}")

    @hookimpl
    async def trustcenter_after_decision(self, request: RequestView, status: str) -> None:
        self.after.append(f"decision {status}")

    @hookimpl
    async def trustcenter_after_release(self, request: RequestView, sha256: str) -> None:
        self.after.append(f"release {sha256}")


async def test_async_hook_implementations_are_awaited():
    rules = AsyncRules()
    host = host_with(("nl", rules))
    nl = request("NL", types_="AE")
    assert await host.response_deadline(nl) == RECEIVED + timedelta(days=5)
    assert await host.findings(nl) == [
        ("nl", Finding(Severity.WARNING, "NL_ASYNC", "awaited", "test"))
    ]
    assert await host.notice_delay(nl) == timedelta(days=90)
    assert await host.validate(nl) == [Problem("targets", "no E in NL")]
    assert await host.validate(request("DE", types_="AE")) == []
    assert await host.classify(nl) == "PRESERVATION"
    assert await host.classify(request("DE")) == "ACCOUNT"  # the built-in answers last
    assert await host.report_exclusions() == [Exclusion("kp", "no lawful channel", "plugin 'nl'")]
    await host.after_submit(nl)
    await host.after_decision(nl, "APPROVED")
    await host.after_release(nl, "ab" * 32)
    assert rules.after == ["submit NL", "decision APPROVED", f"release {'ab' * 32}"]
    assert "PRESERVATION" in host.categories


def test_an_async_start_up_hook_is_awaited_or_refused_by_name():
    """The contract says any hook may be ``async def``. A start-up hook is called while the
    host is built; it must either work or stop start-up with an error naming the plugin —
    not a bare ``TypeError: 'coroutine' object is not iterable``."""

    class AsyncClaims:
        @hookimpl
        async def trustcenter_jurisdictions(self) -> list[str]:
            return ["JP"]

    try:
        host = host_with(("async-claims", AsyncClaims()))
    except (PluginLoadError, PluginFailure) as exc:
        assert "async-claims" in str(exc)
    else:
        assert host.plugin_for("JP") == "async-claims"


class Exploding:
    def __init__(self, code: str) -> None:
        self.code = code

    @hookimpl
    def trustcenter_jurisdictions(self) -> list[str]:
        return [self.code]

    @hookimpl
    def trustcenter_review_findings(self, request: RequestView) -> list[Finding]:
        raise KeyError("issuer")

    @hookimpl
    async def trustcenter_response_deadline(self, request: RequestView) -> datetime:
        raise RuntimeError("calendar service down")

    @hookimpl
    async def trustcenter_after_submit(self, request: RequestView) -> None:
        raise ValueError("ticketing refused")

    @hookimpl
    def trustcenter_after_release(self, request: RequestView, sha256: str) -> None:
        raise OSError("archive full")


async def test_a_raising_hook_becomes_a_plugin_failure_naming_plugin_and_hook():
    host = host_with(("exploding", Exploding("DE")))
    cases = [
        (lambda: host.findings(request("DE")), "trustcenter_review_findings", KeyError),
        (
            lambda: host.response_deadline(request("DE")),
            "trustcenter_response_deadline",
            RuntimeError,
        ),
        (lambda: host.after_submit(request("US")), "trustcenter_after_submit", ValueError),
        (lambda: host.after_release(request("US"), "00"), "trustcenter_after_release", OSError),
    ]
    for call, hook, error in cases:
        with pytest.raises(PluginFailure) as caught:
            await call()
        failure = caught.value
        assert failure.plugin == "exploding" and failure.hook == hook
        assert "'exploding'" in str(failure) and hook in str(failure)
        assert isinstance(failure.__cause__, error)
    # other jurisdictions never reach the failing routed hooks
    assert await host.findings(request("FR")) == []


def test_a_raising_start_up_hook_is_named():
    class BadCategories:
        @hookimpl
        def trustcenter_categories(self) -> list[CategorySpec]:
            raise ValueError("no categories file")

    with pytest.raises(PluginFailure) as caught:
        host_with(("bad-categories", BadCategories()))
    assert caught.value.plugin == "bad-categories"
    assert caught.value.hook == "trustcenter_categories"


def test_a_category_registered_twice_stops_start_up():
    class Account:
        @hookimpl
        def trustcenter_categories(self) -> list[CategorySpec]:
            return [CategorySpec("ACCOUNT", "Accounts again")]

    with pytest.raises(PluginLoadError, match=r"ACCOUNT.*'again'"):
        host_with(("again", Account()))


def test_the_eu_plugin_is_routed_its_member_states_only():
    host = host_with(("eu", trustcenter_eu.plugin))
    assert host.plugin_for("DE") == host.plugin_for("FR") == "eu"
    assert host.plugin_for("DK") == DEFAULTS  # Denmark does not take part
    assert host.plugin_for("US") == DEFAULTS
