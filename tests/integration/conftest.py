"""Fixtures of the command-line tests: a fresh SQLite file per test and a click runner on it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from tests.integration.cli_helpers import Invoke
from trustcenter.cli import main


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
