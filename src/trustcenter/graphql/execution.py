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
response's order. An object field whose value is an attribute (``edge.node``, a request's
agency a list read for its page) has its object's selection executed directly, as
graphql-core would after resolving it. What a plan holds is decided in ``graphql.plans``.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeGuard

from graphql import GraphQLObjectType, GraphQLResolveInfoHelpers, Undefined, get_nullable_type
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from trustcenter.graphql.lists import Program, compile_program, directed, kept_program, run_list
from trustcenter.graphql.nodes import ViewFields
from trustcenter.graphql.plans import Plan, plain_leaf, plan_of, strawberry_checked

_long_way = StrawberryGraphQLCoreExecutionContext.execute_field


def _helpers_of(context: StrawberryGraphQLCoreExecutionContext) -> GraphQLResolveInfoHelpers:
    """The resolvers' helpers of ``context`` (``info.async_helpers``), without a reference
    cycle back to it. graphql-core's own hold the context's bound methods, so every execution
    context was in a cycle, and with it everything it reached: the request's context, its
    loaders and every view a page read, some 540 objects per list request left for the
    cyclic collector instead of freed at once. Its young collections then walked them, 5 to
    15 ms each, once every dozen or so requests: the one-connection p99
    (``docs/performance.md``, goal 4)."""
    ref = weakref.ref(context)

    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        return _alive(ref).gather_async_work(values)

    def track(values: Sequence[Any]) -> None:
        _alive(ref).track_async_work(values)

    return GraphQLResolveInfoHelpers(gather=gather, track=track)


def _alive(
    ref: weakref.ReferenceType[StrawberryGraphQLCoreExecutionContext],
) -> StrawberryGraphQLCoreExecutionContext:
    context = ref()
    if context is None:  # the operation is over: nothing can be gathered for it any more
        raise RuntimeError("the execution this work belonged to has ended")
    return context


class LeanExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with the short way for plain leaf fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: id(grouped field set) -> (the set, kept alive so its id stays its own; its plan)
        self._plans: dict[int, tuple[Any, Plan | None]] = {}
        #: id(field group of a list) -> (the group, kept alive; its items' program and check)
        self._programs: dict[int, tuple[Any, Program | None, Any]] = {}
        self.is_awaitable = _views_first(self.is_awaitable)
        self.async_helpers = _helpers_of(self)

    def _middleware(self) -> bool:
        manager = self.middleware_manager
        return manager is not None and bool(manager.middlewares)

    def _plan_for(self, parent_type: GraphQLObjectType, grouped: Any) -> Plan | None:
        known = self._plans.get(id(grouped))
        if known is not None and known[0] is grouped:
            return known[1]
        plan = None if self._middleware() else plan_of(parent_type, grouped)
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

    def complete_list_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        """A list of objects whose selection is plain at every level in one loop
        (``graphql.lists``); anything unusual in any item: graphql-core's way, from the
        first item."""
        if position_context is None and type(result) is list:
            program, check = self._program_for(return_type.of_type, field_details_list)
            if program is not None:
                try:
                    return run_list(program, check, result, self.is_awaitable)
                except Exception:  # noqa: S110 (the long way below answers it, errors included)
                    pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _program_for(self, item_type: Any, details: Any) -> tuple[Program | None, Any]:
        known = self._programs.get(id(details))
        if known is not None and known[0] is details:
            return known[1], known[2]
        object_type = get_nullable_type(item_type)
        program = check = None
        if (
            isinstance(object_type, GraphQLObjectType)
            and strawberry_checked(object_type)
            and not self._middleware()
            and not any(d.node.directives or d.defer_usage for d in details)
        ):
            collect = self.collect_subfields

            def make() -> Program | None:
                return compile_program(object_type, details, collect)

            if directed(self.operation, self.fragment_definitions):
                program = make()
            else:
                program = kept_program(object_type, details, make)
            check = object_type.is_type_of
        self._programs[id(details)] = (details, program, check)
        return program, check

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
                plain = plain_leaf(field)
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
