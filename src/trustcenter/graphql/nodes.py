"""Relay plumbing shared by the node types: ids in, views out, visibility respected."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.relay.utils import to_base64
from strawberry.types import Info
from strawberry.types.nodes import SelectedField, Selection

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


def selects(selections: Sequence[Selection], path: Sequence[str]) -> bool:
    """Whether the selections ask for the field at ``path`` (field names, fragments looked
    into): ``selects(info.selected_fields, ("requests", "edges", "node", "agency"))``."""
    if not path:
        return True
    for selection in selections:
        if isinstance(selection, SelectedField):
            if selection.name == path[0] and selects(selection.selections, path[1:]):
                return True
        elif selects(selection.selections, path):  # a fragment: the same level
            return True
    return False


#: (the ids of a field's nodes, a path) -> (the nodes, kept so their ids stay theirs; the answer)
_ASKED: dict[tuple[tuple[int, ...], tuple[str, ...]], tuple[tuple[Any, ...], bool]] = {}


def asks_for(info: Info, path: tuple[str, ...]) -> bool:
    """``selects(info.selected_fields, (info.field_name, *path))``, remembered per field's
    nodes: the answer depends on the query's text alone (names and fragments, no variable), and
    a text's parsed document is kept (``document_cache``), so the same nodes come back. Spares
    converting the whole selection into strawberry's ``SelectedField`` tree on every request."""
    nodes = tuple(info._raw_info.field_nodes)
    key = (tuple(map(id, nodes)), path)
    known = _ASKED.get(key)
    if known is not None and all(a is b for a, b in zip(known[0], nodes, strict=True)):
        return known[1]
    answer = selects(info.selected_fields, (info.field_name, *path))
    if len(_ASKED) >= 512:  # texts parsed anew each time (not in the document table)
        _ASKED.clear()
    _ASKED[key] = (nodes, answer)
    return answer


#: the description strawberry's ``Node.id`` carries (the schema keeps it word for word)
NODE_ID_DESCRIPTION = "The Globally Unique ID of this object"


class ViewFields:
    """Plain fields read straight off the wrapped view.

    A type that wraps a view (``view: strawberry.Private[...]``) declares the fields that only
    repeat one of the view's attributes as plain fields (:func:`plain`): strawberry then reads
    them with ``getattr`` — no resolver call, no ``Info``, no argument handling per field — and
    this class answers that ``getattr`` from the view. A node's ``id`` is one of them
    (:func:`node_id`), computed from the view's id without strawberry's resolver.
    """

    #: the GraphQL type name of the node's global id (set by node types)
    node_type: ClassVar[str] = ""
    #: what ``strawberry.cast`` would have set (it still sets its own on an instance): strawberry
    #: asks for it on every row it completes (``is_type_of``), and found on the class the
    #: question costs no ``__getattr__`` call and no AttributeError raised and caught
    __as_strawberry_type__: ClassVar[type | None] = None

    def __getattr__(self, name: str) -> Any:
        view = self.__dict__.get("view")
        if view is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(view, name)

    @property
    def _id(self) -> Any:  # the global id, already encoded (a str)
        # shadows ``relay.Node._id`` (the resolver strawberry would call with ``Info``)
        return to_base64(self.node_type, str(self.__dict__["view"].id))


#: the metadata key of a resolver field that answers an attribute (:func:`answers`)
ANSWERS = "trustcenter.answers"


def answers(attribute: str) -> dict[str, str]:
    """Field metadata: the resolver returns the object's ``attribute`` whenever that is not
    None (a list read it for its whole page), so the lean execution reads the attribute and
    calls the resolver only when it is None (``graphql.execution``)."""
    return {ANSWERS: attribute}


def plain(description: str | None = None, name: str | None = None) -> Any:
    """A field whose value is the view's attribute of the same (Python) name."""
    return _outside_init(strawberry.field(description=description, name=name))


def node_id() -> Any:
    """The ``id`` field of a node type, as plain as the others: ``to_base64(type, view.id)``."""
    return _outside_init(strawberry.field(name="id", description=NODE_ID_DESCRIPTION))


def _outside_init(field: Any) -> Any:
    # a dataclass field left out of ``__init__`` (strawberry's own ``init`` flag is only a
    # hint to type checkers): the type is made from its view alone
    field.init = False
    return field
