"""The plugin author's kit: the template passes its own tests at once; the conformance check
catches what breaks the contract."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import trustcenter_eu.plugin
from click.testing import CliRunner

from trustcenter.cli import main
from trustcenter.plugins import hookimpl
from trustcenter.plugins.template import TemplateError, create
from trustcenter.plugins.testing import conformance_problems


def test_a_plugin_made_from_the_template_passes_its_own_tests(tmp_path: Path):
    result = CliRunner().invoke(
        main, ["plugin", "new", "nl", "--jurisdiction", "NL", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    root = tmp_path / "trustcenter-nl"
    assert (root / "src" / "trustcenter_nl" / "plugin.py").exists()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "6 passed" in run.stdout


def test_the_template_refuses_bad_names_and_existing_folders(tmp_path: Path):
    with pytest.raises(TemplateError):
        create("Not A Name", "NL", tmp_path)
    with pytest.raises(TemplateError):
        create("nl", "Netherlands", tmp_path)
    create("nl", "nl", tmp_path)
    with pytest.raises(TemplateError):
        create("nl", "NL", tmp_path)
    result = CliRunner().invoke(
        main, ["plugin", "new", "x y", "--jurisdiction", "NL", "--dir", str(tmp_path)]
    )
    assert result.exit_code == 2


def test_first_party_plugins_conform():
    assert conformance_problems(trustcenter_eu.plugin) == []


class Misspelt:
    @hookimpl
    def trustcenter_reveiw_findings(self, request):
        return []


class Unmarked:
    def trustcenter_jurisdictions(self):
        return ["NL"]


class ExtraArgument:
    @hookimpl
    def trustcenter_response_deadline(self, request, session):
        return None


class BadJurisdictions:
    @hookimpl
    def trustcenter_jurisdictions(self):
        return "NL"


@pytest.mark.parametrize(
    ("plugin", "needle"),
    [
        (Misspelt(), "trustcenter_reveiw_findings is not a hook"),
        (Unmarked(), "not marked with @trustcenter.plugins.hookimpl"),
        (ExtraArgument(), "takes session"),
        (BadJurisdictions(), "must return a list of codes"),
        (object(), "implements no trustcenter_* hook"),
    ],
)
def test_the_conformance_check_names_what_is_wrong(plugin, needle):
    assert any(needle in p for p in conformance_problems(plugin))


SUBMIT = """mutation($i: SubmitRequestInput!) { submitRequest(input: $i) {
  request { id receivedAt deadline } userErrors { code } } }"""


async def test_the_app_fixture_runs_the_product_with_the_plugin(trustcenter_app):
    from datetime import datetime, timedelta

    async with trustcenter_app(trustcenter_eu.plugin) as app:
        agency = await app.agency_token("DE")
        staff = await app.staff_token()
        body = await app.graphql(
            SUBMIT,
            {
                "i": {
                    "jurisdiction": "DE",
                    "reason": "fraud",
                    "officer": {"name": "K", "email": "k@x.de"},
                    "legalBasis": {
                        "kind": "PRODUCTION_ORDER",
                        "reference": "E-1",
                        "issuedBy": "StA",
                        "issuedAt": "2026-01-01",
                        "issuerRole": "PROSECUTOR",
                    },
                    "targets": [
                        {"identifierType": "EMAIL", "identifier": "a@b.de", "infoTypes": ["E"]}
                    ],
                }
            },
            agency,
        )
        assert body.get("data") and not body.get("errors"), body
        request = body["data"]["submitRequest"]["request"]
        due = datetime.fromisoformat(request["deadline"])
        assert due - datetime.fromisoformat(request["receivedAt"]) == timedelta(days=10)
        seen = await app.graphql(
            "query($id: ID!) { request(id: $id) { findings { code } } }",
            {"id": request["id"]},
            staff,
        )
        assert {"code": "EU_JUDGE_REQUIRED"} in seen["data"]["request"]["findings"]
