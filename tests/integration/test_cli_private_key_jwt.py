"""``trustcenter client create --jwks FILE | --jwks-uri URL`` registers a private_key_jwt
client: no secret is printed, and the keys are refused when they are private."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from click.testing import CliRunner
from joserfc.jwk import ECKey

from trustcenter.cli import main


def _cli(db_url: str, *args: str):  # type: ignore[no-untyped-def]
    env = {
        "TRUSTCENTER_DATABASE_URL": db_url,
        "TRUSTCENTER_DATABASE_SCHEMA": None,
        "TRUSTCENTER_ISSUER": None,
        "TRUSTCENTER_ENV": None,
    }
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_client_create_with_jwks_or_jwks_uri(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    made = _cli(
        url,
        "agency",
        "create",
        "--name",
        "LKA",
        "--kind",
        "law_enforcement",
        "--country",
        "DE",
        "--json",
    )
    assert made.exit_code == 0, made.output
    agency_id = json.loads(made.stdout)["id"]
    key = ECKey.generate_key("P-256", parameters={"kid": "k1"})
    public = tmp_path / "jwks.json"
    public.write_text(json.dumps({"keys": [key.as_dict(private=False)]}))
    r = _cli(
        url,
        "client",
        "create",
        "--agency",
        agency_id,
        "--scopes",
        "requests:read",
        "--jwks",
        str(public),
        "--json",
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["client_secret"] is None
    assert out["token_endpoint_auth_method"] == "private_key_jwt"
    r = _cli(
        url,
        "client",
        "create",
        "--agency",
        agency_id,
        "--scopes",
        "requests:read",
        "--jwks-uri",
        "https://agency.example/jwks.json",
    )
    assert r.exit_code == 0, r.output
    assert "private_key_jwt (no secret)" in r.output
    with sqlite3.connect(tmp_path / "cli.db") as conn:
        rows = conn.execute(
            "SELECT auth_method, jwks, jwks_uri FROM oauth_clients ORDER BY created_at"
        ).fetchall()
    assert [row[0] for row in rows] == ["private_key_jwt", "private_key_jwt"]
    assert json.loads(rows[0][1])["keys"][0]["kid"] == "k1" and rows[0][2] is None
    assert rows[1][2] == "https://agency.example/jwks.json"
    private = tmp_path / "private.json"
    private.write_text(json.dumps({"keys": [key.as_dict(private=True)]}))
    r = _cli(
        url,
        "client",
        "create",
        "--agency",
        agency_id,
        "--scopes",
        "requests:read",
        "--jwks",
        str(private),
    )
    assert r.exit_code != 0
    assert "public key only" in r.output
