"""OAuth endpoints: token (client credentials), RFC 8414 metadata, JWKS; revocation and
introspection live in ``web.oauth_endpoints`` and share the form and client handling here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trustcenter.auth.client_auth import (
    ASSERTION_ALGORITHMS,
    INVALID_CLIENT_CHALLENGE,
    INVALID_CLIENT_DESCRIPTION,
    cut,
    methods_presented,
)
from trustcenter.auth.scopes import ALL_SCOPES
from trustcenter.auth.server import (
    AUTH_METHODS,
    ClientRecord,
    TokenResponse,
    presented_client_id,
)
from trustcenter.auth.tokens import unverified_claims
from trustcenter.bootstrap import Container
from trustcenter.observability.context import current
from trustcenter.observability.instruments import recorder
from trustcenter.services.client_auth import (
    audit_auth_failures,
    record_auth_failure,
    use_assertion,
)
from trustcenter.services.clients import client_for_token_request, record_token_issued


def metadata(container: Container) -> dict[str, Any]:
    issuer = container.settings.issuer
    return {
        "issuer": issuer,
        "token_endpoint": f"{issuer}/oauth/token",
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "token_endpoint_auth_signing_alg_values_supported": list(ASSERTION_ALGORITHMS),
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
        "scopes_supported": list(ALL_SCOPES),
        # There is no authorization endpoint, so no response type is offered; the API guide
        # ships with the product (docs/api.md) rather than being served from here.
    }


NO_STORE = {"Cache-Control": "no-store"}


async def read_form(request: Request) -> dict[str, str] | Response:
    """The form of a request to an OAuth endpoint (token, revocation, introspection), or the
    ``invalid_request`` answer."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/x-www-form-urlencoded":
        return JSONResponse(
            {
                "error": "invalid_request",
                "error_description": "send the form as application/x-www-form-urlencoded",
            },
            status_code=400,
            headers=NO_STORE,
        )
    pairs = parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True)
    form = dict(pairs)
    if len(form) != len(pairs):
        return JSONResponse(
            {"error": "invalid_request", "error_description": "a parameter is repeated"},
            status_code=400,
            headers=NO_STORE,
        )
    return form


async def client_for(
    container: Container, request: Request, form: Mapping[str, str]
) -> ClientRecord | None:
    """The client a request to any OAuth endpoint names, for authlib to authenticate. The
    token, revocation and introspection endpoints all come through here and through
    ``answer``."""
    return await client_for_token_request(
        container.uow, presented_client_id(request.headers, form), container.clock.now()
    )


def named(claimed: str | None) -> None:
    """The client id a request to an OAuth endpoint claims, for its access-log line (cut as
    the failure log cuts it: whether or not the client exists or authenticates)."""
    context = current()
    if context is not None and claimed:
        context.client_id = cut(claimed)


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def refused_before(
    container: Container, request: Request, form: Mapping[str, str]
) -> Response | None:
    """What every OAuth endpoint checks before any client authentication work: one
    authentication method only (RFC 6749 section 2.3), and the failed-authentication budgets
    of the claimed client id and the source address (429 ``slow_down`` with Retry-After).
    Closed minutes of failures are audited here too."""
    if len(methods_presented(request.headers, form)) > 1:
        return JSONResponse(
            {
                "error": "invalid_request",
                "error_description": "use one client authentication method, not several",
            },
            status_code=400,
            headers=NO_STORE,
        )
    claimed = presented_client_id(request.headers, form)
    named(claimed)
    wait = await container.client_throttle.retry_after(claimed, client_address(request))
    if wait is not None:
        return JSONResponse(
            {
                "error": "slow_down",
                "error_description": "too many failed client authentications: "
                f"retry in {wait} seconds",
            },
            status_code=429,
            headers={**NO_STORE, "Retry-After": str(wait)},
        )
    await audit_auth_failures(container.uow, container.clock)
    return None


async def settled(
    container: Container, request: Request, form: Mapping[str, str], result: TokenResponse
) -> TokenResponse:
    """After authlib: an accepted client assertion is recorded (a replay, even one racing in
    another process, fails here), and every failed authentication spends the budgets, is
    logged and counted for the audit."""
    claimed = presented_client_id(request.headers, form)
    if result.assertion is not None and result.status == 200 and claimed:
        jti, exp = result.assertion
        if not await use_assertion(container.uow, container.clock, claimed, jti, exp):
            result = TokenResponse(
                401,
                {"error": "invalid_client", "error_description": INVALID_CLIENT_DESCRIPTION},
                [("WWW-Authenticate", INVALID_CLIENT_CHALLENGE)],
                failure="assertion replayed",
            )
    if result.failure is not None:
        address = client_address(request)
        await container.client_throttle.failed(claimed, address)
        await record_auth_failure(container.uow, container.clock, claimed, address, result.failure)
    return result


def answer(result: TokenResponse) -> Response:
    response_headers = dict(result.headers)
    response_headers.update(NO_STORE)
    if result.status == 401:
        response_headers.setdefault("WWW-Authenticate", 'Basic realm="trustcenter"')
    return JSONResponse(result.body, status_code=result.status, headers=response_headers)


def _outcome(response: Response) -> str:
    """How a token request ended: ``issued``, ``throttled`` or the OAuth error code."""
    if response.status_code == 200:
        return "issued"
    if response.status_code == 429:
        return "throttled"
    try:
        error = json.loads(bytes(response.body)).get("error")
    except (ValueError, AttributeError):
        error = None
    return error if isinstance(error, str) else "other"


def routes(container: Container) -> list[Route]:
    async def token(request: Request) -> Response:
        response = await issue(request)
        recorder().token_outcome(_outcome(response))
        return response

    async def issue(request: Request) -> Response:
        form = await read_form(request)
        if isinstance(form, Response):
            return form
        refused = await refused_before(container, request, form)
        if refused is not None:
            return refused
        await container.keys.reload_if_stale(container.clock.now())
        client = await client_for(container, request, form)
        result = container.auth_server.token_response(
            "POST", container.settings.issuer + "/oauth/token", request.headers, form, client
        )
        result = await settled(container, request, form, result)
        if result.status == 200:
            await record_token_issued(
                container.uow, container.clock, unverified_claims(result.body["access_token"])
            )
        return answer(result)

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
