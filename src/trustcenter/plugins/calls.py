"""How the host has pluggy call the hooks: one plugin at a time, each answer kept with its plugin.

Every call goes through a pluggy subset caller holding one plugin (made once per hook and
plugin), so pluggy runs the implementation — with its hook-call monitoring and tracing — and an
answer or an exception always belongs to the plugin that gave it. That is how a
``PluginFailure`` names plugin and hook, and how the host says which plugin refused a release.

The calling order is pluggy's (``tryfirst`` first, then the plugins registered later, the
built-ins' ``trylast`` last). A hook declared ``firstresult`` in the contract stops at the first
plugin whose answer is not None: pluggy's rule, applied to awaited answers too, since the answer
of an ``async def`` implementation is only known once the host has awaited it.
"""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import pluggy

from trustcenter.observability.instruments import recorder
from trustcenter.plugins.manager import PluginLoadError

log = logging.getLogger("trustcenter.plugins")

#: a context each hook call runs in, given the hook and the plugin (a trace span)
Around = Callable[[str, str], AbstractContextManager[Any]]


class PluginFailure(Exception):
    """A plugin raised; nothing of the change it took part in remains."""

    def __init__(self, plugin: str, hook: str, error: BaseException) -> None:
        super().__init__(f"plugin {plugin!r} failed in {hook}: {type(error).__name__}: {error}")
        self.plugin = plugin
        self.hook = hook


class HookCalls:
    """The hooks of one plugin manager, called through pluggy one plugin at a time."""

    def __init__(
        self, pm: pluggy.PluginManager, *, trace: bool = False, around: Around | None = None
    ) -> None:
        self._pm = pm
        self._trace = trace
        self._around = around
        self._callers: dict[tuple[str, str], pluggy.HookCaller] = {}

    def implementers(self, hook: str) -> list[str]:
        """The plugins implementing ``hook``, in pluggy's calling order."""
        impls = getattr(self._pm.hook, hook).get_hookimpls()
        return [i.plugin_name for i in reversed(impls) if not (i.wrapper or i.hookwrapper)]

    def firstresult(self, hook: str) -> bool:
        spec = getattr(self._pm.hook, hook).spec
        return bool(spec and spec.opts.get("firstresult"))

    def caller(self, hook: str, plugin: str) -> pluggy.HookCaller:
        """A pluggy subset caller holding ``plugin`` alone."""
        key = (hook, plugin)
        if key not in self._callers:
            others = [p for name, p in self._pm.list_name_plugin() if name != plugin]
            self._callers[key] = self._pm.subset_hook_caller(hook, remove_plugins=others)
        return self._callers[key]

    def call(self, hook: str, plugin: str, kwargs: dict[str, Any]) -> Any:
        """``plugin``'s answer to ``hook`` as pluggy returns it: None, a value, or (from an
        ``async def`` implementation) an awaitable."""
        try:
            result = self.caller(hook, plugin)(**kwargs)
        except Exception as exc:
            raise PluginFailure(plugin, hook, exc) from exc
        if self.firstresult(hook):
            return result
        return result[0] if result else None

    async def answer(self, hook: str, plugin: str, **kwargs: Any) -> Any:
        """``plugin``'s answer, awaited when it is awaitable: the one place the host awaits
        (inside ``around``'s context, when the host was given one: a trace span). How long the
        call took (awaiting included, raising too) goes to the instruments."""
        if self._around is None:
            return await self._answer(hook, plugin, kwargs)
        with self._around(hook, plugin):
            return await self._answer(hook, plugin, kwargs)

    async def _answer(self, hook: str, plugin: str, kwargs: dict[str, Any]) -> Any:
        called = time.perf_counter()
        try:
            value = self.call(hook, plugin, kwargs)
            if not inspect.isawaitable(value):
                return value
            started = time.perf_counter()
            try:
                return await value
            except Exception as exc:
                raise PluginFailure(plugin, hook, exc) from exc
            finally:
                if self._trace:
                    ms = (time.perf_counter() - started) * 1000
                    log.info("%s on %s: awaited in %.3f ms", hook, plugin, ms)
        finally:
            recorder().hook_called(plugin, hook, time.perf_counter() - called)

    async def answers(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin, answer) for every answer that is not None, in the calling order; only the
        first for a ``firstresult`` hook."""
        out = []
        first = self.firstresult(hook)
        for plugin in self.implementers(hook):
            value = await self.answer(hook, plugin, **kwargs)
            if value is not None:
                out.append((plugin, value))
                if first:
                    break
        return out

    def at_start_up(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """(plugin, answer) for a start-up hook, in the order the plugins were registered (the
        built-ins first), so a clash names the later plugin; an ``async def`` implementation
        stops start-up, naming the plugin."""
        out = []
        first = self.firstresult(hook)
        for plugin in self.implementers(hook):
            value = self.call(hook, plugin, kwargs)
            if inspect.isawaitable(value):
                close = getattr(value, "close", None)
                if close is not None:
                    close()
                raise PluginLoadError(
                    f"plugin {plugin!r}: {hook} is called at "
                    "start-up and must be a plain function, not async"
                )
            if value is not None:
                out.append((plugin, value))
                if first:
                    break
        return out[::-1]


def trace_hook_calls(pm: pluggy.PluginManager) -> Callable[[], None]:
    """Log every hook call pluggy makes on ``pm`` (``TRUSTCENTER_TRACE_PLUGINS``): the hook,
    the plugins called, the names of the arguments — never their values, which may describe a
    user — and how long the call took. An ``async def`` implementation returns at once; the host
    logs how long awaiting it took. Returns pluggy's undo function."""
    local = threading.local()  # the start of each call in progress (calls may nest)

    def started() -> list[float]:
        stack: list[float] = local.__dict__.setdefault("started", [])
        return stack

    def before(hook: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]) -> None:
        started().append(time.perf_counter())

    def after(
        outcome: pluggy.Result[Any],
        hook: str,
        impls: Sequence[pluggy.HookImpl],
        kwargs: Mapping[str, Any],
    ) -> None:
        ms = (time.perf_counter() - started().pop()) * 1000
        plugins = ", ".join(i.plugin_name for i in impls) or "no plugin"
        if outcome.exception is not None:
            how = f"raised {type(outcome.exception).__name__}"
        else:
            result = outcome.get_result()
            values = [
                v for v in (result if isinstance(result, list) else [result]) if v is not None
            ]
            if any(inspect.isawaitable(v) for v in values):
                how = "returned an awaitable"
            else:
                how = "answered" if values else "answered None"
        log.info("%s(%s) on %s: %s in %.3f ms", hook, ", ".join(kwargs), plugins, how, ms)

    return pm.add_hookcall_monitoring(before, after)
