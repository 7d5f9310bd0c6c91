"""Strawberry's extension hooks, found once per extension class rather than on every request.

For every request and every stage (operation, parsing, validation, execution) strawberry asks
each extension whether it has the stage's hook: it inspects the method, then wraps it in a new
context-manager function bound to the extension (``contextlib.contextmanager`` copying the
function's metadata each time). What it finds depends on the extension's class alone, so the
runner here remembers it per class and stage and binds only the extension per request: the
same hooks run, in the same order, as the same generator context managers.
"""

from __future__ import annotations

import contextlib
import inspect
from functools import partial
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

#: the stage has no hook of this class
_ABSENT = object()
#: a hook strawberry wraps its own way (a plain or async function): asked of strawberry
_STRAWBERRY = object()
#: (class, hook name) -> _ABSENT, _STRAWBERRY or (context-manager factory, whether async)
_FOUND: dict[tuple[type, str], Any] = {}


def _found(cls: type, name: str) -> Any:
    key = (cls, name)
    found = _FOUND.get(key)
    if found is None:
        hook = getattr(cls, name)
        if hook is getattr(SchemaExtension, name):
            found = _ABSENT
        elif inspect.isgeneratorfunction(hook):
            found = (contextlib.contextmanager(hook), False)
        elif inspect.isasyncgenfunction(hook):
            found = (contextlib.asynccontextmanager(hook), True)
        else:
            found = _STRAWBERRY
        _FOUND[key] = found
    return found


class _Remembered:
    HOOK_NAME: str

    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        found = _found(type(extension), self.HOOK_NAME)
        if found is _ABSENT:
            return None
        if found is _STRAWBERRY:
            hook: WrappedHook | None = super().get_hook(extension)  # type: ignore[misc]
            return hook
        factory, is_async = found
        return WrappedHook(extension=extension, hook=partial(factory, extension), is_async=is_async)


class _Operation(_Remembered, OperationContextManager):
    pass


class _Parsing(_Remembered, ParsingContextManager):
    pass


class _Validation(_Remembered, ValidationContextManager):
    pass


class _Executing(_Remembered, ExecutingContextManager):
    pass


#: extension class -> whether it has results of its own (overrides ``get_results``)
_RESULTS: dict[type[SchemaExtension], bool] = {}


def _has_results(cls: type[SchemaExtension]) -> bool:
    found = _RESULTS.get(cls)
    if found is None:
        found = _RESULTS[cls] = cls.get_results is not SchemaExtension.get_results
    return found


class RememberingRunner(SchemaExtensionsRunner):
    """Strawberry's runner with the hooks found per class (see the module's docstring)."""

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        """Strawberry's, asking only the extensions that have results of their own (the
        others' ``get_results`` is ``SchemaExtension``'s: ``{}``)."""
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if _has_results(type(extension)):
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data

    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
