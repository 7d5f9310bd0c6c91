"""A list of objects completed in one loop (docs/performance.md, GraphQL list).

graphql-core completes a list item by item: for each a path, ``complete_value``, the item's
type check, its sub-selection collected (memoised) and executed field by field — three levels
of that per row for ``edges { node { … agency { name } } }``, even with a plan per selection
set (``graphql.plans``). When every field the items' selection asks for, at every level, is a
plain leaf, ``__typename`` or an object read whose own selection is plain as well, the list is
a *program*: each item's result is built by reading attributes and coercing them, nested
objects included, in the response's order.

Running a program changes nothing (it reads attributes and coerces values), so whatever is
unusual about any item — an awaitable or failed type check, an exception, a ``null`` where the
schema forbids one, a value the scalar refuses, an object read that would call its resolver —
abandons the program for the whole list, which then takes graphql-core's way from its first
item: the same results, the same errors in the same order. ``tests/unit/test_lean_execution``
compares both on lists with every one of those.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import GraphQLObjectType, Undefined, is_non_null_type

from trustcenter.graphql.plans import plan_of

#: a step of a program: (kind, response key, attribute, whether it is read off the view,
#: the leaf's coercion or the object's type check, whether the leaf may be null or the
#: object's program)
Step = tuple[int, str, str, bool, Any, Any]
#: the class whose rows read their view directly (or None), and the steps in response order
Program = tuple[type | None, tuple[Step, ...]]

LEAF, TYPENAME, OBJECT = 0, 1, 2


class Unusual(Exception):
    """An item the program does not answer as graphql-core would: take graphql-core's way."""


#: the collected sub-selection of an object type for a field group (the executor's own,
#: memoised): ``collect_subfields(object_type, field_details_list)``
Collect = Callable[[GraphQLObjectType, Any], Any]


def compile_program(
    object_type: GraphQLObjectType, details: Any, collect: Collect
) -> Program | None:
    """The program answering ``details``' selection on ``object_type``; None when some field
    at some level goes the long way."""
    grouped, new_defers, _ = collect(object_type, details)
    if new_defers:
        return None
    steps: list[Step] = []
    plan_steps, view_class = plan_of(object_type, grouped)
    fields = object_type.fields
    for (key, attribute, coerce, field_details, on_view, obj), (_, group) in zip(
        plan_steps, grouped.items(), strict=True
    ):
        node = group[0].node
        if coerce is not None and attribute is not None:
            nullable = not is_non_null_type(fields[node.name.value].type)
            steps.append((LEAF, key, attribute, on_view, coerce, nullable))
        elif obj is not None and attribute is not None:
            inner_type, _, check = obj
            inner = compile_program(inner_type, field_details, collect)
            if inner is None:
                return None
            steps.append((OBJECT, key, attribute, on_view, check, inner))
        elif (
            node.name.value == "__typename"
            and not node.arguments
            and not any(d.node.directives or d.defer_usage for d in group)
        ):
            steps.append((TYPENAME, key, object_type.name, False, None, None))
        else:
            return None
    return view_class, tuple(steps)


def run(program: Program, source: Any) -> dict[str, Any]:
    """One object's result; raises ``Unusual`` (or what a read raised) where the long way
    would do anything but read and coerce."""
    view_class, steps = program
    own: Any = ()
    view = None
    if view_class is not None and type(source) is view_class:
        own = source.__dict__
        view = own.get("view")
    result: dict[str, Any] = {}
    for kind, key, attribute, on_view, how, more in steps:
        if kind == TYPENAME:
            result[key] = attribute
            continue
        if on_view and view is not None and attribute not in own:
            value = getattr(view, attribute)
        else:
            value = getattr(source, attribute)
        if kind == LEAF:
            if value is None:
                if not more:  # graphql-core: a non-null field's error
                    raise Unusual
                result[key] = None
                continue
            out = how(value)
            if out is None or out is Undefined:
                raise Unusual
            result[key] = out
        else:
            if value is None or (how is not None and how(value, None) is not True):
                raise Unusual
            result[key] = run(more, value)
    return result


def run_list(program: Program, check: Any, items: list[Any], awaitable: Any) -> list[Any]:
    """Each item's result, checked as graphql-core checks it; raises where it would not."""
    out = []
    for item in items:
        if item is None or awaitable(item):
            raise Unusual
        if check is not None and check(item, None) is not True:
            raise Unusual
        out.append(run(program, item))
    return out


#: whether an operation (with the fragments it may use) carries any directive: id(operation)
#: -> (the operation and fragments, kept so the id stays theirs; the answer)
_DIRECTED: dict[int, tuple[Any, Any, bool]] = {}
#: programs kept across requests, for operations without a directive: (id(object type), ids
#: of the field group's nodes) -> (the type and the nodes, kept so the ids stay theirs; the
#: program)
_KEPT: dict[tuple[int, tuple[int, ...]], tuple[Any, tuple[Any, ...], Any]] = {}


def _any_directive(node: Any) -> bool:
    if getattr(node, "directives", None):
        return True
    selection_set = getattr(node, "selection_set", None)
    return selection_set is not None and any(_any_directive(s) for s in selection_set.selections)


def directed(operation: Any, fragment_definitions: dict[str, Any]) -> bool:
    """Whether the operation or a fragment of its document carries a directive (``@skip``,
    ``@include``, ``@defer``…): then what a selection collects may depend on the variables,
    and a program is made for each execution."""
    known = _DIRECTED.get(id(operation))
    if known is not None and known[0] is operation and known[1] is fragment_definitions:
        return known[2]
    found = _any_directive(operation) or any(
        _any_directive(f) for f in fragment_definitions.values()
    )
    if len(_DIRECTED) >= 256:
        _DIRECTED.clear()
    _DIRECTED[id(operation)] = (operation, fragment_definitions, found)
    return found


def kept_program(object_type: Any, details: Any, make: Callable[[], Any]) -> Any:
    """The program for this type and field group made once for the nodes of a parsed document
    (the table of recent texts keeps the document, so the same nodes come back): what the
    selection collects then depends on the document alone."""
    nodes = tuple(d.node for d in details)
    key = (id(object_type), tuple(map(id, nodes)))
    known = _KEPT.get(key)
    if (
        known is not None
        and known[0] is object_type
        and all(a is b for a, b in zip(known[1], nodes, strict=True))
    ):
        return known[2]
    program = make()
    if len(_KEPT) >= 512:
        _KEPT.clear()
    _KEPT[key] = (object_type, nodes, program)
    return program
