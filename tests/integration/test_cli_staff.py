"""``trustcenter staff``, driven through click against a fresh SQLite file per test: a person
added with a generated initial password printed once (or one read from standard input), listed
as text or JSON, disabled, enabled and their sign-in reset; bad input ends with a non-zero exit
and the reason, and nothing is stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.integration.cli_helpers import Invoke, _json, _rows
from trustcenter.auth.passwords import check_password


def _stored(db_file: Path, email: str) -> tuple[Any, ...]:
    rows = _rows(db_file, "SELECT email, name, roles, status, password_hash FROM staff_members")
    [row] = [r for r in rows if r[0] == email]
    return row


def _members(cli: Invoke, *args: str) -> list[dict[str, Any]]:
    data = _json(cli("staff", "list", "--json", *args))
    assert isinstance(data, list)
    return data


def test_create_prints_the_initial_password_once_and_stores_only_its_hash(
    cli: Invoke, db_file: Path
) -> None:
    result = cli(
        "staff", "create", "--email", "Ada@Example.org", "--name", "Ada Admin",
        "--role", "admin", "--role", "Reviewer",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "Ada Admin <ada@example.org> (reviewer, admin)" in lines[0]
    [password] = [line.split(": ", 1)[1] for line in lines if line.startswith("initial password:")]
    assert len(password) >= 16
    assert "shown only once" in result.stdout
    email, name, roles, status, hashed = _stored(db_file, "ada@example.org")
    assert (email, name, roles, status) == (
        "ada@example.org",
        "Ada Admin",
        "reviewer admin",
        "active",
    )
    assert password not in hashed and check_password(hashed, password).ok
    [(action, data)] = _rows(db_file, "SELECT action, data FROM audit_events")
    assert action == "staff.created" and password not in data
    assert json.loads(data)["roles"] == ["reviewer", "admin"]


def test_json_output_list_and_status_filter(cli: Invoke) -> None:
    result = cli(
        "staff", "create", "--email", "sam@example.org", "--name", "Sam", "--role", "auditor",
        "--json",
    )  # fmt: skip
    made = _json(result)
    assert made["email"] == "sam@example.org" and made["roles"] == ["auditor"]
    assert made["status"] == "active" and made["totp_enrolled"] is False
    assert len(made["initial_password"]) >= 16
    assert "shown only once" in result.stderr  # the warning stays out of the JSON

    _json(cli("staff", "create", "--email", "ada@example.org", "--name", "Ada", "--role", "admin",
              "--json"))  # fmt: skip
    assert [m["email"] for m in _members(cli)] == ["ada@example.org", "sam@example.org"]
    assert all("initial_password" not in m for m in _members(cli))

    disabled = _json(cli("staff", "disable", "SAM@example.org", "--json"))
    assert disabled["status"] == "disabled" and disabled["disabled_at"]
    assert [m["email"] for m in _members(cli, "--status", "disabled")] == ["sam@example.org"]
    assert [m["email"] for m in _members(cli, "--status", "active")] == ["ada@example.org"]
    text = cli("staff", "list", "--status", "disabled")
    assert text.exit_code == 0 and "sam@example.org" in text.stdout and "ada@" not in text.stdout

    enabled = cli("staff", "enable", "sam@example.org")
    assert enabled.exit_code == 0 and "is active again" in enabled.stdout
    assert [m["status"] for m in _members(cli)] == ["active", "active"]


def test_password_from_standard_input(cli: Invoke, db_file: Path) -> None:
    result = cli(
        "staff", "create", "--email", "rita@example.org", "--name", "Rita", "--role", "reviewer",
        "--password-stdin", "--json", input="correct horse battery\n",
    )  # fmt: skip
    made = _json(result)
    assert made["initial_password"] is None and "shown only once" not in result.output
    hashed = _stored(db_file, "rita@example.org")[4]
    assert check_password(hashed, "correct horse battery").ok

    short = cli(
        "staff", "create", "--email", "eve@example.org", "--name", "Eve", "--role", "reviewer",
        "--password-stdin", input="short\n",
    )  # fmt: skip
    assert short.exit_code == 2 and "password: use at least 12 characters" in short.stderr
    assert len(_members(cli)) == 1


def test_reset_sign_in_prints_a_new_password_once(cli: Invoke, db_file: Path) -> None:
    first = _json(cli("staff", "create", "--email", "sam@example.org", "--name", "Sam",
                      "--role", "reviewer", "--json"))["initial_password"]  # fmt: skip
    result = cli("staff", "reset-sign-in", "sam@example.org")
    assert result.exit_code == 0, result.output
    [password] = [
        line.split(": ", 1)[1]
        for line in result.stdout.splitlines()
        if line.startswith("initial password:")
    ]
    assert password != first and "shown only once" in result.stdout
    hashed = _stored(db_file, "sam@example.org")[4]
    assert check_password(hashed, password).ok and not check_password(hashed, first).ok
    audit = " ".join(data for (data,) in _rows(db_file, "SELECT data FROM audit_events"))
    assert first not in audit and password not in audit


def test_bad_input_exits_non_zero_with_the_reason(cli: Invoke) -> None:
    def refused(*args: str, says: str, code: int = 2) -> None:
        result = cli("staff", *args)
        assert result.exit_code == code, (args, result.output)
        assert says in result.stderr, (args, result.stderr)

    refused(
        "create",
        "--email",
        "x@example.org",
        "--name",
        "X",
        "--role",
        "boss",
        says="unknown role boss; the roles are reviewer, notices, reports, auditor, admin",
    )
    refused(
        "create",
        "--email",
        "not-an-address",
        "--name",
        "X",
        "--role",
        "admin",
        says="email: must be an e-mail address",
    )
    refused("create", "--email", "x@example.org", "--name", "X", says="Missing option '--role'")
    refused("list", "--status", "gone", says="Invalid value for '--status'")
    refused("disable", "nobody@example.org", says="email: no staff member has it")
    refused("enable", "nobody@example.org", says="email: no staff member has it")
    refused("reset-sign-in", "nobody@example.org", says="email: no staff member has it")
    assert _members(cli) == []

    _json(cli("staff", "create", "--email", "ada@example.org", "--name", "Ada", "--role", "admin",
              "--json"))  # fmt: skip
    refused(
        "create",
        "--email",
        "ADA@example.org",
        "--name",
        "Ada Again",
        "--role",
        "reviewer",
        says="a staff member with the e-mail address ada@example.org exists",
    )
    refused("disable", "ada@example.org", says="ada@example.org is the last active admin")
    refused("enable", "ada@example.org", says="ada@example.org is already active")
    [ada] = _members(cli)
    assert (ada["name"], ada["status"]) == ("Ada", "active")
