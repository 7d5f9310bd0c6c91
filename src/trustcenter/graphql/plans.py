"""Plans of the lean execution (``graphql.execution``): which fields of a selection set on
an object type each row can answer without graphql-core's field execution, and how.

A *plain leaf* is a field strawberry marks as basic (no resolver of ours, no permission, no
extension: an attribute read by strawberry's default resolver, ``getattr``) whose type is a
scalar or an enum: its value is the attribute, coerced by the type's own
``coerce_output_value``. An *object read* is an object-typed field whose value is an attribute
(a plain field, or a resolver that declares it answers one: ``nodes.answers``) checked by
strawberry's own type check. Everything is decided from the schema alone and remembered per
field, type or class; a row still goes the long way wherever its value is unusual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    get_nullable_type,
    is_leaf_type,
)
from strawberry.schema.schema_converter import CustomGraphQLEnumType, GraphQLCoreConverter
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


def plain_leaf(field: GraphQLField) -> tuple[GraphQLLeafType, str] | None:
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


def strawberry_checked(object_type: Any) -> bool:
    """An object type whose type check is strawberry's own (it takes no ``info``; none of
    ours): the type's ``is_type_of`` may be called as ``is_type_of(value, None)``."""
    own = getattr(object_type, "extensions", None) or {}
    return getattr(own.get(DEFINITION_BACKREF), "is_type_of", True) is None


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
    if (
        isinstance(object_type, GraphQLObjectType)
        and isinstance(definition, StrawberryField)
        and not field.args
        and not definition.extensions
        and strawberry_checked(object_type)
    ):
        if getattr(field.resolve, "_is_default", False) and definition.default_resolver is getattr:
            found = (object_type, definition.python_name, object_type.is_type_of)
        elif definition.base_resolver is not None and ANSWERS in (definition.metadata or {}):
            found = (object_type, definition.metadata[ANSWERS], object_type.is_type_of)
    _OBJECT[id(field)] = (field, found)
    return found


#: id(leaf type) -> (the type, the coercion plans use)
_COERCIONS: dict[int, tuple[GraphQLLeafType, Callable[[Any], Any]]] = {}


def _coercion(leaf: GraphQLLeafType) -> Callable[[Any], Any]:
    """The type's ``coerce_output_value``; for strawberry's enums, remembering each member's
    name: strawberry looks it up by comparing the member's value with every value of the
    enum, on every row, and finds the same name for the same member each time."""
    known = _COERCIONS.get(id(leaf))
    if known is not None and known[0] is leaf:
        return known[1]
    coerce = leaf.coerce_output_value
    if isinstance(leaf, CustomGraphQLEnumType):
        members = leaf.wrapped_cls
        names: dict[Any, Any] = {}

        def enum_name(value: Any, coerce: Callable[[Any], Any] = coerce) -> Any:
            if type(value) is not members:
                return coerce(value)
            name = names.get(value)
            if name is None:
                name = names[value] = coerce(value)
            return name

        coerce = enum_name
    _COERCIONS[id(leaf)] = (leaf, coerce)
    return coerce


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


def plan_of(parent_type: GraphQLObjectType, grouped_field_set: dict[str, Any]) -> Plan:
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
            plain = plain_leaf(field)
            read = None if plain is not None else _object_read(field)
        if plain is not None:
            leaf, attribute = plain
            on_view = _on_view(view_class, attribute)
            steps.append((key, attribute, _coercion(leaf), details, on_view, None))
        elif read is not None and field is not None:
            object_type, attribute, check = read
            on_view = _on_view(view_class, attribute)
            steps.append((key, attribute, None, details, on_view, (object_type, field.type, check)))
        else:
            steps.append((key, None, None, details, False, None))
    return steps, view_class
