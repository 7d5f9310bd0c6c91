"""``trustcenter agency``, driven through click against a fresh SQLite file per test: create, list,
verify (with granted jurisdictions) and suspend, and the bad input each refuses.

Each command runs its own ``asyncio.run``, so these tests are plain functions and use no
async fixtures.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.integration.cli_helpers import Invoke, _agencies, _create_agency, _json, _rows

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
    # the field named as the service names it (GraphQL's agencyId for a suspension)
    assert re.search(r"\b(id|agencyId): no such agency", missing.stderr), missing.stderr
    malformed = cli("agency", command, "not-an-id")
    assert malformed.exit_code == 2
    assert "not an id" in malformed.stderr
