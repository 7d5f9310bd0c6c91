"""A cheaper conversion of a large nested input into its input classes.

strawberry converts an argument's coerced value (graphql-core has already checked it and
applied the defaults) into the input classes field by field with ``convert_argument``: per field
of every nested object it resolves the field's annotation, asks whether the type is a scalar, an
enum, a list or an input, and, per call, imports. ``fast_input`` works that out once per input
class, on first use, into a plan, and then only builds the objects: the same classes, the same
values, the same ``None`` for the nullable fields without a default. Any type the plan does not
cover (a global id, a lazy type, ``Maybe``, an input that builds itself) is handed back to
strawberry's own conversion. The conversion raises nothing for a value graphql-core accepted,
so bad input keeps its errors, which graphql-core reports before any conversion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

from strawberry.relay.types import GlobalID
from strawberry.types.arguments import InputContext, _is_leaf_type
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    StrawberryType,
    has_object_definition,
)
from strawberry.types.enum import has_enum_definition
from strawberry.types.unset import UNSET

Convert = Callable[[Any, InputContext, tuple[str | int, ...]], Any]


def _leaf(value: Any, context: InputContext, path: tuple[str | int, ...]) -> Any:
    return value


def _strawberry(type_: StrawberryType | type) -> Convert:
    """The field converted by strawberry itself (the types the plan leaves to it)."""

    def convert(value: Any, context: InputContext, path: tuple[str | int, ...]) -> Any:
        return dataclasses.replace(context, path=path).convert(value, type_)

    return convert


def _plan(type_: StrawberryType | type, context: InputContext) -> Convert:
    registry = context.scalar_registry
    if isinstance(type_, StrawberryMaybe):
        return _strawberry(type_)
    if isinstance(type_, StrawberryOptional):
        return _plan(type_.of_type, context)
    if isinstance(type_, StrawberryList):
        item = type_.of_type
        if isinstance(item, StrawberryOptional):
            item = item.of_type
        if item is not GlobalID and _is_leaf_type(item, registry):
            # copied: graphql-core hands every request that omits it the same default list
            return lambda value, context, path: (
                value if value is None or value is UNSET else list(value)
            )
        each = _plan(type_.of_type, context)
        return lambda value, context, path: (
            value
            if value is None or value is UNSET
            else [each(x, context, (*path, i)) for i, x in enumerate(value)]
        )
    if type_ is not GlobalID and (_is_leaf_type(type_, registry) or has_enum_definition(type_)):
        return _leaf
    if has_object_definition(type_):
        definition: StrawberryObjectDefinition = type_.__strawberry_definition__
        if definition.is_input and definition.from_input is None:
            return _object(type_, definition, context)
    return _strawberry(type_)


def _object(cls: type, definition: StrawberryObjectDefinition, context: InputContext) -> Convert:
    """The plan of an input class: per GraphQL name, its Python name and its conversion."""
    names = context.config.name_converter
    unset = {
        f.python_name: None
        for f in definition.fields
        if f.default_value is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }
    fields = [
        (
            names.from_field(f),
            f.python_name,
            _plan(f.resolve_type(type_definition=definition), context),
        )
        for f in definition.fields
    ]

    def build(value: Any, context: InputContext, path: tuple[str | int, ...]) -> Any:
        if value is None or value is UNSET:
            return value
        kwargs = dict(unset)
        for graphql_name, python_name, convert in fields:
            if graphql_name in value:
                kwargs[python_name] = convert(value[graphql_name], context, (*path, graphql_name))
        return cls(**kwargs)

    return build


def fast_input(cls: type) -> type:
    """Convert ``cls`` (a ``strawberry.input``) and the inputs nested in it by a plan made on
    first use instead of strawberry's field-by-field conversion. strawberry's rule against an
    explicit null in a ``Maybe`` field skips a class that builds itself: give such a class no
    ``Maybe`` field (none of the submission's inputs has one)."""
    definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    plans: dict[type, Convert] = {}

    def from_input(target: type, value: Mapping[str, Any], context: InputContext) -> Any:
        plan = plans.get(target)
        if plan is None:
            target_definition = target.__strawberry_definition__  # type: ignore[attr-defined]
            plan = plans[target] = _object(target, target_definition, context)
        return plan(value, context, context.path)

    definition.from_input = from_input
    return cls
