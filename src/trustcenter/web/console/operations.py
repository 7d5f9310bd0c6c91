"""The console's GraphQL operations: one ``.graphql`` file per operation, named as the file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

FOLDER = Path(__file__).parent / "operations"


def names() -> list[str]:
    """Every operation the console may run, by name."""
    return sorted(p.stem for p in FOLDER.glob("*.graphql"))


@cache
def operation(name: str) -> str:
    """The text of the operation ``name`` (``operations/<name>.graphql``)."""
    path = FOLDER / f"{name}.graphql"
    if not name.isidentifier() or not path.is_file():
        raise LookupError(f"the console has no operation {name!r}")
    return path.read_text(encoding="utf-8")
