"""One read connection per GraphQL request (``/graphql`` and the console's pages, which run
GraphQL operations in-process).

Such a request reads in several units of work — the token's standing, the page, every
DataLoader batch — and each used to check out a pooled connection of its own. Around these
requests this middleware opens the database's shared reads (``Database.shared_reads``): their
read units take turns on one connection, checked out at the first read and back in the pool
when the request ends, whatever ended it. It sits outside the authentication, so the token's
standing is read on the same connection.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send


class SharedReadConnection:
    def __init__(
        self,
        app: ASGIApp,
        shared_reads: Callable[[], AbstractAsyncContextManager[Any]],
        prefixes: tuple[str, ...] = ("/graphql", "/console"),
    ) -> None:
        self.app = app
        self.shared_reads = shared_reads
        self.prefixes = prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self.prefixes):
            await self.app(scope, receive, send)
            return
        async with self.shared_reads():
            await self.app(scope, receive, send)
