"""Request body size limits: 413 before a large body is read into memory.

A route that streams its body and enforces a larger limit of its own (``POST /documents``) is
given that limit here by its path, so the general limit never cuts it short; a route may as well
be given a smaller one (``POST /graphql``). The authentication middleware runs before this one
and reads the headers only: a bad token is answered 401 without a body read, and a caller it did
not authenticate (no token, or a dead session cookie) is held to the anonymous limit on every
path, whatever the path's own: nothing it may do needs more, and a large anonymous body is
refused before any of it is read (when ``Content-Length`` announces it) or as soon as it passes
the limit (when it is streamed). A person signed in to the console has the limits of a caller
with a token.

Paths in ``graphql_paths`` answer in GraphQL's error shape
(``{"errors": [{"message", "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}``), the others
``{"error": "request_too_large", "error_description": …}``."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyTooLarge(Exception):
    pass


def _authenticated(scope: Scope) -> bool:
    """Whether the authentication (run before this middleware) found a caller: a valid token,
    or a live console session; without it in the scope, whether a token was sent at all."""
    if "user" in scope:
        return bool(getattr(scope["user"], "is_authenticated", False))
    return any(name == b"authorization" for name, _ in scope.get("headers", []))


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        per_path: Mapping[str, int] | None = None,
        *,
        anonymous_bytes: int | None = None,
        graphql_paths: Collection[str] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = dict(per_path or {})
        self.anonymous_bytes = anonymous_bytes
        self.graphql_paths = frozenset(graphql_paths)

    def limit_for(self, scope: Scope) -> int:
        limit = self.per_path.get(scope.get("path", ""), self.max_bytes)
        if self.anonymous_bytes is not None and not _authenticated(scope):
            limit = min(limit, self.anonymous_bytes)
        return limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        graphql = scope.get("path", "") in self.graphql_paths
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await self._reject(send, limit, graphql)
                return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge()
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._reject(send, limit, graphql)

    async def _reject(self, send: Send, limit: int, graphql: bool) -> None:
        message = f"request body larger than {limit} bytes"
        answer: dict[str, object] = (
            {"errors": [{"message": message, "extensions": {"code": "PAYLOAD_TOO_LARGE"}}]}
            if graphql
            else {"error": "request_too_large", "error_description": message}
        )
        body = json.dumps(answer).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
