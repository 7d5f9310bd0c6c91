"""Every operation the console runs is a named GraphQL operation in
``src/trustcenter/web/console/operations/`` that validates against the committed
``schema.graphql``: a schema change that breaks the console fails here, before any page does.
Every operation a page runs exists, and every file is run by some page."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, build_schema, parse, validate

from trustcenter.web.console import operations

ROOT = Path(__file__).resolve().parents[2]
CONSOLE = ROOT / "src" / "trustcenter" / "web" / "console"
SCHEMA = build_schema((ROOT / "schema.graphql").read_text())


def _run_names() -> set[str]:
    """The operation names the console's modules pass to ``run`` as literals."""
    found: set[str] = set()
    for path in CONSOLE.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "run"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def test_the_console_has_its_operations() -> None:
    assert len(operations.names()) >= 10


@pytest.mark.parametrize("name", operations.names())
def test_each_operation_validates_against_the_committed_schema(name: str) -> None:
    document = parse(operations.operation(name))
    defined = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    assert len(defined) == 1, f"{name}.graphql must hold exactly one operation"
    assert defined[0].name is not None and defined[0].name.value == name
    assert validate(SCHEMA, document) == []


def test_a_field_the_schema_lacks_is_caught() -> None:
    """The check itself bites: an operation asking for a field that is not in the schema."""
    text = re.sub(r"\{", "{ noSuchField ", operations.operation(operations.names()[0]), count=1)
    assert validate(SCHEMA, parse(text)) != []


def test_pages_run_only_operations_that_exist_and_every_file_is_run() -> None:
    used = _run_names()
    assert used, "no page runs an operation"
    assert used - set(operations.names()) == set(), "pages run operations with no file"
    assert set(operations.names()) - used == set(), "operation files no page runs"


def test_an_unknown_or_path_like_name_is_refused() -> None:
    for bad in ("NoSuchOperation", "../schema", "Queue.graphql"):
        with pytest.raises(LookupError):
            operations.operation(bad)
