"""Views of a page of Core rows, read by position (docs/performance.md, GraphQL list).

``views.request_view`` reads a row's columns by name: on a Core row each name is a lookup in
the result's key map (about 0.7 µs; 21 of them a row). A page's rows share their columns, so
here the positions of the view's columns are found once per set of column names (a row's
``_fields``, as a named tuple has them) and each row is read by index, with the same
conversions: the status as the domain's enum, the category as its upper-case code. What a
row without ``_fields`` is (an ORM instance) is read by name, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import fields
from operator import itemgetter
from typing import Any

from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.domain.rules import category_code
from trustcenter.services.views import RequestView, request_view

#: the view's fields in order; the two converted ones are read apart
_NAMES = tuple(f.name for f in fields(RequestView))
_HEAD = _NAMES[: _NAMES.index("status")]
_TAIL = _NAMES[_NAMES.index("category") + 1 :]

#: a row's column names -> what reads a view's columns off such a row by position
_READERS: dict[tuple[str, ...], Callable[[Any], RequestView] | None] = {}


def _status(value: Any) -> RequestStatus:
    member = RequestStatus._value2member_map_.get(value)
    return member if type(member) is RequestStatus else RequestStatus(value)


#: the stored category -> its code (a handful of values)
_CODES: dict[str, str] = {}


def _code(stored: str) -> str:
    code = _CODES.get(stored)
    if code is None:
        code = category_code(stored)
        if len(_CODES) < 256:
            _CODES[stored] = code
    return code


def _reader(names: tuple[str, ...]) -> Callable[[Any], RequestView] | None:
    if not set(_NAMES) <= set(names):
        return None
    head = itemgetter(*(names.index(n) for n in _HEAD))
    tail = itemgetter(*(names.index(n) for n in _TAIL))
    status, category = names.index("status"), names.index("category")

    def read(row: Any) -> RequestView:
        values: tuple[Any, ...] = (*head(row), _status(row[status]), _code(row[category]))
        return RequestView(*values, *tail(row))

    return read


def request_views(rows: Sequence[Any]) -> list[RequestView]:
    """``[request_view(r) for r in rows]``, the same views, reading Core rows by position:
    the rows of one result (one statement's columns, the first row's ``_fields``)."""
    if not rows:
        return []
    names = getattr(rows[0], "_fields", None)
    if type(names) is not tuple:
        return [request_view(r) for r in rows]
    read = _READERS.get(names)
    if read is None and names not in _READERS:
        read = _READERS[names] = _reader(names)
    if read is None:
        return [request_view(r) for r in rows]
    return [read(r) for r in rows]
