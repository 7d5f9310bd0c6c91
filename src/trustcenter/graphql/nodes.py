"""Relay plumbing shared by the node types: ids out, rows in, visibility respected."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from strawberry.types import Info


def parse_uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw)
    except ValueError:
        return None


async def load_nodes(loader: Any, node_ids: Iterable[str], wrap: Any, required: bool) -> list[Any]:
    """Rows for the given ids through a visibility-checked loader; unseen ids are None."""
    ids = [parse_uuid(i) for i in node_ids]
    rows = await loader.load_many([i for i in ids if i is not None])
    found = iter(rows)
    out = [wrap(next(found)) if i is not None else None for i in ids]
    out = [None if (o is not None and o.row is None) else o for o in out]
    if required and any(o is None for o in out):
        raise ValueError("no such object")
    return out


def ctx(info: Info) -> Any:
    return info.context
