"""OAuth endpoints: token (client credentials), RFC 8414 metadata, JWKS."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trustcenter.auth.scopes import ALL_SCOPES
from trustcenter.auth.server import AUTH_METHODS, presented_client_id
from trustcenter.auth.tokens import unverified_claims
from trustcenter.bootstrap import Container
from trustcenter.services.clients import client_for_token_request, record_token_issued


def metadata(container: Container) -> dict[str, Any]:
    issuer = container.settings.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "scopes_supported": list(ALL_SCOPES),
        "response_types_supported": ["token"],
        "service_documentation": f"{issuer}/docs/api",
    }


def routes(container: Container) -> list[Route]:
    async def token(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip()
        if content_type != "application/x-www-form-urlencoded":
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "send the form as application/x-www-form-urlencoded",
                },
                status_code=400,
                headers={"Cache-Control": "no-store"},
            )
        pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
        form = dict(pairs)
        if len(form) != len(pairs):
            return JSONResponse(
                {"error": "invalid_request", "error_description": "a parameter is repeated"},
                status_code=400,
                headers={"Cache-Control": "no-store"},
            )
        headers = request.headers
        await container.keys.reload_if_stale(container.clock.now())
        client = await client_for_token_request(container.db, presented_client_id(headers, form))
        result = container.auth_server.token_response(
            "POST", container.settings.issuer + "/oauth/token", headers, form, client
        )
        if result.status == 200:
            await record_token_issued(
                container.db, container.clock, unverified_claims(result.body["access_token"])
            )
        response_headers = dict(result.headers)
        response_headers["Cache-Control"] = "no-store"
        if result.status == 401:
            response_headers.setdefault("WWW-Authenticate", 'Basic realm="trustcenter"')
        return JSONResponse(result.body, status_code=result.status, headers=response_headers)

    async def server_metadata(request: Request) -> Response:
        return JSONResponse(metadata(container))

    async def jwks(request: Request) -> Response:
        return JSONResponse(
            container.keys.public_jwks(), headers={"Cache-Control": "public, max-age=300"}
        )

    return [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/.well-known/oauth-authorization-server", server_metadata, methods=["GET"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    ]
