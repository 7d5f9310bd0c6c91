"""Fixtures of the command-line tests: a SQLite file per test (at the current revision, or not
there yet, or with the demo loaded) and a click runner on it."""

from __future__ import annotations

import shutil
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


def _invoker(db_url: str) -> Invoke:
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


@pytest.fixture(scope="session")
def upgraded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file as ``trustcenter db upgrade`` leaves it, made once per process: bringing
    an empty file to the current revision costs some hundred milliseconds, and most command
    tests are not about that (``test_cli_database.py`` is, on a file that does not exist)."""
    path = tmp_path_factory.mktemp("cli-upgraded") / "cli.db"
    result = _invoker(f"sqlite+aiosqlite:///{path}")("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert not path.with_name(path.name + "-wal").exists()  # all of it is in the file
    return path


@pytest.fixture
def bare_cli(db_url: str) -> Invoke:
    """The ``trustcenter`` command on a database file that does not exist yet."""
    return _invoker(db_url)


@pytest.fixture
def cli(db_url: str, db_file: Path, upgraded_file: Path) -> Invoke:
    """The ``trustcenter`` command on a database at the current revision with nothing in it, as
    ``db upgrade`` (or any first command) leaves a new file."""
    shutil.copyfile(upgraded_file, db_file)
    return _invoker(db_url)


@pytest.fixture(scope="session")
def demo_file(upgraded_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file as ``trustcenter demo`` leaves a new one, made once per process: the demo
    plays every request through the services (seconds of work), and the tests that need its
    data are about the commands run after it (mark them ``DEMO_GROUP``)."""
    path = tmp_path_factory.mktemp("cli-demo") / "cli.db"
    shutil.copyfile(upgraded_file, path)
    result = _invoker(f"sqlite+aiosqlite:///{path}")("demo")
    assert result.exit_code == 0, result.output
    assert not path.with_name(path.name + "-wal").exists()  # all of it is in the file
    return path


@pytest.fixture
def demo_cli(db_url: str, db_file: Path, demo_file: Path) -> Invoke:
    """The ``trustcenter`` command on a database as ``trustcenter demo`` leaves a new file."""
    shutil.copyfile(demo_file, db_file)
    return _invoker(db_url)
