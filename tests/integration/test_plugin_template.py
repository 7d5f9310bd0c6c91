"""``trustcenter plugin new``: the project it writes is formatted and linted as it stands, with
the ruff settings it carries in its own pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from trustcenter.plugins.template import create


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - this interpreter's ruff, our own arguments
        [sys.executable, "-m", "ruff", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("name", "jurisdiction"), [("nl", "NL"), ("us-ca", "US-CA")])
def test_the_generated_project_passes_ruff_format_and_ruff_check(
    tmp_path: Path, name: str, jurisdiction: str
):
    root = create(name, jurisdiction, tmp_path)
    formatted = ruff(root, "format", "--check", "--no-cache", ".")
    assert formatted.returncode == 0, formatted.stdout + formatted.stderr
    linted = ruff(root, "check", "--no-cache", ".")
    assert linted.returncode == 0, linted.stdout + linted.stderr
    python = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.py"))
    assert f"src/trustcenter_{name.replace('-', '_')}/plugin.py" in python
    assert "tests/test_plugin.py" in python
