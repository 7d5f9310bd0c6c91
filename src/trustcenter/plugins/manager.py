"""Loading plugins: the built-ins, then installed packages from the ``trustcenter.plugins``
entry-point group that the allow-list admits. A hook implementation that matches no hook in the
contract (a misspelt name) stops start-up."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

import pluggy

from trustcenter.plugins import hookspecs
from trustcenter.plugins.builtin import DEFAULT_PLUGINS

GROUP = "trustcenter.plugins"


class PluginLoadError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Loaded:
    name: str
    version: str | None
    builtin: bool


def load(
    allow: str | None = "*", extra: list[tuple[str, Any]] | None = None
) -> tuple[pluggy.PluginManager, list[Loaded]]:
    """``allow``: ``"*"`` loads every installed plugin, ``""`` none, otherwise a comma-separated
    list of entry-point names. ``extra``: (name, plugin) pairs registered directly (tests)."""
    pm = pluggy.PluginManager("trustcenter")
    pm.add_hookspecs(hookspecs)
    loaded: list[Loaded] = []
    for name, plugin in DEFAULT_PLUGINS:
        pm.register(plugin, name=name)
        loaded.append(Loaded(name, None, True))
    wanted = {n.strip() for n in (allow or "").split(",") if n.strip()}
    for ep in entry_points(group=GROUP) if wanted else ():
        if "*" not in wanted and ep.name not in wanted:
            continue
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginLoadError(f"plugin {ep.name!r} failed to import: {exc}") from exc
        _register(pm, plugin, ep.name)
        loaded.append(Loaded(ep.name, ep.dist.version if ep.dist else None, False))
        wanted.discard(ep.name)
    wanted.discard("*")
    if wanted:
        raise PluginLoadError(f"allowed plugins not installed: {', '.join(sorted(wanted))}")
    for name, plugin in extra or []:
        _register(pm, plugin, name)
        loaded.append(Loaded(name, None, False))
    for name, registered in pm.list_name_plugin():
        unknown = [
            h
            for h in dir(registered)
            if h.startswith("trustcenter_") and getattr(pm.hook, h, None) is None
        ]
        if unknown:
            raise PluginLoadError(
                f"plugin {name!r} implements {', '.join(unknown)}, which is not a hook of the "
                "contract (misspelt?)"
            )
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(f"a plugin implements a hook that does not exist: {exc}") from exc
    return pm, loaded


def _register(pm: pluggy.PluginManager, plugin: Any, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginLoadError(f"plugin {name!r} does not fit the contract: {exc}") from exc
