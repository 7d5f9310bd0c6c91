"""The ``trustcenter`` command, driven through click against a fresh SQLite file per test.

Each command runs its own ``asyncio.run``, so these tests are plain functions and use no
async fixtures.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
from click.testing import CliRunner, Result

from trustcenter.bootstrap import build
from trustcenter.cli import main
from trustcenter.config import Settings
from trustcenter.db import migrate
from trustcenter.web.app import create_app

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schema.graphql"

Invoke = Callable[..., Result]


def _every_command(group: click.Group = main, path: tuple[str, ...] = ()) -> Iterator[list[str]]:
    yield list(path)
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _every_command(command, (*path, name))
        else:
            yield [*path, name]


#: every group and command the ``trustcenter`` command has, found by walking it
COMMANDS = list(_every_command())


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/cli.db"


@pytest.fixture
def db_file(tmp_path: Path) -> Path:
    return tmp_path / "cli.db"


@pytest.fixture
def cli(db_url: str) -> Invoke:
    runner = CliRunner()
    env = {
        "TRUSTCENTER_DATABASE_URL": db_url,
        "TRUSTCENTER_DATABASE_SCHEMA": None,
        "TRUSTCENTER_ISSUER": None,
        "TRUSTCENTER_ENV": None,
    }

    def invoke(*args: str, **kwargs: Any) -> Result:
        return runner.invoke(main, list(args), env=env, catch_exceptions=False, **kwargs)

    return invoke


def _json(result: Result) -> Any:
    assert result.exit_code == 0, (result.exit_code, result.output)
    return json.loads(result.stdout)


def _rows(db_file: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_file) as conn:
        return conn.execute(sql).fetchall()


def _create_agency(cli: Invoke, country: str = "DE", name: str = "LKA Berlin") -> str:
    out = _json(
        cli(
            "agency",
            "create",
            "--name",
            name,
            "--kind",
            "law_enforcement",
            "--country",
            country,
            "--json",
        )
    )
    assert set(out) == {"id"}
    return str(out["id"])


def _agencies(cli: Invoke) -> list[dict[str, Any]]:
    data = _json(cli("agency", "list", "--json"))
    assert isinstance(data, list)
    return data


# --- help -----------------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "main")
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_works_on_every_command_and_group(
    cli: Invoke, db_file: Path, command: list[str], flag: str
) -> None:
    result = cli(*command, flag)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Usage: ")
    assert " ".join(["main", *command]) in result.stdout.splitlines()[0]
    assert not db_file.exists()  # asking for help touches no database


def test_the_walk_finds_the_commands_the_docs_name() -> None:
    for command in (["serve"], ["report", "build"], ["report", "publish"], ["requests", "import"],
                    ["notices", "list"], ["worker"], ["db", "upgrade"]):  # fmt: skip
        assert command in COMMANDS


def test_main_help_lists_the_commands(cli: Invoke) -> None:
    out = cli("--help").stdout
    for name in ("serve", "db", "demo", "agency", "client", "export-schema"):
        assert f"  {name}" in out


def test_version(cli: Invoke) -> None:
    result = cli("--version")
    assert result.exit_code == 0 and "version" in result.stdout


def test_an_unknown_command_is_a_usage_error(cli: Invoke) -> None:
    result = cli("no-such-command")
    assert result.exit_code == 2
    assert "No such command" in result.stderr


# --- agencies -------------------------------------------------------------------------------


def test_agency_create_list_verify_suspend(cli: Invoke) -> None:
    assert _agencies(cli) == []
    agency_id = _create_agency(cli, "DE")

    listed = _agencies(cli)
    assert listed == [
        {
            "id": agency_id,
            "name": "LKA Berlin",
            "kind": "law_enforcement",
            "country": "DE",
            "region": None,
            "verification": "pending",
            "granted_jurisdictions": [],
            "verified_by": None,
        }
    ]

    verified = _json(cli("agency", "verify", agency_id, "--json"))
    assert verified["verified_by"].startswith("cli:")  # the operator, when no name is given
    assert verified == {
        "id": agency_id,
        "verification": "verified",
        "granted_jurisdictions": [],
        "verified_by": verified["verified_by"],
    }
    assert [a["verification"] for a in _agencies(cli)] == ["verified"]

    assert _json(cli("agency", "suspend", agency_id, "--json")) == {
        "id": agency_id,
        "verification": "suspended",
        "granted_jurisdictions": [],
        "verified_by": verified["verified_by"],
    }
    assert [a["verification"] for a in _agencies(cli)] == ["suspended"]

    text = cli("agency", "verify", agency_id)
    assert text.exit_code == 0 and agency_id in text.stdout and "verified" in text.stdout


def test_agency_create_normalises_and_keeps_the_region(cli: Invoke) -> None:
    out = _json(
        cli(
            "agency",
            "create",
            "--name",
            "  California DOJ ",
            "--kind",
            "judicial",
            "--country",
            "us",
            "--region",
            "us-ca",
            "--contact-email",
            "Legal@DOJ.CA.example",
            "--json",
        )
    )
    [row] = _agencies(cli)
    assert row == {
        "id": out["id"],
        "name": "California DOJ",
        "kind": "judicial",
        "country": "US",
        "region": "US-CA",
        "verification": "pending",
        "granted_jurisdictions": [],
        "verified_by": None,
    }


def test_agency_list_without_json_is_readable(cli: Invoke) -> None:
    assert cli("agency", "list").stdout.strip() == "no agencies"
    agency_id = _create_agency(cli, "FR", "Police nationale")
    line = cli("agency", "list").stdout.strip()
    assert agency_id in line and "FR" in line and "pending" in line and "Police nationale" in line


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--country", "XX"], "country"),
        (["--country", "DEU"], "country"),
        (["--country", "US-CA"], "country"),
        (["--country", "DE", "--region", "FR-75"], "region"),
        (["--country", "DE", "--contact-email", "not an address"], "contactEmail"),
        (["--country", "DE", "--name", "   "], "name"),
    ],
)
def test_agency_create_refuses_bad_input(
    cli: Invoke, db_file: Path, args: list[str], field: str
) -> None:
    base = ["agency", "create", "--kind", "law_enforcement", "--json"]
    if "--name" not in args:
        base += ["--name", "Some agency"]
    result = cli(*base, *args)
    assert result.exit_code == 2, result.output
    assert f"{field}:" in result.stderr
    assert result.stdout == ""
    assert _rows(db_file, "SELECT count(*) FROM agencies") == [(0,)]


def test_agency_create_refuses_an_unknown_kind(cli: Invoke, db_file: Path) -> None:
    result = cli("agency", "create", "--name", "X", "--kind", "army", "--country", "DE")
    assert result.exit_code == 2
    assert "--kind" in result.stderr
    assert not db_file.exists() or _rows(db_file, "SELECT count(*) FROM agencies") == [(0,)]


def test_agency_verify_records_granted_jurisdictions(cli: Invoke, db_file: Path) -> None:
    agency_id = _create_agency(cli, "NL", "European body")
    evidence = "Regulation (EU) 2016/794, Art. 4"
    out = _json(
        cli("agency", "verify", agency_id, "--jurisdictions", "de, FR-IDF", "--evidence",
            evidence, "--by", "A. Admin", "--json")
    )  # fmt: skip
    assert out == {
        "id": agency_id,
        "verification": "verified",
        "granted_jurisdictions": ["DE", "FR-IDF"],
        "verified_by": "A. Admin",
    }
    [row] = _agencies(cli)
    assert row["granted_jurisdictions"] == ["DE", "FR-IDF"] and row["verified_by"] == "A. Admin"
    line = cli("agency", "list").stdout.strip()
    assert "DE FR-IDF" in line
    [(data,)] = _rows(db_file, "SELECT data FROM audit_events WHERE action = 'agency.verified'")
    recorded = json.loads(data)
    assert recorded["jurisdictions"] == ["DE", "FR-IDF"]
    assert recorded["evidence"] == evidence and recorded["verified_by"] == "A. Admin"
    assert _rows(db_file, "SELECT granted_jurisdictions, verification_evidence FROM agencies") == [
        ("DE FR-IDF", evidence)
    ]
    # verifying again without --jurisdictions keeps the grant (the README's plain verify)
    again = _json(cli("agency", "verify", agency_id, "--json"))
    assert again["granted_jurisdictions"] == ["DE", "FR-IDF"]


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--jurisdictions", "DE,XX"], "jurisdictions"),
        (["--jurisdictions", "not a code"], "jurisdictions"),
        (["--jurisdictions", "US"], "evidence"),  # beyond its own country: say why
    ],
)
def test_agency_verify_refuses_bad_grants(
    cli: Invoke, db_file: Path, args: list[str], field: str
) -> None:
    agency_id = _create_agency(cli, "DE")
    result = cli("agency", "verify", agency_id, *args)
    assert result.exit_code == 2, result.output
    assert f"{field}:" in result.stderr
    assert _rows(db_file, "SELECT verification, granted_jurisdictions FROM agencies") == [
        ("pending", "")
    ]
    assert _rows(db_file, "SELECT count(*) FROM audit_events WHERE action = 'agency.verified'") == [
        (0,)
    ]


@pytest.mark.parametrize("command", ["verify", "suspend"])
def test_verify_an_unknown_or_malformed_id(cli: Invoke, command: str) -> None:
    missing = cli("agency", command, "00000000-0000-4000-8000-000000000000")
    assert missing.exit_code == 2
    assert "id:" in missing.stderr and "no such agency" in missing.stderr
    malformed = cli("agency", command, "not-an-id")
    assert malformed.exit_code == 2
    assert "not an id" in malformed.stderr


# --- clients --------------------------------------------------------------------------------


def test_client_create_for_an_agency(cli: Invoke, db_file: Path) -> None:
    agency_id = _create_agency(cli)
    out = _json(
        cli(
            "client",
            "create",
            "--agency",
            agency_id,
            "--scopes",
            "requests:submit requests:read",
            "--json",
        )
    )
    assert set(out) == {"client_id", "client_secret", "scopes"}
    assert out["client_id"] and out["client_secret"]
    assert out["scopes"] == ["requests:submit", "requests:read"]
    [(client_id, stored_secret, scopes, agency)] = _rows(
        db_file, "SELECT client_id, secret_sha256, scopes, agency_id FROM oauth_clients"
    )
    assert client_id == out["client_id"]
    assert out["client_secret"] not in stored_secret  # stored hashed, never in clear
    assert scopes == "requests:submit requests:read"
    assert agency.replace("-", "") == agency_id.replace("-", "")


def test_client_create_prints_the_secret_once_in_text(cli: Invoke) -> None:
    agency_id = _create_agency(cli)
    result = cli(
        "client", "create", "--agency", agency_id, "--scopes", "requests:submit,disclosures:read"
    )
    assert result.exit_code == 0, result.output
    assert "client_id:" in result.stdout and "client_secret:" in result.stdout
    assert "requests:submit disclosures:read" in result.stdout


def test_client_create_for_staff(cli: Invoke, db_file: Path) -> None:
    out = _json(
        cli(
            "client",
            "create",
            "--staff",
            "--scopes",
            "review audit admin",
            "--name",
            "Legal team console",
            "--json",
        )
    )
    assert out["scopes"] == ["review", "audit", "admin"]
    assert _rows(db_file, "SELECT name, agency_id FROM oauth_clients") == [
        ("Legal team console", None)
    ]


@pytest.mark.parametrize(
    ("who", "scopes"),
    [
        ("agency", "requests:submit review"),
        ("agency", "admin"),
        ("staff", "review requests:read"),
        ("staff", "disclosures:read"),
        ("agency", "requests:submit no-such-scope"),
        ("staff", "   "),
    ],
)
def test_client_create_refuses_scopes_of_the_other_kind(
    cli: Invoke, db_file: Path, who: str, scopes: str
) -> None:
    agency_id = _create_agency(cli)
    who_args = ["--agency", agency_id] if who == "agency" else ["--staff"]
    result = cli("client", "create", *who_args, "--scopes", scopes, "--json")
    assert result.exit_code == 2, result.output
    assert "scopes:" in result.stderr
    assert result.stdout == ""
    assert _rows(db_file, "SELECT count(*) FROM oauth_clients") == [(0,)]


def test_client_create_for_an_unknown_agency(cli: Invoke, db_file: Path) -> None:
    cli("agency", "list")  # make the database
    result = cli(
        "client",
        "create",
        "--agency",
        "00000000-0000-4000-8000-000000000000",
        "--scopes",
        "requests:read",
    )
    assert result.exit_code == 2
    assert "agency:" in result.stderr
    assert _rows(db_file, "SELECT count(*) FROM oauth_clients") == [(0,)]


@pytest.mark.parametrize(
    "who",
    [["--staff", "--agency", "00000000-0000-4000-8000-000000000000"], []],
    ids=["both", "neither"],
)
def test_client_create_needs_exactly_one_of_agency_or_staff(
    cli: Invoke, db_file: Path, who: list[str]
) -> None:
    result = cli("client", "create", *who, "--scopes", "review")
    assert result.exit_code == 2
    assert "Usage:" in result.stderr
    assert "exactly one of --agency ID or --staff" in result.stderr
    assert not db_file.exists()


# --- the printed secret works ---------------------------------------------------------------


def _against_the_api(db_url: str, work: Callable[[httpx.AsyncClient], Any]) -> Any:
    async def run() -> Any:
        container = build(Settings.from_env({}, database_url=db_url, issuer="http://localhost"))
        await container.start()
        try:
            transport = httpx.ASGITransport(app=create_app(container))
            async with httpx.AsyncClient(
                transport=transport, base_url="http://localhost"
            ) as client:
                return await work(client)
        finally:
            await container.close()

    return asyncio.run(run())


def _token_request(client_id: str, secret: str) -> Callable[[httpx.AsyncClient], Any]:
    async def work(http: httpx.AsyncClient) -> httpx.Response:
        return await http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
        )

    return work


ME = "{ me { clientId kind scopes agency { name country verification } } }"


def test_the_printed_secret_obtains_a_token(cli: Invoke, db_url: str) -> None:
    agency_id = _create_agency(cli)
    cli("agency", "verify", agency_id)
    new = _json(
        cli(
            "client",
            "create",
            "--agency",
            agency_id,
            "--scopes",
            "requests:submit requests:read",
            "--json",
        )
    )

    async def work(http: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        token = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(new["client_id"], new["client_secret"]),
        )
        me = await http.post(
            "/graphql",
            json={"query": ME},
            headers={"Authorization": f"Bearer {token.json().get('access_token')}"},
        )
        return token, me

    token, me = _against_the_api(db_url, work)
    assert token.status_code == 200, token.text
    body = token.json()
    assert body["access_token"].count(".") == 2  # a JWT
    assert body["token_type"].lower() == "bearer"
    assert set(body["scope"].split()) == {"requests:submit", "requests:read"}
    assert me.status_code == 200, me.text
    assert me.json()["data"]["me"] == {
        "clientId": new["client_id"],
        "kind": "AGENCY",
        "scopes": ["requests:read", "requests:submit"],
        "agency": {"name": "LKA Berlin", "country": "DE", "verification": "VERIFIED"},
    }


def test_the_staff_secret_obtains_a_token_and_a_wrong_one_does_not(
    cli: Invoke, db_url: str
) -> None:
    new = _json(cli("client", "create", "--staff", "--scopes", "review reports", "--json"))
    ok = _against_the_api(db_url, _token_request(new["client_id"], new["client_secret"]))
    assert ok.status_code == 200, ok.text
    assert set(ok.json()["scope"].split()) == {"review", "reports"}

    wrong = _against_the_api(db_url, _token_request(new["client_id"], secrets.token_urlsafe(32)))
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    assert "access_token" not in wrong.json()


def test_a_suspended_agencys_client_gets_no_token(cli: Invoke, db_url: str) -> None:
    agency_id = _create_agency(cli)
    cli("agency", "verify", agency_id)
    new = _json(
        cli("client", "create", "--agency", agency_id, "--scopes", "requests:read", "--json")
    )
    assert (
        _against_the_api(db_url, _token_request(new["client_id"], new["client_secret"])).status_code
        == 200
    )
    assert cli("agency", "suspend", agency_id).exit_code == 0
    refused = _against_the_api(db_url, _token_request(new["client_id"], new["client_secret"]))
    assert refused.status_code in (400, 401)
    assert refused.json()["error"] == "invalid_client"


# --- schema export --------------------------------------------------------------------------


def test_committed_schema_graphql_is_current(cli: Invoke) -> None:
    """CI staleness check: regenerate with ``trustcenter export-schema --output schema.graphql``."""
    result = cli("export-schema")
    assert result.exit_code == 0, result.output
    generated = result.stdout.strip()
    assert generated.startswith(
        ("type ", "schema", '"""', "directive", "interface", "enum", "input", "scalar", "union")
    )
    assert "submitRequest" in generated
    assert generated == SCHEMA_FILE.read_text().strip(), (
        "schema.graphql is stale: run 'trustcenter export-schema --output schema.graphql'"
    )


def test_export_schema_writes_the_file(cli: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "out" / "schema.graphql"
    target.parent.mkdir()
    result = cli("export-schema", "--output", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    printed = cli("export-schema").stdout
    assert target.read_text() == printed
    assert not (tmp_path / "cli.db").exists()  # the schema export needs no database


# --- the database ---------------------------------------------------------------------------


def test_db_upgrade_on_sqlite(cli: Invoke, db_file: Path) -> None:
    result = cli("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"database at revision {migrate.head_revision()}"
    assert _rows(db_file, "SELECT version_num FROM alembic_version") == [(migrate.head_revision(),)]
    again = cli("db", "upgrade")  # idempotent
    assert again.exit_code == 0 and again.stdout == result.stdout


def test_sqlite_is_brought_up_to_date_by_any_command(cli: Invoke, db_file: Path) -> None:
    assert not db_file.exists()
    assert cli("agency", "list", "--json").exit_code == 0
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


def test_the_report_is_built_published_and_corrected_at_the_command_line(
    cli: Invoke, db_file: Path
) -> None:
    assert cli("demo").exit_code == 0
    assert cli("report", "show", "--year", "2025").output.endswith("no published report for 2025\n")
    # a year is published only with the statement confirmed for it (after the year ended)
    assert cli("report", "confirm-statement", "We have never built a backdoor.").exit_code == 0
    built = cli("report", "build", "--year", "2025", "--json")
    draft = _json(built)
    assert draft["status"] == "draft" and draft["version"] == 1
    assert draft["requests"] > 0 and draft["excluded_countries"] == ["CN"]
    assert [e["country"] for e in draft["exclusions"]] == ["CN"]
    assert "Chinese Mainland" in draft["exclusions"][0]["reason"]
    assert draft["method_version"] == "2026.2"
    assert "building 2025" in built.stderr  # the progress bar
    shown = json.loads(cli("report", "show", "--year", "2025", "--draft").stdout)
    assert shown["totals"]["worldwide"]["requests"] == draft["requests"]

    published = _json(cli("report", "publish", "--year", "2025", "--json"))
    assert published["status"] == "published" and published["version"] == 1
    assert published["figures_sha256"] == draft["figures_sha256"]
    assert json.loads(cli("report", "show", "--year", "2025").stdout) == shown

    # nothing changed: building again gives the same figures, and publishing them again is refused
    assert _json(cli("report", "build", "--year", "2025", "--json"))["version"] == 2
    again = cli("report", "publish", "--year", "2025", "--changelog", "no change")
    assert again.exit_code != 0 and "version 1 already has these figures" in again.output
    with sqlite3.connect(db_file) as con:
        assert con.execute("SELECT count(*) FROM transparency_reports WHERE status = "
                           "'published'").fetchone() == (1,)  # fmt: skip

    # a reworded statement makes the next draft differ (the figures stay): a correction needs
    # its changelog
    confirmed = cli("report", "confirm-statement", "We have never built a backdoor or a key.")
    assert confirmed.output.startswith("statement confirmed on ")
    cli("report", "build", "--year", "2025")
    unexplained = cli("report", "publish", "--year", "2025")
    assert unexplained.exit_code != 0 and "changelog" in unexplained.output
    second = _json(cli("report", "publish", "--year", "2025", "--changelog", "statement reworded",
                       "--json"))  # fmt: skip
    assert second["version"] == 2 and second["figures_sha256"] == published["figures_sha256"]
    with sqlite3.connect(db_file) as con:
        assert con.execute("SELECT version, statement IS NOT NULL, changelog FROM "
                           "transparency_reports WHERE status = 'published' ORDER BY version"
                           ).fetchall() == [(1, 1, None), (2, 1, "statement reworded")]  # fmt: skip
