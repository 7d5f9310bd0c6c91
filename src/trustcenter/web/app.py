"""The Starlette application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from functools import partial

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trustcenter.bootstrap import Container
from trustcenter.services.audit_sealer import sealing
from trustcenter.services.principals import Principals
from trustcenter.services.sign_in import session_principal
from trustcenter.web import (
    console_auth,
    console_sso,
    disclosures,
    documents,
    oauth,
    oauth_endpoints,
    transparency,
)
from trustcenter.web.authentication import BearerBackend, SessionCsrfGuard, on_auth_error
from trustcenter.web.console.routes import console_routes
from trustcenter.web.gc_tuning import tune_for_serving
from trustcenter.web.graphql_app import GraphQLApp
from trustcenter.web.limits import BodySizeLimit
from trustcenter.web.metrics import metrics_listener, scraper
from trustcenter.web.request_frame import RequestFrame


def create_app(
    container: Container, *, manage_lifecycle: bool = False, seal_every: float = 0
) -> Starlette:
    """``manage_lifecycle``: migrate (or, with ``TRUSTCENTER_MIGRATE_AT_START=0``, only check
    the revision) and load keys at start-up, tune the garbage collector for serving
    (``gc_tuning``), and close the pool at the end (``serve`` and ``web.asgi`` do; tests start
    the container themselves). ``seal_every``: seconds between rounds of the audit sealer run
    while the app serves (0, the default: none; ``serve`` runs one)."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> Response:
        ready = await container.db.ping()
        return JSONResponse(
            {"status": "ready" if ready else "database unavailable"},
            status_code=200 if ready else 503,
        )

    scrape = scraper(container)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage_lifecycle:
            migrating = container.settings.migrate_at_start
            await container.start(upgrade=migrating, check_revision=not migrating)
            tune_for_serving()
        try:
            async with AsyncExitStack() as stack:
                if container.settings.metrics_addr:
                    await stack.enter_async_context(
                        metrics_listener(container.settings.metrics_addr, scrape)
                    )
                await stack.enter_async_context(sealing(container, seal_every))
                yield
        finally:
            if manage_lifecycle:
                await container.close()

    def now() -> float:
        return container.clock.now().timestamp()

    graphql = GraphQLApp(container)
    settings = container.settings
    app = Starlette(
        routes=[
            # first: the router tries the routes in order, and no other path is /graphql
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            *oauth.routes(container),
            *oauth_endpoints.routes(container),
            *disclosures.routes(container),
            *documents.routes(container),
            *transparency.routes(container),
            *console_auth.routes(container),
            *console_sso.routes(container),
            *console_routes(container, graphql.schema, graphql.budget),
        ],
        middleware=[
            # a server span per request, around everything else (when tracing is on)
            *([Middleware(container.tracing.asgi)] if container.tracing.on else []),
            # times every request and answers /metrics (its own token) before the bearer-token
            # authentication; the request's id and access line cover every answer, refusals
            # too; the read units of a GraphQL request (the token's standing included) share
            # one pooled connection
            Middleware(
                RequestFrame,
                scrape=scrape,
                metrics_token=settings.metrics_token,
                access_log=settings.access_log,
                shared_reads=container.db.shared_reads,
            ),
            Middleware(
                AuthenticationMiddleware,
                backend=BearerBackend(
                    Principals(container.uow, container.validator, now).of_token,
                    partial(session_principal, container),
                ),
                on_error=on_auth_error,
            ),
            Middleware(
                BodySizeLimit,
                max_bytes=settings.max_body_bytes,
                per_path={
                    # uploads stream under their own limit, whatever the general one
                    "/documents": settings.max_document_bytes,
                    "/graphql": min(settings.max_graphql_bytes, settings.max_body_bytes),
                },
                anonymous_bytes=settings.max_anonymous_bytes,
                graphql_paths={"/graphql"},
            ),
            # a state-changing request the console's session cookie carries needs its CSRF
            # token and may not come from another site
            Middleware(SessionCsrfGuard, issuer=settings.issuer),
        ],
        lifespan=lifespan,
    )
    app.state.container = container
    return app
