"""The ASGI application for any ASGI server, configured from the environment::

    uvicorn trustcenter.web.asgi:app --workers 4
    hypercorn trustcenter.web.asgi:app

``app`` is built on the first event the server sends it (the lifespan's start-up, or the first
request if the server runs no lifespan) from ``TRUSTCENTER_*`` (``Settings.from_env``): importing
this module costs a few milliseconds, not the two seconds of the whole application, so a server
or a tool that only imports it pays nothing more. Its start-up migrates the database (safely when
several processes start at once: ``db.migrate`` takes a lock) unless
``TRUSTCENTER_MIGRATE_AT_START=0``, then it only refuses a schema at another revision; it seals
the audit chain every ``TRUSTCENTER_SEAL_EVERY`` seconds (default 2). ``trustcenter serve
--workers N`` serves this module with the migration done once, in its own process, first.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: set by ``trustcenter serve --workers N`` for its workers: the manager's process id
PARENT = "TRUSTCENTER_SERVE_PARENT"


def follow_parent(parent: int, every: float = 1.0) -> None:
    """Stop this worker (SIGTERM: it finishes what it has) once ``parent`` is no longer its
    parent: a manager killed outright (SIGKILL, the OOM killer) leaves no worker behind serving
    on its socket."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


def from_env() -> ASGIApp:
    """The whole application, on the settings the environment gives."""
    from trustcenter.bootstrap import build
    from trustcenter.config import Settings
    from trustcenter.web.app import create_app

    parent = os.environ.get(PARENT, "")
    if parent.isdigit():
        follow_parent(int(parent))
    settings = Settings.from_env()
    return create_app(build(settings), manage_lifecycle=True, seal_every=settings.seal_every)


class LazyApp:
    """An ASGI application that builds the real one (``make``) when the server first calls it."""

    def __init__(self, make: Callable[[], ASGIApp]) -> None:
        self._make = make
        self._app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:  # one event loop: no other call runs until this one awaits
            try:
                self._app = self._make()
            except (Exception, SystemExit) as error:  # settings refused: the start-up fails
                if scope["type"] != "lifespan":
                    raise
                await receive()  # lifespan.startup
                message = str(error) or type(error).__name__
                await send({"type": "lifespan.startup.failed", "message": message})
                return
        await self._app(scope, receive, send)


app = LazyApp(from_env)
