"""The neutral instruments the core records on: plain functions, no framework.

The plugin host times hook calls, the release counts the bytes it sealed, the token endpoint
says how each request ended — each through :func:`recorder`, which does nothing until the
web application installs the Prometheus recorder (``observability.metrics``). The core never
imports a metrics library; a process that serves no metrics (the CLI, the worker) pays a call
to a method that does nothing.
"""

from __future__ import annotations

from typing import Protocol


class Recorder(Protocol):
    """Where the core's measurements go."""

    def hook_called(self, plugin: str, hook: str, seconds: float) -> None:
        """A plugin answered (or raised in) a hook call taking ``seconds``."""

    def disclosure_released(self, size: int) -> None:
        """A disclosure package of ``size`` bytes was released (its transaction committed)."""

    def token_outcome(self, outcome: str) -> None:
        """A request to the token endpoint ended with ``outcome`` (``issued``, an OAuth error
        code, or ``throttled``)."""

    def graphql_operation(
        self, name: str | None, kind: str, seconds: float, codes: list[str]
    ) -> None:
        """A GraphQL operation ran: its name as the client sent it (None: anonymous), its type
        (query, mutation, unknown when it never parsed), how long, and each error's code."""


class _Nothing:
    def hook_called(self, plugin: str, hook: str, seconds: float) -> None:
        pass

    def disclosure_released(self, size: int) -> None:
        pass

    def token_outcome(self, outcome: str) -> None:
        pass

    def graphql_operation(
        self, name: str | None, kind: str, seconds: float, codes: list[str]
    ) -> None:
        pass


_current: list[Recorder] = [_Nothing()]


def recorder() -> Recorder:
    """The recorder in force (one per process)."""
    return _current[0]


def install(new: Recorder) -> None:
    """Record on ``new`` from now on (the web application installs the Prometheus recorder)."""
    _current[0] = new
