"""Lean execution of plain leaf fields (docs/performance.md, GraphQL list).

graphql-core resolves every field the same way: it builds a ``GraphQLResolveInfo``, reads
the field's arguments, calls the resolver, asks twice whether the result is awaitable and
dispatches on the return type to serialise it. For a field strawberry marks as basic (no
resolver of ours, no permission, no extension: an attribute read by strawberry's default
resolver) returning a scalar or an enum, none of that is needed: this execution context
reads the attribute strawberry's default resolver (``getattr``) would read and calls the
type's own ``coerce_output_value``, exactly what the long way ends with. Whatever is unusual —
a ``null``, a value the scalar refuses, an exception, arguments, directives, field middleware —
goes the long way, so errors read as before.

A list repeats one selection set per row, so the decision is made once per selection set and
object type (a *plan*, kept for the operation): each row's result is then built in one loop
over the plan, the plain fields read and serialised in place, the others (and a plain one
whose value is unusual) handed to graphql-core's ``execute_field`` one by one, in the
response's order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeGuard

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from trustcenter.graphql.nodes import ANSWERS, ViewFields

DEFINITION_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF

#: id(field) -> (the field, its leaf type and the attribute strawberry reads, or None when
#: it must go the long way)
_PLAIN: dict[int, tuple[GraphQLField, tuple[GraphQLLeafType, str] | None]] = {}

#: one response key of a plan: the key, the attribute read (None: the long way), the coercion
#: of a leaf, the field's details, whether the attribute is one ``ViewFields.__getattr__``
#: answers from the view (read there directly), and for an object field its type, the field's
#: type and the type check
Step = tuple[str, str | None, Callable[[Any], Any] | None, Any, bool, tuple[Any, ...] | None]
#: the steps, and the Python class whose rows may read their view directly (or None)
Plan = tuple[list[Step], type | None]
#: an object field's row: its object type, the attribute read, strawberry's type check
ObjectRead = tuple[GraphQLObjectType, str, Callable[[Any, Any], Any] | None]

_long_way = StrawberryGraphQLCoreExecutionContext.execute_field


def _plain_leaf(field: GraphQLField) -> tuple[GraphQLLeafType, str] | None:
    known = _PLAIN.get(id(field))
    if known is not None and known[0] is field:
        return known[1]
    nullable = get_nullable_type(field.type)
    definition = (field.extensions or {}).get(DEFINITION_BACKREF)
    plain = (
        getattr(field.resolve, "_is_default", False)
        and not field.args
        and isinstance(definition, StrawberryField)
        and definition.default_resolver is getattr  # the configured default: an attribute
        and is_leaf_type(nullable)
    )
    found = (nullable, definition.python_name) if plain else None  # type: ignore[union-attr]
    _PLAIN[id(field)] = (field, found)  # type: ignore[assignment]
    return found  # type: ignore[return-value]


#: id(field) -> (the field, what an object field's row reads: its object type, the attribute
#: and the type check; None when it must go the long way)
_OBJECT: dict[int, tuple[GraphQLField, ObjectRead | None]] = {}


def _object_read(field: GraphQLField) -> ObjectRead | None:
    """An object-typed field answered by an attribute: a plain one (strawberry's default
    resolver) or one whose resolver declares it answers an attribute when that is not None
    (``nodes.answers``). Strawberry's own type check takes no ``info``; a type with its own
    ``is_type_of``, an abstract type or a field with arguments or extensions goes the long
    way."""
    known = _OBJECT.get(id(field))
    if known is not None and known[0] is field:
        return known[1]
    found: ObjectRead | None = None
    object_type = get_nullable_type(field.type)
    definition = (field.extensions or {}).get(DEFINITION_BACKREF)
    own = getattr(object_type, "extensions", None) or {}
    if (
        isinstance(object_type, GraphQLObjectType)
        and isinstance(definition, StrawberryField)
        and not field.args
        and not definition.extensions
        and getattr(own.get(DEFINITION_BACKREF), "is_type_of", True) is None  # strawberry's
    ):
        if getattr(field.resolve, "_is_default", False) and definition.default_resolver is getattr:
            found = (object_type, definition.python_name, object_type.is_type_of)
        elif definition.base_resolver is not None and ANSWERS in (definition.metadata or {}):
            found = (object_type, definition.metadata[ANSWERS], object_type.is_type_of)
    _OBJECT[id(field)] = (field, found)
    return found


def _view_class(parent_type: GraphQLObjectType) -> type | None:
    definition = (parent_type.extensions or {}).get(DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, ViewFields) else None


def _on_view(cls: type | None, attribute: str) -> bool:
    """Whether ``getattr(row, attribute)`` on a row of exactly ``cls`` ends in
    ``ViewFields.__getattr__`` (no class in its MRO defines it): the view's attribute."""
    if cls is None or attribute.startswith("__"):
        return False
    known = _ON_VIEW.get((cls, attribute))
    if known is None:
        known = _ON_VIEW[cls, attribute] = not any(attribute in vars(k) for k in cls.__mro__)
    return known


#: (class, attribute) -> whether rows of the class read the attribute from their view
_ON_VIEW: dict[tuple[type, str], bool] = {}


def _plan(parent_type: GraphQLObjectType, grouped_field_set: dict[str, Any]) -> Plan:
    """Each response key in order: plain (attribute and coercion) or the long way."""
    steps: list[Step] = []
    view_class = _view_class(parent_type)
    fields = parent_type.fields
    for key, details in grouped_field_set.items():
        node = details[0].node
        field = fields.get(node.name.value)
        plain = read = None
        if (
            field is not None
            and not node.arguments
            and not any(d.node.directives or d.defer_usage for d in details)
        ):
            plain = _plain_leaf(field)
            read = None if plain is not None else _object_read(field)
        if plain is not None:
            leaf, attribute = plain
            on_view = _on_view(view_class, attribute)
            steps.append((key, attribute, leaf.coerce_output_value, details, on_view, None))
        elif read is not None and field is not None:
            object_type, attribute, check = read
            on_view = _on_view(view_class, attribute)
            steps.append((key, attribute, None, details, on_view, (object_type, field.type, check)))
        else:
            steps.append((key, None, None, details, False, None))
    return steps, view_class


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the short way for plain leaf fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: id(grouped field set) -> (the set, kept alive so its id stays its own; its plan)
        self._plans: dict[int, tuple[Any, Plan | None]] = {}
        self.is_awaitable = _views_first(self.is_awaitable)

    def _plan_for(self, parent_type: GraphQLObjectType, grouped: Any) -> Plan | None:
        known = self._plans.get(id(grouped))
        if known is not None and known[0] is grouped:
            return known[1]
        manager = self.middleware_manager
        plan = None if manager is not None and manager.middlewares else _plan(parent_type, grouped)
        if plan is not None and all(step[1] is None for step in plan[0]):
            plan = None  # nothing plain: graphql-core's own loop
        self._plans[id(grouped)] = (grouped, plan)
        return plan

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        plan = None
        if position_context is None:  # no incremental delivery under way here
            plan = self._plan_for(parent_type, grouped_field_set)
        if plan is None:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        steps, view_class = plan
        results: dict[str, Any] = {}
        awaitable_fields: list[str] = []
        is_awaitable = self.is_awaitable
        type_name = parent_type.name
        own: dict[str, Any] = {}
        view = None
        if view_class is not None and type(source_value) is view_class:
            own = source_value.__dict__
            view = own.get("view")
        try:
            for key, attribute, coerce, details, on_view, obj in steps:
                if coerce is not None:
                    try:
                        if on_view and view is not None and attribute not in own:
                            value = getattr(view, attribute)  # type: ignore[arg-type]
                        else:
                            value = getattr(source_value, attribute)  # type: ignore[arg-type]
                        out = None if value is None else coerce(value)
                    except Exception:
                        out = None
                    if out is not None and out is not Undefined:
                        results[key] = out
                        continue
                elif obj is not None:
                    out = self._object_row(source_value, view, own, on_view, attribute, obj)
                    if out is not None:
                        result = self._complete_object(
                            obj, details, Path(path, key, type_name), out
                        )
                        results[key] = result
                        if is_awaitable(result):
                            awaitable_fields.append(key)
                        continue
                result = _long_way(
                    self, parent_type, source_value, details, Path(path, key, type_name),
                    position_context,
                )  # fmt: skip
                if result is not Undefined:
                    results[key] = result
                    if is_awaitable(result):
                        awaitable_fields.append(key)
        except Exception:
            if awaitable_fields:  # as graphql-core: settle the siblings already started
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results
        return _gathered(results, awaitable_fields)

    @staticmethod
    def _object_row(
        source: Any, view: Any, own: dict[str, Any], on_view: bool, attribute: Any, obj: Any
    ) -> Any:
        """The object an object field answers, if it is an instance its type check accepts;
        else None (the long way: its null, its error, its resolver)."""
        try:
            if on_view and view is not None and attribute not in own:
                value = getattr(view, attribute)
            else:
                value = getattr(source, attribute)
            if value is None or isinstance(value, Exception):
                return None
            check = obj[2]
            return value if check is None or check(value, None) is True else None
        except Exception:
            return None

    def _complete_object(self, obj: Any, details: Any, path: Path, value: Any) -> Any:
        """What graphql-core's ``execute_field`` does with an object it resolved and checked:
        its selection set executed, an error there handled as the field's own."""
        object_type, field_type, _ = obj
        try:
            completed = self.collect_and_execute_subfields(object_type, details, path, value, None)
        except Exception as raw_error:
            self.handle_field_error(raw_error, field_type, details, path)
            return None
        if self.is_awaitable(completed):
            return self._settled(completed, field_type, details, path)
        return completed

    async def _settled(self, completed: Any, field_type: Any, details: Any, path: Path) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field_type, details, path)
            return None

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is None or not manager.middlewares:
            node = field_details_list[0].node
            field = parent_type.fields.get(node.name.value)
            if field is not None and not node.arguments:
                plain = _plain_leaf(field)
                if plain is not None:
                    leaf, attribute = plain
                    try:
                        value = getattr(source, attribute)
                    except Exception:
                        value = None
                    if value is not None:
                        try:
                            serialized = leaf.coerce_output_value(value)
                        except Exception:
                            serialized = None
                        if serialized is not None and serialized is not Undefined:
                            return serialized
        return _long_way(self, parent_type, source, field_details_list, path, position_context)


#: class -> whether its instances are never awaitable, known without asking ``hasattr``
_NEVER_AWAITABLE: dict[type, bool] = {}
_PLAIN_DATA = frozenset({dict, list, tuple, str, int, float, bool, type(None)})


def _never_awaitable(cls: type) -> bool:
    """Plain data, or a ``ViewFields`` type: no class in its MRO defines ``__await__`` and its
    ``__getattr__`` refuses every dunder name, so ``hasattr(row, "__await__")`` (the last of
    the checks ``is_awaitable`` makes, the others false for it too) would raise and catch an
    AttributeError through a Python ``__getattr__`` call only to say False."""
    known = cls in _PLAIN_DATA or (
        issubclass(cls, ViewFields) and not any("__await__" in vars(k) for k in cls.__mro__)
    )
    _NEVER_AWAITABLE[cls] = known
    return known


def _views_first(
    is_awaitable: Callable[[Any], TypeGuard[Awaitable[Any]]],
) -> Callable[[Any], TypeGuard[Awaitable[Any]]]:
    def views_first(value: Any) -> TypeGuard[Awaitable[Any]]:
        cls = type(value)
        known = _NEVER_AWAITABLE.get(cls)
        if known is None:
            known = _never_awaitable(cls)
        return False if known else is_awaitable(value)

    return views_first


async def _gathered(results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
    """graphql-core's ``execute_fields`` ending: the awaitable fields awaited together."""
    if len(awaitable_fields) == 1:
        field = awaitable_fields[0]
        results[field] = await results[field]
    else:
        awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
        results.update(zip(awaitable_fields, awaited, strict=True))
    return results
