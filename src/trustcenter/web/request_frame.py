"""What every HTTP request gets around it, in one pure ASGI layer (the outermost middleware but
tracing's): three middlewares did it before, each with its own call, checks of the scope and
wrapper of ``send`` on every request.

In order, from the outside in:

- **metrics** (``web.metrics``): ``/metrics`` is answered here, before the bearer-token
  authentication (the metrics token is no access token), without a request id or access line;
  every other request is timed by route template, method and status class;
- **the request's id and access line** (``web.request_log``): the id carried by its log lines and
  audit events and returned in ``X-Request-ID``; the access line when the request ends, refusals
  and failures included;
- **one read connection** for a request to ``/graphql`` or the console (which runs GraphQL
  operations in-process): such a request reads in several units of work — the token's standing,
  the page, every DataLoader batch — and each used to check out a pooled connection of its own.
  Here the database's shared reads are opened (``Database.shared_reads``): their read units take
  turns on one connection, checked out at the first read and back in the pool when the request
  ends, whatever ended it. It is opened before the authentication, so the token's standing is
  read on the same connection.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from trustcenter.observability.context import begin, end, request_id_from
from trustcenter.web.metrics import PATH, Scrape, answer_metrics, observe_request
from trustcenter.web.request_log import HEADER, access_line

#: the paths whose read units share one connection
SHARED_READS = ("/graphql", "/console")


class RequestFrame:
    def __init__(
        self,
        app: ASGIApp,
        *,
        scrape: Scrape,
        metrics_token: str,
        access_log: bool,
        shared_reads: Callable[[], AbstractAsyncContextManager[Any]],
    ) -> None:
        self.app = app
        self.scrape = scrape
        self.metrics_token = metrics_token.encode()
        self.access_log = access_log
        self.shared_reads = shared_reads

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if path == PATH and self.metrics_token:
            await answer_metrics(scope, receive, send, self.scrape, self.metrics_token)
            return
        started = time.perf_counter()
        given = next((v for k, v in scope["headers"] if k == HEADER), None)
        context, token = begin(request_id_from(given.decode("latin-1") if given else None))
        stamp = context.request_id.encode()
        status = 500  # what the client gets when the app fails before it answers

        async def answer(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [h for h in message.get("headers", ()) if h[0] != HEADER]
                message = {**message, "headers": [*headers, (HEADER, stamp)]}
            await send(message)

        try:
            if str(path).startswith(SHARED_READS):
                async with self.shared_reads():
                    await self.app(scope, receive, answer)
            else:
                await self.app(scope, receive, answer)
        finally:
            try:
                if self.access_log:
                    access_line(scope, context, status, time.perf_counter() - started)
            finally:
                end(token)
                observe_request(scope, status, time.perf_counter() - started)
