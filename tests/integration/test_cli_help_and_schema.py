"""The ``trustcenter`` command's help, version and schema export, driven through click.

Each command runs its own ``asyncio.run``, so these tests are plain functions and use no
async fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.cli_helpers import COMMANDS, SCHEMA_FILE, Invoke

# --- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "main")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_works_on_every_command_and_group(
    bare_cli: Invoke, db_file: Path, command: list[str], flag: str
) -> None:
    result = bare_cli(*command, flag)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    assert " ".join(["main", *command]) in result.stdout.splitlines()[0]
    assert not db_file.exists()  # asking for help touches no database


def test_the_walk_finds_the_commands_the_docs_name() -> None:
    for command in (["serve"], ["report", "build"], ["report", "publish"], ["requests", "import"],
                    ["notices", "list"], ["worker"], ["db", "upgrade"]):  # fmt: skip
        assert command in COMMANDS


def test_main_help_lists_the_commands(bare_cli: Invoke) -> None:
    out = bare_cli("--help").stdout
    for name in ("serve", "db", "demo", "agency", "client", "export-schema"):
        assert f"  {name}" in out


def test_version(bare_cli: Invoke) -> None:
    result = bare_cli("--version")
    assert result.exit_code == 0 and "version" in result.stdout


def test_an_unknown_command_is_a_usage_error(bare_cli: Invoke) -> None:
    result = bare_cli("no-such-command")
    assert result.exit_code == 2
    assert "No such command" in result.stderr


# --- schema export --------------------------------------------------------------------------


def test_committed_schema_graphql_is_current(bare_cli: Invoke) -> None:
    """CI staleness check: regenerate with ``trustcenter export-schema --output schema.graphql``."""
    result = bare_cli("export-schema")
    assert result.exit_code == 0, result.output
    generated = result.stdout.strip()
    assert generated.startswith(
        ("type ", "schema", '"""', "directive", "interface", "enum", "input", "scalar", "union")
    )
    assert "submitRequest" in generated
    assert generated == SCHEMA_FILE.read_text().strip(), (
        "schema.graphql is stale: run 'trustcenter export-schema --output schema.graphql'"
    )


def test_export_schema_writes_the_file(bare_cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "out" / "schema.graphql"
    target.parent.mkdir()
    result = bare_cli("export-schema", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    printed = bare_cli("export-schema").stdout
    assert target.read_text() == printed
    assert not (tmp_path / "cli.db").exists()  # the schema export needs no database
