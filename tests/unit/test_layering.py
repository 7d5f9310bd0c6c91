"""The layering of docs/architecture.md is a set of import-linter contracts in pyproject.toml.

The first test is the check itself on the real tree; the others prove that each contract
actually bites: a copy of the package with one forbidden import added is refused, and the
refusal names the contract and the import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "trustcenter"


def _lint(cwd: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = f"{pythonpath}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return subprocess.run(
        [sys.executable, "-c", "import sys, importlinter.cli as c; sys.exit(c.lint_imports())"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_every_layering_contract_holds_on_the_code() -> None:
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_contracts_cover_every_rule_the_architecture_states() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"
    ]
    by_id = {c["id"]: c for c in contracts}
    assert {"domain", "db", "services", "services-sql", "adapters", "graphql", "plugins"} <= set(
        by_id
    )
    assert "sqlalchemy" in by_id["domain"]["forbidden_modules"]
    assert "trustcenter.db" in by_id["adapters"]["forbidden_modules"]
    # the table in docs/architecture.md is written from these contracts: every name appears
    doc = (ROOT / "docs" / "architecture.md").read_text()
    for contract in contracts:
        assert contract["name"] in doc, contract["name"]


BREACHES = [
    # (module added to the copy, its import, the contract that must refuse it)
    ("domain/_breach.py", "import sqlalchemy", "The domain imports no framework"),
    ("domain/_breach.py", "from trustcenter.services import reads", "The domain imports no"),
    ("db/_breach.py", "from trustcenter.services import reads", "The database layer imports"),
    ("services/_breach.py", "from trustcenter.graphql import schema", "Services never import"),
    ("services/_breach.py", "from sqlalchemy import select", "only through the unit of work"),
    ("graphql/_breach.py", "from trustcenter.db import models", "never the database"),
    ("web/_breach.py", "from trustcenter.db.session import Database", "never the database"),
    ("graphql/_breach.py", "from trustcenter.bootstrap import build", "not from the composition"),
    ("plugins/builtin/_breach.py", "from trustcenter.db import models", "plugin API only"),
]


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package and its contracts copied aside, so a breach never touches the real tree."""
    where = tmp_path_factory.mktemp("layering")
    shutil.copytree(PACKAGE, where / "trustcenter", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    # the copy passes as it is, so what refuses it below is the breach alone (each test takes
    # its breach away again whatever happened: the copy stays clean for the next)
    clean = _lint(where, pythonpath=where)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    return where


@pytest.mark.parametrize(("module", "statement", "contract"), BREACHES)
def test_a_forbidden_import_breaks_its_contract(
    package_copy: Path, module: str, statement: str, contract: str
) -> None:
    breach = package_copy / "trustcenter" / module
    breach.write_text(f'"""A deliberate breach of the layering."""\n\n{statement}\n')
    try:
        result = _lint(package_copy, pythonpath=package_copy)
    finally:
        breach.unlink()
    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken
    assert f"trustcenter.{module[:-3].replace('/', '.')}" in broken
