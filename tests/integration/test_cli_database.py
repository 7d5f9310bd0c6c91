"""The ``trustcenter`` command and its database: upgraded by ``db upgrade`` or by any command, the
default file in the working folder, rows that persist across commands, and the report built,
published and corrected at the command line.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.integration.cli_helpers import (
    DEMO_GROUP,
    Invoke,
    _agencies,
    _create_agency,
    _json,
    _rows,
)
from trustcenter.cli import main
from trustcenter.db import migrate

# --- the database ---------------------------------------------------------------------------


def test_db_upgrade_on_sqlite(bare_cli: Invoke, db_file: Path) -> None:
    assert not db_file.exists()
    result = bare_cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"database at revision {migrate.head_revision()}"
    assert _rows(db_file, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]
    again = bare_cli("db", "upgrade")  # idempotent
    assert again.exit_code == 0 and again.stdout == result.stdout


def test_sqlite_is_brought_up_to_date_by_any_command(bare_cli: Invoke, db_file: Path) -> None:
    assert not db_file.exists()
    assert bare_cli("agency", "list", "--json").exit_code == 0
    assert _rows(db_file, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]


def test_the_default_database_is_trustcenter_db_in_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    env = {"TRUSTCENTER_DATABASE_URL": None, "TRUSTCENTER_DATABASE_SCHEMA": None}
    made = runner.invoke(
        main,
        [
            "agency",
            "create",
            "--name",
            "Garda",
            "--kind",
            "law_enforcement",
            "--country",
            "IE",
            "--json",
        ],
        env=env,
    )
    assert made.exit_code == 0, made.output
    assert (tmp_path / "trustcenter.db").exists()
    listed = runner.invoke(main, ["agency", "list", "--json"], env=env)
    assert [a["name"] for a in json.loads(listed.stdout)] == ["Garda"]


def test_agencies_made_by_the_cli_persist_across_commands(cli: Invoke, db_file: Path) -> None:
    ids = [_create_agency(cli, country, f"Agency {country}") for country in ("FR", "DE", "AT")]
    listed = _agencies(cli)
    assert sorted(a["id"] for a in listed) == sorted(ids)
    assert [a["country"] for a in listed] == ["AT", "DE", "FR"]  # ordered by country


@DEMO_GROUP
def test_the_report_is_built_published_and_corrected_at_the_command_line(
    demo_cli: Invoke, db_file: Path
) -> None:
    assert demo_cli("report", "show", "--year", "2025").output.endswith(
        "no published report for 2025\n"
    )
    # a year is published only with the statement confirmed for it (after the year ended)
    confirmed = demo_cli("report", "confirm-statement", "We have never built a backdoor.")
    assert confirmed.exit_code == 0
    built = demo_cli("report", "build", "--year", "2025", "--json")
    draft = _json(built)
    assert draft["status"] == "draft" and draft["version"] == 1
    assert draft["requests"] > 0 and draft["excluded_countries"] == ["CN"]
    assert [e["country"] for e in draft["exclusions"]] == ["CN"]
    assert "Chinese Mainland" in draft["exclusions"][0]["reason"]
    assert draft["method_version"] == "2026.2"
    assert "building 2025" in built.stderr  # the progress bar
    shown = json.loads(demo_cli("report", "show", "--year", "2025", "--draft").stdout)
    assert shown["totals"]["worldwide"]["requests"] == draft["requests"]

    published = _json(demo_cli("report", "publish", "--year", "2025", "--json"))
    assert published["status"] == "published" and published["version"] == 1
    assert published["figures_sha256"] == draft["figures_sha256"]
    assert json.loads(demo_cli("report", "show", "--year", "2025").stdout) == shown

    # nothing changed: building again gives the same figures, and publishing them again is refused
    assert _json(demo_cli("report", "build", "--year", "2025", "--json"))["version"] == 2
    again = demo_cli("report", "publish", "--year", "2025", "--changelog", "no change")
    assert again.exit_code != 0 and "version 1 already has these figures" in again.output
    with sqlite3.connect(db_file) as con:
        assert con.execute("SELECT count(*) FROM transparency_reports WHERE status = "
                           "'published'").fetchone() == (1,)  # fmt: skip

    # a reworded statement makes the next draft differ (the figures stay): a correction needs
    # its changelog
    confirmed = demo_cli("report", "confirm-statement", "We have never built a backdoor or a key.")
    assert confirmed.output.startswith("statement confirmed on ")
    demo_cli("report", "build", "--year", "2025")
    unexplained = demo_cli("report", "publish", "--year", "2025")
    assert unexplained.exit_code != 0 and "changelog" in unexplained.output
    second = _json(demo_cli("report", "publish", "--year", "2025", "--changelog",
                            "statement reworded", "--json"))  # fmt: skip
    assert second["version"] == 2 and second["figures_sha256"] == published["figures_sha256"]
    with sqlite3.connect(db_file) as con:
        assert con.execute("SELECT version, statement IS NOT NULL, changelog FROM "
                           "transparency_reports WHERE status = 'published' ORDER BY version"
                           ).fetchall() == [(1, 1, None), (2, 1, "statement reworded")]  # fmt: skip
