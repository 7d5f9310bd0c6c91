"""``trustcenter client``, driven through click against a fresh SQLite file per test: clients for
agencies and staff, the secret printed once, and that the printed secret obtains a token from
the API (and a wrong or suspended one does not).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.cli_helpers import Invoke, _create_agency, _json, _rows
from trustcenter.bootstrap import build
from trustcenter.config import Settings
from trustcenter.web.app import create_app

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
    bare_cli: Invoke, db_file: Path, who: list[str]
) -> None:
    result = bare_cli("client", "create", *who, "--scopes", "review")
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
