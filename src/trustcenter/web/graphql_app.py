"""Strawberry's ASGI app, with our context and transport rules.

Operations come only as ``POST`` with a JSON body (so a browser form cannot post a mutation
across sites); ``GET`` serves GraphiQL outside production and nothing else.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from trustcenter.bootstrap import Container
from trustcenter.graphql.context import Context
from trustcenter.graphql.loaders import Loaders
from trustcenter.graphql.schema import build_schema
from trustcenter.web.authentication import principal_of


class GraphQLApp(GraphQL[Context, None]):
    def __init__(self, container: Container) -> None:
        production = container.settings.production
        super().__init__(
            build_schema(container.settings),
            graphql_ide=None if production else "graphiql",
            allow_queries_via_get=False,
            multipart_uploads_enabled=False,
        )
        self.container = container

    async def get_context(self, request: Any, response: Any) -> Context:
        principal = principal_of(request)
        return Context(
            principal=principal,
            app=self.container,
            loaders=Loaders(self.container.db, principal, self.container.clock),
            request=request,
            response=response,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            refusal = self._refuse(request)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await super().__call__(scope, receive, send)

    def _refuse(self, request: Request) -> Response | None:
        if request.method == "POST":
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                return JSONResponse(
                    {"errors": [{"message": "send GraphQL operations as application/json"}]},
                    status_code=415,
                )
            return None
        if (
            request.method == "GET"
            and self.graphql_ide
            and "text/html" in request.headers.get("accept", "")
        ):
            return None
        return JSONResponse(
            {"errors": [{"message": "send GraphQL operations with POST"}]},
            status_code=405,
            headers={"Allow": "POST"},
        )
