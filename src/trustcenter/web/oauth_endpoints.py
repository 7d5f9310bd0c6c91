"""RFC 7009 revocation and RFC 7662 introspection: ``POST /oauth/revoke``, ``/oauth/introspect``.

Clients authenticate exactly as at the token endpoint (same form handling, one method only, the
same failed-authentication budgets, client lookup, answers and logging); the protocol work is
authlib's (``auth.endpoints``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trustcenter.auth.endpoints import presenting
from trustcenter.bootstrap import Container
from trustcenter.services.tokens import presented_token, revoke
from trustcenter.web.oauth import answer, client_for, read_form, refused_before, settled


def routes(container: Container) -> list[Route]:
    settings = container.settings

    def endpoint(name: str, path: str) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            form = await read_form(request)
            if isinstance(form, Response):
                return form
            refused = await refused_before(container, request, form)  # one method; throttle
            if refused is not None:
                return refused
            client = await client_for(container, request, form)
            # the token is looked at only for a client that exists (authlib then checks its
            # credentials before it sees the token)
            token = None
            if client is not None and client.refusal is None and form.get("token"):
                token = await presented_token(
                    container.uow,
                    container.validator,
                    form["token"],
                    issuer=settings.issuer,
                    audience=settings.audience,
                )
            with presenting(token):
                result = container.auth_server.endpoint_response(
                    name, "POST", settings.issuer + path, request.headers, form, client
                )
            result = await settled(container, request, form, result)  # log, audit, replay
            if result.status == 200 and token is not None and token.revoke:
                await revoke(container.uow, container.clock, token)
            return answer(result)

        return handle

    return [
        Route("/oauth/revoke", endpoint("revocation", "/oauth/revoke"), methods=["POST"]),
        Route(
            "/oauth/introspect", endpoint("introspection", "/oauth/introspect"), methods=["POST"]
        ),
    ]
