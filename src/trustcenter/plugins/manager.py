"""Loading plugins: the built-ins, then installed packages from the ``trustcenter.plugins``
entry-point group that the allow-list admits, then the files of the plugins folder. A hook
implementation that matches no hook in the contract (a misspelt name) stops start-up."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from trustcenter.plugins import hookspecs
from trustcenter.plugins.builtin import DEFAULT_PLUGINS

GROUP = "trustcenter.plugins"
#: the package under which the plugins folder's files are imported (``<prefix>.<file stem>``)
FOLDER_MODULES = "trustcenter_plugins_dir"

#: every hook of the contract, by name
HOOKS = frozenset(
    name
    for name, _ in inspect.getmembers(hookspecs, inspect.isfunction)
    if name.startswith("trustcenter_")
)


class PluginLoadError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Loaded:
    name: str
    version: str | None
    builtin: bool


def unknown_hooks(plugin: Any) -> list[str]:
    """The plugin's ``trustcenter_*`` names that are no hook of the contract (misspelt?): the
    one check behind both start-up and the author's conformance check."""
    return [name for name in dir(plugin) if name.startswith("trustcenter_") and name not in HOOKS]


def load(
    allow: str | None = "*",
    extra: list[tuple[str, Any]] | None = None,
    folder: Path | str | None = None,
) -> tuple[pluggy.PluginManager, list[Loaded]]:
    """``allow``: ``"*"`` loads every installed plugin, ``""`` none, otherwise a comma-separated
    list of entry-point names. ``folder``: every ``*.py`` file in it is a plugin named by its
    file's stem (``TRUSTCENTER_PLUGINS_DIR``). ``extra``: (name, plugin) pairs registered
    directly (tests)."""
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
    for name, plugin in [*folder_plugins(folder), *(extra or [])]:
        _register(pm, plugin, name)
        loaded.append(Loaded(name, None, False))
    try:  # a hook implementation (marked @hookimpl) under a name the contract does not have
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginLoadError(f"a plugin implements a hook that does not exist: {exc}") from exc
    for name, registered in pm.list_name_plugin():  # and one left unmarked
        unknown = unknown_hooks(registered)
        if unknown:
            raise PluginLoadError(
                f"plugin {name!r} implements {', '.join(unknown)}, which is not a hook of the "
                "contract (misspelt?)"
            )
    return pm, loaded


def folder_plugins(folder: Path | str | None) -> list[tuple[str, ModuleType]]:
    """Each ``*.py`` file of ``folder`` (hidden files aside) imported as a module, named by its
    stem, in the order of their names; a file that fails to import stops start-up, naming it."""
    if folder is None or str(folder) == "":
        return []
    where = Path(folder)
    if not where.is_dir():
        raise PluginLoadError(f"the plugins folder {where} is not a folder")
    out = []
    for path in sorted(where.glob("*.py")):
        if path.name.startswith(".") or not path.is_file():
            continue
        out.append((path.stem, _import_file(path)))
    return out


def _import_file(path: Path) -> ModuleType:
    name = f"{FOLDER_MODULES}.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise PluginLoadError(f"plugin file {path} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # as an import would: dataclasses and pickling look it up
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(name, None)
        raise PluginLoadError(
            f"plugin file {path} failed to import: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _register(pm: pluggy.PluginManager, plugin: Any, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        raise PluginLoadError(f"plugin {name!r} does not fit the contract: {exc}") from exc
