"""Shared by the command-line tests: every command the ``trustcenter`` command has, and reading
what a command printed or stored.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import Result

from trustcenter.cli import main

REPO = Path(__file__).resolve().parents[2]
SCHEMA_FILE = REPO / "schema.graphql"

Invoke = Callable[..., Result]
#: the tests that start from the ``demo_cli`` fixture run on one worker: the demo is played once
DEMO_GROUP = pytest.mark.xdist_group("cli-demo")


def _every_command(group: click.Group = main, path: tuple[str, ...] = ()) -> Iterator[list[str]]:
    yield list(path)
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _every_command(command, (*path, name))
        else:
            yield [*path, name]


#: every group and command the ``trustcenter`` command has, found by walking it
COMMANDS = list(_every_command())


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
