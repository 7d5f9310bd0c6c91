"""The contract checks of the plugin author's kit: no application, no database.

- ``assert_conforms(plugin)`` / ``conformance_problems(plugin)``: the plugin's hooks match the
  contract (names, parameters, the marker, what the start-up hooks return, its declared finding
  codes);
- ``make_request(...)``: a ``RequestView`` with sensible defaults, to call hooks the way the
  product does.

The pytest plugin with the fixtures (``trustcenter_host``, ``trustcenter_request``,
``trustcenter_app``, which starts the whole application) is ``trustcenter.testing``; it
re-exports these.
"""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime
from typing import Any

import pluggy

from trustcenter.plugins import answers, hookspecs
from trustcenter.plugins.api import CategorySpec, ItemView, LegalBasisView, RequestView
from trustcenter.plugins.manager import HOOKS, unknown_hooks

__all__ = ["HOOKS", "assert_conforms", "conformance_problems", "make_request"]


def conformance_problems(plugin: Any) -> list[str]:
    """Everything about ``plugin`` that breaks the contract (empty when it conforms)."""
    problems = []
    names = [n for n in dir(plugin) if n.startswith("trustcenter_")]
    if not names:
        problems.append("implements no trustcenter_* hook")
    unknown = unknown_hooks(plugin)
    for name in names:
        if name in unknown:
            problems.append(f"{name} is not a hook of the contract (misspelt?)")
            continue
        impl = getattr(plugin, name)
        if not hasattr(impl, "trustcenter_impl"):
            problems.append(f"{name} is not marked with @trustcenter.plugins.hookimpl")
        spec_args = set(inspect.signature(getattr(hookspecs, name)).parameters)
        extra = [a for a in inspect.signature(impl).parameters if a not in spec_args | {"self"}]
        if extra:
            problems.append(f"{name} takes {', '.join(extra)}, which the contract never passes")
    pm = pluggy.PluginManager("trustcenter")
    pm.add_hookspecs(hookspecs)
    try:
        pm.register(plugin, name="under-test")
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        problems.append(str(exc))
        return problems
    if hasattr(plugin, "trustcenter_jurisdictions"):
        codes = plugin.trustcenter_jurisdictions()
        if not isinstance(codes, list) or not all(isinstance(c, str) and c for c in codes):
            problems.append("trustcenter_jurisdictions must return a list of codes")
    if hasattr(plugin, "trustcenter_categories"):
        specs = plugin.trustcenter_categories()
        if not all(isinstance(s, CategorySpec) and s.code == s.code.upper() for s in specs):
            problems.append("trustcenter_categories must return CategorySpec with upper-case codes")
    if hasattr(plugin, "trustcenter_finding_codes"):
        declared = plugin.trustcenter_finding_codes()
        try:
            answers.finding_codes([] if declared is None else declared)
        except ValueError as exc:
            problems.append(f"trustcenter_finding_codes: {exc}")
    return problems


def assert_conforms(plugin: Any) -> None:
    problems = conformance_problems(plugin)
    assert not problems, "plugin does not conform:\n- " + "\n- ".join(problems)


def make_request(
    jurisdiction: str = "DE",
    *,
    info_types: str = "A",
    identifier_type: str = "email",
    identifier: str = "user@example.com",
    emergency: bool = False,
    kind: str = "court_order",
    issuer_role: str | None = "judge",
    received_at: datetime | None = None,
    agency_kind: str = "law_enforcement",
    category: str | None = None,
    non_disclosure_until: date | None = None,
    agency_country: str | None = None,
) -> RequestView:
    """A request as a plugin receives it; the agency is of the jurisdiction's country unless
    ``agency_country`` says otherwise (a request from abroad)."""
    received = received_at or datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    return RequestView(
        id=None,
        jurisdiction=jurisdiction,
        category=category,
        emergency=emergency,
        received_at=received,
        agency_kind=agency_kind,
        agency_country=agency_country or jurisdiction[:2],
        legal_basis=LegalBasisView(
            kind,
            "REF-1",
            "Issuing authority",
            issuer_role,
            received.date(),
            None,
            non_disclosure_until,
        ),
        items=tuple(ItemView(identifier_type, identifier, t, None, None) for t in info_types),
    )
