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
import sys
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
    """A stage's hooks. When every hook of the stage is a generator (or async generator)
    function, the async stage enters their context managers itself and leaves them as the
    ``AsyncExitStack`` strawberry uses would (:func:`_unwind`): the same hooks, entered in the
    extensions' order and left in the reverse order with the same exception handling, without
    the stack's and the wrapped hooks' objects made on every request. Otherwise, and in the
    synchronous stage, strawberry's own way with the hooks found per class."""

    HOOK_NAME: str

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        direct: list[tuple[SchemaExtension, Any, bool]] | None = []
        for extension in extensions:
            found = _found(type(extension), self.HOOK_NAME)
            if found is _STRAWBERRY:
                direct = None
                break
            if found is not _ABSENT and direct is not None:
                direct.append((extension, *found))
        self._direct = direct
        self._extensions = extensions
        if direct is None:
            super().__init__(extensions)  # type: ignore[call-arg]

    def get_hook(self, extension: SchemaExtension) -> WrappedHook | None:
        found = _found(type(extension), self.HOOK_NAME)
        if found is _ABSENT:
            return None
        if found is _STRAWBERRY:
            hook: WrappedHook | None = super().get_hook(extension)  # type: ignore[misc]
            return hook
        factory, is_async = found
        return WrappedHook(extension=extension, hook=partial(factory, extension), is_async=is_async)

    def __enter__(self) -> None:
        if self._direct is not None and not hasattr(self, "hooks"):
            super().__init__(self._extensions)  # type: ignore[call-arg]
        super().__enter__()  # type: ignore[misc]

    async def __aenter__(self) -> None:
        if self._direct is None:
            await super().__aenter__()  # type: ignore[misc]
            return
        entered: list[tuple[Any, bool]] = []
        self._entered = entered
        for extension, factory, is_async in self._direct:
            manager = factory(extension)
            if is_async:
                await manager.__aenter__()
            else:
                manager.__enter__()
            entered.append((manager, is_async))

    async def __aexit__(self, *exc_details: Any) -> None:
        # like strawberry's, whatever the hooks say: an exception passing through is not
        # suppressed by them (the stack's answer is not returned)
        if self._direct is None:
            await super().__aexit__(*exc_details)  # type: ignore[misc]
        else:
            await _unwind(self._entered, *exc_details)


async def _unwind(entered: list[tuple[Any, bool]], *exc_details: Any) -> bool:
    """Leave the entered context managers, last first, exactly as ``AsyncExitStack.__aexit__``
    (Python 3.11's, whose code this is) leaves the ones pushed on it: an exception a manager
    raises goes to the managers entered before it, with its context set as nested ``with``
    statements would; a manager may suppress the exception."""
    received_exc = exc_details[0] is not None
    frame_exc = sys.exc_info()[1]

    def _fix_exception_context(new_exc: BaseException, old_exc: BaseException | None) -> None:
        while True:
            exc_context = new_exc.__context__
            if exc_context is None or exc_context is old_exc:
                return
            if exc_context is frame_exc:
                break
            new_exc = exc_context
        new_exc.__context__ = old_exc

    suppressed_exc = False
    pending_raise = False
    while entered:
        manager, is_async = entered.pop()
        try:
            if is_async:
                suppress = await manager.__aexit__(*exc_details)
            else:
                suppress = manager.__exit__(*exc_details)
            if suppress:
                suppressed_exc = True
                pending_raise = False
                exc_details = (None, None, None)
        except BaseException:
            new_exc_details = sys.exc_info()
            _fix_exception_context(new_exc_details[1], exc_details[1])  # type: ignore[arg-type]
            pending_raise = True
            exc_details = new_exc_details
    if pending_raise:
        error: BaseException = exc_details[1]
        fixed_ctx = error.__context__
        try:
            raise error
        except BaseException:
            error.__context__ = fixed_ctx
            raise
    return received_exc and suppressed_exc


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
