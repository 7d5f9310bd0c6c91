"""``trustcenter plugin new NAME``: a jurisdiction plugin that passes its own tests at once."""

from __future__ import annotations

import re
from pathlib import Path

FILES: dict[str, str] = {
    "pyproject.toml": """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "trustcenter-{name}"
version = "0.1.0"
description = "trustcenter jurisdiction rules for {jurisdiction}"
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["trustcenter"]

[project.entry-points."trustcenter.plugins"]
{name} = "trustcenter_{module}.plugin"

[tool.setuptools.packages.find]
where = ["src"]

[tool.pytest.ini_options]
pythonpath = ["src"]
testpaths = ["tests"]

[tool.ruff]
line-length = 100
target-version = "py311"
src = ["src", "tests"]

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "SIM", "ASYNC", "S", "RUF"]
ignore = ["S101"]  # pytest asserts
""",
    "README.md": """\
# trustcenter-{name}

Jurisdiction rules for {jurisdiction}, as a trustcenter plugin.

```sh
pytest                      # the plugin's own tests (trustcenter's test kit is a pytest plugin)
ruff format --check . && ruff check .
pip install -e .            # then allow it: TRUSTCENTER_PLUGINS="{name}" (or "*")
trustcenter plugins         # shows it and the jurisdictions it governs
```

Edit `src/trustcenter_{module}/plugin.py`: every rule returns findings that cite their legal
source, and `trustcenter_finding_codes` declares each code a rule may return, with its severity
and a description staff read on the console's plugins page. The hooks are documented in
trustcenter's `docs/plugins.md`.
""",
    "src/trustcenter_{module}/__init__.py": '''\
"""trustcenter jurisdiction rules for {jurisdiction}."""
''',
    "src/trustcenter_{module}/plugin.py": '''\
"""Rules for requests under {jurisdiction} law. Replace the examples with the real ones; keep
every finding's citation pointing at the provision it applies, and every code a rule returns
declared in ``trustcenter_finding_codes`` with the severity the rule gives it."""

from __future__ import annotations

from datetime import datetime, timedelta

from trustcenter.plugins import Finding, FindingCodeSpec, RequestView, Severity, hookimpl

LAW = "Replace with the statute's name"


@hookimpl
def trustcenter_jurisdictions() -> list[str]:
    return ["{jurisdiction}"]


@hookimpl
def trustcenter_finding_codes() -> list[FindingCodeSpec]:
    return [
        FindingCodeSpec(
            "{code}_JUDGE_REQUIRED",
            Severity.BLOCK,
            "Customer-service content (E) asked for without an order of a judge or court.",
        ),
    ]


@hookimpl
def trustcenter_response_deadline(request: RequestView) -> datetime:
    return request.received_at + (timedelta(hours=24) if request.emergency else timedelta(days=20))


@hookimpl
def trustcenter_review_findings(request: RequestView) -> list[Finding]:
    findings = []
    if "E" in request.info_types and request.legal_basis.issuer_role not in ("judge", "court"):
        findings.append(
            Finding(
                Severity.BLOCK,
                "{code}_JUDGE_REQUIRED",
                "customer-service content needs an order of a judge or court",
                f"{{LAW}}, section 1",
            )
        )
    return findings
''',
    "tests/test_plugin.py": '''\
"""The plugin's own tests, using trustcenter's test kit (fixtures trustcenter_host and
trustcenter_request come from the trustcenter pytest plugin, ``trustcenter.testing``)."""

import asyncio
from datetime import timedelta
from itertools import product

import pytest
from trustcenter.testing import assert_conforms, make_request

from trustcenter_{module} import plugin


def test_the_plugin_conforms_to_the_contract():
    assert_conforms(plugin)


def test_it_governs_its_jurisdiction(trustcenter_host):
    host = trustcenter_host(plugin)
    assert host.plugin_for("{jurisdiction}") == plugin.__name__


@pytest.mark.parametrize(
    ("emergency", "delay"), [(False, timedelta(days=20)), (True, timedelta(hours=24))]
)
def test_deadline(trustcenter_host, trustcenter_request, emergency, delay):
    request = trustcenter_request("{jurisdiction}", emergency=emergency)
    due = asyncio.run(trustcenter_host(plugin).response_deadline(request))
    assert due == request.received_at + delay


def test_content_needs_a_judge(trustcenter_host, trustcenter_request):
    host = trustcenter_host(plugin)
    asked = trustcenter_request("{jurisdiction}", info_types="E", issuer_role="prosecutor")
    found = asyncio.run(host.findings(asked))
    assert [f.code for _, f in found] == ["{code}_JUDGE_REQUIRED"]
    assert all(f.citation for _, f in found)
    other = trustcenter_request("{jurisdiction}", info_types="A")
    assert asyncio.run(host.findings(other)) == []


def test_the_declared_finding_codes_are_the_codes_the_rules_return():
    """Every finding the rules give, over requests of every kind, has a declared code and the
    severity declared for it; every declared code is given by some rule."""
    declared = {{(s.code, s.severity) for s in plugin.trustcenter_finding_codes()}}
    given = set()
    for kind, role, types in product(
        ["court_order", "warrant", "subpoena", "emergency_declaration"],
        ["judge", "court", "prosecutor", "police", None],
        ["A", "C", "E", "ABCDE"],
    ):
        asked = make_request("{jurisdiction}", kind=kind, issuer_role=role, info_types=types)
        given |= {{(f.code, f.severity) for f in plugin.trustcenter_review_findings(asked)}}
    assert given == declared
''',
}


class TemplateError(ValueError):
    pass


def create(name: str, jurisdiction: str, parent: Path) -> Path:
    """Write ``trustcenter-NAME`` under ``parent``; return its folder."""
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,39}", name):
        raise TemplateError("a plugin name is lower-case letters, digits and dashes, e.g. 'nl'")
    code = jurisdiction.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}(-[A-Z0-9]{1,3})?", code):
        raise TemplateError("the jurisdiction is an ISO 3166 code such as NL or US-CA")
    root = parent / f"trustcenter-{name}"
    if root.exists():
        raise TemplateError(f"{root} exists already")
    values = {
        "name": name,
        "module": name.replace("-", "_"),
        "jurisdiction": code,
        "code": re.sub(r"[^A-Z0-9]", "_", code),
    }
    for relative, text in FILES.items():
        path = root / relative.format(**values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(**values))
    return root
