"""Relay plumbing shared by the node types: ids in, views out, visibility respected."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from strawberry import relay
from strawberry.types import Info

#: an id nothing has: an unparsable id sent to a service reads as "no such object"
MISSING = uuid.UUID(int=0)


def parse_id(raw: relay.GlobalID | str | None, type_name: str | None = None) -> uuid.UUID | None:
    """The UUID an id carries: a global id (of ``type_name``, when given) or a plain id; None
    when it carries none (another type's global id, or not a UUID)."""
    if raw is None:
        return None
    if isinstance(raw, relay.GlobalID):
        if type_name is not None and raw.type_name != type_name:
            return None
        raw = raw.node_id
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


async def load_nodes(loader: Any, node_ids: Iterable[str], wrap: Any, required: bool) -> list[Any]:
    """Views for the given ids through a visibility-checked loader; unseen ids are None."""
    ids = [parse_id(i) for i in node_ids]
    views = await loader.load_many([i for i in ids if i is not None])
    found = iter(views)
    out = [wrap(next(found)) if i is not None else None for i in ids]
    out = [None if (o is not None and o.view is None) else o for o in out]
    if required and any(o is None for o in out):
        raise ValueError("no such object")
    return out


def ctx(info: Info) -> Any:
    return info.context
