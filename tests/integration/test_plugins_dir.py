"""The plugins folder (TRUSTCENTER_PLUGINS_DIR): every ``*.py`` file in it is a plugin named by
its stem, held to the same checks as an installed one — on SQLite and PostgreSQL.

Real files in a real temporary folder: a rule written there changes what the API answers; a
misspelt hook, a syntax error or a jurisdiction claimed twice stops start-up with an error that
names the file or plugin."""

from __future__ import annotations

import json
import textwrap
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers import SUBMIT, World, submission
from trustcenter.bootstrap import Container, build, load_plugins
from trustcenter.cli import main
from trustcenter.config import Settings
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import PluginLoadError

NL_RULES = '''
"""Dutch rules, tried out of the plugins folder before they are packaged."""

from datetime import datetime, timedelta

from trustcenter.plugins import Finding, RequestView, Severity, hookimpl


@hookimpl
def trustcenter_jurisdictions() -> list[str]:
    return ["NL"]


@hookimpl
def trustcenter_response_deadline(request: RequestView) -> datetime:
    return request.received_at + timedelta(days=5)


@hookimpl
def trustcenter_review_findings(request: RequestView) -> list[Finding]:
    return [Finding(Severity.INFO, "NL_FOLDER_RULE", "seen by the folder plugin", "test")]
'''

FINDINGS = "query($id: ID!) { request(id: $id) { findings { plugin code } } }"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def test_a_folder_file_is_a_plugin_named_by_its_stem(tmp_path: Path):
    folder = tmp_path / "plugins"
    write(folder, "nl_rules.py", NL_RULES)
    write(folder, "notes.txt", "not a plugin")
    host = PluginHost.from_settings("", folder=folder)
    assert host.plugin_for("NL") == "nl_rules"
    described = {p.name: p for p in host.describe()}["nl_rules"]
    assert not described.builtin and described.version is None
    assert "trustcenter_response_deadline" in described.hooks
    assert [p.name for p in host.describe()][-1] == "nl_rules"  # after the built-ins


async def test_a_folder_plugin_changes_what_the_api_answers(
    tmp_path: Path, container: Container, world: World
):
    folder = tmp_path / "plugins"
    write(folder, "nl_rules.py", NL_RULES)
    settings = replace(container.settings, plugins_dir=str(folder))
    container.plugins, container.data_source = load_plugins(settings, container.db)
    agency = await world.agency_actor("NL")
    payload = (await agency.data(SUBMIT, {"input": submission(jurisdiction="NL")}))["submitRequest"]
    assert payload["userErrors"] == [], payload
    request = payload["request"]
    due = datetime.fromisoformat(request["deadline"])
    assert due - datetime.fromisoformat(request["receivedAt"]) == timedelta(days=5)
    staff = await world.staff_actor()
    seen = (await staff.data(FINDINGS, {"id": request["id"]}))["request"]["findings"]
    assert {"plugin": "nl_rules", "code": "NL_FOLDER_RULE"} in seen


def test_the_setting_reaches_start_up_and_the_plugins_command(tmp_path: Path, monkeypatch):
    folder = tmp_path / "plugins"
    write(folder, "nl_rules.py", NL_RULES)
    env = {"TRUSTCENTER_PLUGINS_DIR": str(folder), "TRUSTCENTER_PLUGINS": ""}
    settings = Settings.from_env(env, database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db")
    assert build(settings).plugins.plugin_for("NL") == "nl_rules"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.output)}
    assert listed["nl_rules"]["jurisdictions"] == ["NL"]
    assert listed["nl_rules"]["builtin"] is False


def test_a_misspelt_hook_in_a_folder_plugin_stops_start_up(tmp_path: Path):
    folder = tmp_path / "plugins"
    path = write(
        folder,
        "typo.py",
        """
        from trustcenter.plugins import hookimpl


        @hookimpl
        def trustcenter_reveiw_findings(request):
            return []
        """,
    )
    with pytest.raises(PluginLoadError) as caught:
        PluginHost.from_settings("", folder=folder)
    message = str(caught.value)
    assert "trustcenter_reveiw_findings" in message and "does not exist" in message
    assert str(path) in message


def test_an_unmarked_misspelt_hook_is_named_with_its_plugin(tmp_path: Path):
    folder = tmp_path / "plugins"
    write(folder, "unmarked.py", "def trustcenter_jurisdiction():\n    return ['NL']\n")
    with pytest.raises(PluginLoadError, match=r"'unmarked' implements trustcenter_jurisdiction,"):
        PluginHost.from_settings("", folder=folder)


def test_a_syntax_error_in_a_folder_file_stops_start_up_naming_the_file(tmp_path: Path):
    folder = tmp_path / "plugins"
    write(folder, "good.py", NL_RULES)
    path = write(folder, "broken.py", "def trustcenter_jurisdictions(:\n    return ['NL']\n")
    settings = Settings.from_env(
        {"TRUSTCENTER_PLUGINS_DIR": str(folder), "TRUSTCENTER_PLUGINS": ""},
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db",
    )
    with pytest.raises(PluginLoadError) as caught:
        build(settings)
    message = str(caught.value)
    assert str(path) in message and "SyntaxError" in message


def test_an_import_error_in_a_folder_file_stops_start_up_naming_the_file(tmp_path: Path):
    folder = tmp_path / "plugins"
    path = write(folder, "needs.py", "import trustcenter_no_such_module\n")
    with pytest.raises(PluginLoadError) as caught:
        PluginHost.from_settings("", folder=folder)
    assert str(path) in str(caught.value) and "ModuleNotFoundError" in str(caught.value)


def test_two_folder_plugins_claiming_one_jurisdiction_stop_start_up_naming_both(tmp_path: Path):
    folder = tmp_path / "plugins"
    write(folder, "nl_rules.py", NL_RULES)
    write(folder, "nl_again.py", NL_RULES)
    with pytest.raises(PluginLoadError) as caught:
        PluginHost.from_settings("", folder=folder)
    message = str(caught.value)
    assert "NL" in message and "'nl_rules'" in message and "'nl_again'" in message


def test_a_folder_that_does_not_exist_stops_start_up(tmp_path: Path):
    with pytest.raises(PluginLoadError, match="not a folder"):
        PluginHost.from_settings("", folder=tmp_path / "missing")


def test_an_empty_folder_loads_only_the_built_ins(tmp_path: Path):
    host = PluginHost.from_settings("", folder=tmp_path)
    assert all(p.builtin for p in host.describe())
