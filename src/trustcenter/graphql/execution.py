"""Lean execution of plain leaf fields (docs/performance.md, GraphQL list).

graphql-core resolves every field the same way: it builds a ``GraphQLResolveInfo``, reads
the field's arguments, calls the resolver, asks twice whether the result is awaitable and
dispatches on the return type to serialise it. For a field strawberry marks as basic (no
resolver of ours, no permission, no extension: an attribute read by strawberry's default
resolver) returning a scalar or an enum, none of that is needed: this execution context
reads the attribute strawberry's default resolver (``getattr``) would read and calls the
type's own ``serialize``, exactly what the long way ends with. Whatever is unusual — a
``null``, a value the scalar refuses, an exception, arguments, field middleware — goes the
long way, so errors read as before.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLObjectType,
    Undefined,
    get_nullable_type,
    is_leaf_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

DEFINITION_BACKREF = GraphQLCoreConverter.DEFINITION_BACKREF

#: id(field) -> (the field, its leaf type and the attribute strawberry reads, or None when
#: it must go the long way)
_PLAIN: dict[int, tuple[GraphQLField, tuple[GraphQLLeafType, str] | None]] = {}


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


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the short way for plain leaf fields."""

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
                            serialized = leaf.serialize(value)
                        except Exception:
                            serialized = None
                        if serialized is not None and serialized is not Undefined:
                            return serialized
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
