"""List caps: how many items each list input takes, checked before anything is coerced.

One table names the cap of every list input (``Type.field`` for a field of an input type,
``Type.field(argument)`` for an argument); a list the table does not name takes
``DEFAULT_LIST_CAP`` items. Lists written in the document are checked by a validation rule;
lists sent in variables are checked against the same table before execution, so neither
strawberry nor the database ever sees a list longer than its cap (both run by
``document_limits.DocumentLimits``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    FieldNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    ListValueNode,
    ObjectFieldNode,
    OperationDefinitionNode,
    ValidationRule,
    VariableNode,
    get_named_type,
    get_operation_ast,
    type_from_ast,
)
from strawberry.types import ExecutionContext

from trustcenter.domain import enums as d
from trustcenter.domain.jurisdiction import MAX_GRANTS
from trustcenter.domain.submission import MAX_TARGETS
from trustcenter.graphql.document_cache import VariableCaps

#: a request names at most MAX_TARGETS targets, each with every information type once
MAX_ITEMS = MAX_TARGETS * len(d.InfoType)
#: the lists a filter or an admin input takes
MAX_FILTER_VALUES = 100
MAX_DOCUMENTS = 20
DEFAULT_LIST_CAP = 100

LIST_CAPS: dict[str, int] = {
    "SubmitRequestInput.targets": MAX_TARGETS,
    "TargetInput.infoTypes": len(d.InfoType),
    "DecideRequestInput.decisions": MAX_ITEMS,
    "LegalBasisInput.documentIds": MAX_DOCUMENTS,
    "AnswerClarificationInput.documentIds": MAX_DOCUMENTS,
    "RequestFilterInput.status": MAX_FILTER_VALUES,
    "RequestFilterInput.category": MAX_FILTER_VALUES,
    "RequestFilterInput.country": MAX_FILTER_VALUES,
    "CreateVendorInput.infoTypes": len(d.InfoType),
    "VerifyAgencyInput.jurisdictions": MAX_GRANTS,
}


GRAPHQL_INPUT_TYPES = (GraphQLNonNull, GraphQLList, GraphQLInputObjectType, GraphQLScalarType,
                       GraphQLEnumType)  # fmt: skip


def cap_of(key: str | None) -> int:
    return LIST_CAPS.get(key, DEFAULT_LIST_CAP) if key else DEFAULT_LIST_CAP


def _is_list(type_: Any) -> bool:
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


def _too_many(key: str | None, cap: int, sent: int) -> str:
    where = key or "this list"
    return f"{where} takes at most {cap} items; {sent} were sent"


def literal_rule(variable_keys: VariableCaps) -> type[ValidationRule]:
    """A validation rule refusing over-long list literals; it records, for each variable in a
    list position, the smallest cap among the places it is used (``variable_keys``)."""

    class ListCapRule(ValidationRule):
        def _check(self, key: str, value: Any, type_: Any) -> None:
            if not _is_list(type_):
                return
            cap = cap_of(key)
            if isinstance(value, VariableNode):
                name = value.name.value
                if name not in variable_keys or cap < variable_keys[name][1]:
                    variable_keys[name] = (key, cap)
            elif isinstance(value, ListValueNode) and len(value.values) > cap:
                self.report_error(
                    GraphQLError(
                        _too_many(key, cap, len(value.values)),
                        value,
                        extensions={"code": "GRAPHQL_VALIDATION_FAILED", "maxItems": cap},
                    )
                )

        def enter_object_field(self, node: ObjectFieldNode, *_args: Any) -> None:
            parent = self.context.get_parent_input_type()
            if parent is None:
                return
            key = f"{get_named_type(parent).name}.{node.name.value}"
            self._check(key, node.value, self.context.get_input_type())

        def enter_argument(self, node: ArgumentNode, _key: Any, _parent: Any, _path: Any,
                           ancestors: Any) -> None:  # fmt: skip
            argument = self.context.get_argument()
            parent = self.context.get_parent_type()
            fields = [a for a in ancestors if isinstance(a, FieldNode)]
            if argument is None or parent is None or not fields:
                return
            key = f"{parent.name}.{fields[-1].name.value}({node.name.value})"
            self._check(key, node.value, argument.type)

    return ListCapRule


def _overlong(value: Any, type_: GraphQLInputType, key: str | None, path: str,
              cap: int | None = None) -> Iterator[tuple[str, str | None, int, int]]:  # fmt: skip
    """(path, key, cap, sent) for the first list in ``value`` longer than its cap."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            yield from _overlong(value, type_.of_type, None, path)
            return
        cap = cap_of(key) if cap is None else cap
        if len(value) > cap:
            yield path, key, cap, len(value)
            return
        for index, item in enumerate(value):
            yield from _overlong(item, type_.of_type, None, f"{path}[{index}]")
    elif isinstance(type_, GraphQLInputObjectType) and isinstance(value, dict):
        for name, field in type_.fields.items():
            if name in value:
                yield from _overlong(value[name], field.type, f"{type_.name}.{name}",
                                     f"{path}.{name}")  # fmt: skip


def variables_error(ec: ExecutionContext, variable_caps: VariableCaps) -> GraphQLError | None:
    """The refusal of the first variable holding a list longer than its cap, if any: the cap of
    the position it fills (``variable_caps``, recorded by :func:`literal_rule`) or the default.
    """
    variables = ec.variables or {}
    document = ec.graphql_document
    if not variables or document is None:
        return None
    operation = get_operation_ast(document, ec.operation_name)
    if not isinstance(operation, OperationDefinitionNode):
        return None
    schema = ec.schema._schema
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_ = type_from_ast(schema, definition.type)
        if name not in variables or not isinstance(type_, GRAPHQL_INPUT_TYPES):
            continue
        top_key, top_cap = variable_caps.get(name, (None, DEFAULT_LIST_CAP))
        found = _overlong(variables[name], type_, top_key, f"${name}", top_cap)
        for path, key, cap, sent in found:
            return _refusal(definition, path, key, cap, sent)
    return None


def _refusal(node: Any, path: str, key: str | None, cap: int, sent: int) -> GraphQLError:
    return GraphQLError(
        f"Variable {path}: {_too_many(key, cap, sent)}",
        node,
        extensions={"code": "BAD_USER_INPUT", "maxItems": cap},
    )
