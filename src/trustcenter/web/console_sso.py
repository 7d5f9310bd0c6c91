"""Single sign-on for the console with the company's OpenID Connect provider (authlib's
Starlette client; who the person is on the staff is :mod:`trustcenter.services.sso`'s call):

- ``GET /console/sso``: sends the browser to the provider's authorization endpoint — the
  authorization code flow with ``state``, ``nonce`` and PKCE (``S256``), scopes ``openid email
  profile``, the redirect URI ``{TRUSTCENTER_ISSUER}/console/sso/callback``;
- ``GET /console/sso/callback``: the ``state`` must be the one this browser was given; the code
  is exchanged (client secret, PKCE verifier) and the ID token checked by authlib — signature
  against the provider's JWKS, ``iss``, ``aud``, ``exp``, ``iat``, ``nonce``, ``at_hash``; the
  userinfo endpoint's claims are added when the provider has one (its ``sub`` must be the
  token's). The provider's discovery document must name the configured issuer exactly, and an
  ``iss`` in the redirect (RFC 9207) must be it too, so a response from another provider is
  not taken for this one's.

Every failure — no or another state, the provider's error, an unreachable provider, a bad
token, a person the staff does not know, disabled or without a role — answers a page that says
so (never a 500) and leaves no session.

**The flow's state** (``state``, ``nonce``, the PKCE verifier, the redirect URI) lives in the
cookie :data:`STATE_COOKIE`: sealed with AES-256-GCM under a key derived from
``TRUSTCENTER_SECRET_KEY`` (a random key per process without it, as in development), holding
its own expiry (:data:`STATE_SECONDS`), ``Max-Age`` the same, deleted by the callback. *Why not
starlette's SessionMiddleware:* it needs ``itsdangerous`` (not a dependency), only signs (the
PKCE verifier would be readable), and a session store is more than one ten-minute value needs;
authlib reads and writes ``request.session``, so the routes hand it a plain dict and seal it
themselves. The cookie is ``Secure``, ``HttpOnly`` and ``SameSite=Lax`` — the provider's redirect
back is a cross-site navigation, which a ``Strict`` cookie would not join — and ``__Host-``
(so ``Path=/``, not ``/console/sso``): a sibling subdomain cannot plant its own flow's cookie
to sign a victim in as someone else, which is worth more than keeping the cookie off other
paths for the ten minutes it lives.

**After the callback** the session cookie is set exactly as the password sign-in sets it
(``console_auth.set_session``: ``__Host-``, ``SameSite=Strict``). The answer is a short page
that moves on to ``/console`` by itself (``Refresh: 0``) rather than a 303: the callback is
the end of a navigation the provider's site started, and browsers do not send a
``SameSite=Strict`` cookie on a redirect of such a navigation, so a 303 would land the person
on the sign-in page. The refresh is a navigation of our own page, which the cookie joins.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
from datetime import datetime
from typing import Any

from authlib.common.errors import AuthlibBaseError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc.errors import JoseError
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from trustcenter.bootstrap import Container
from trustcenter.services.outbound_tls import default_trust
from trustcenter.services.sign_in import SignInRefused
from trustcenter.services.sso import sign_in_with_provider
from trustcenter.web.authentication import principal_of
from trustcenter.web.console_auth import HOME, SIGN_IN, page, redirect, set_session

log = logging.getLogger("trustcenter.auth")

START = "/console/sso"
CALLBACK = "/console/sso/callback"
STATE_COOKIE = "__Host-trustcenter-sso"
#: how long a started sign-in may take at the provider
STATE_SECONDS = 600
SCOPES = "openid email profile"
_LABEL = b"trustcenter sso state v1"
_NONCE = 12
#: an OAuth error code as RFC 6749 allows it (anything else is not shown)
_ERROR_CODE = re.compile(r"[a-z_]{1,40}")

UNREACHABLE = "The single sign-on provider could not be reached. Please try again later."
STALE = (
    "This single sign-on was not started here, was finished already or took too long. "
    "Please start again."
)
NOT_VOUCHED = "The single sign-on provider's answer could not be checked, so nothing was done."
MISCONFIGURED = (
    "Single sign-on is not set up correctly here: the provider names another issuer than the "
    "one configured. Please tell an administrator."
)


class ProviderMismatch(Exception):
    """The provider's answer names another issuer than the configured one."""


class StateSealer:
    """Seals the flow's state into a cookie value and opens it again (AES-256-GCM)."""

    def __init__(self, secret: bytes | None) -> None:
        key = (
            hmac.new(secret, _LABEL, hashlib.sha256).digest()
            if secret is not None
            else secrets.token_bytes(32)
        )
        self._aead = AESGCM(key)

    def seal(self, state: dict[str, Any], now: datetime) -> str:
        body = json.dumps({"exp": int(now.timestamp()) + STATE_SECONDS, "state": state})
        nonce = secrets.token_bytes(_NONCE)
        sealed = self._aead.encrypt(nonce, body.encode(), _LABEL)
        return base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def open(self, value: str | None, now: datetime) -> dict[str, Any]:
        """The state a cookie value holds; empty when there is none, it was tampered with or it
        expired."""
        if not value or len(value) > 4096:
            return {}
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
            body = json.loads(self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], _LABEL))
        except (ValueError, InvalidTag):
            return {}
        if not isinstance(body, dict) or not isinstance(body.get("state"), dict):
            return {}
        if not isinstance(body.get("exp"), int) or body["exp"] <= now.timestamp():
            return {}
        state: dict[str, Any] = body["state"]
        return state


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery §4: the issuer without a trailing ``/``, then the document."""
    return f"{issuer.rstrip('/')}/.well-known/openid-configuration"


def failed(message: str, status: int) -> Response:
    """The page of a single sign-on that did not sign the person in (the flow's cookie gone)."""
    response = page("sso_failed.html", status, error=message, back=SIGN_IN)
    forget_state(response)
    return response


def forget_state(response: Response) -> None:
    response.delete_cookie(STATE_COOKIE, path="/", secure=True, httponly=True, samesite="lax")


class ConsoleSso:
    """The two routes, served with the container; the provider's client made once."""

    def __init__(self, container: Container) -> None:
        # imported only when single sign-on is configured: serving starts faster without them
        import httpx
        from authlib.integrations.starlette_client import OAuth

        #: what a provider that cannot be reached or answers nonsense raises
        self.unreachable = (httpx.HTTPError, ValueError, KeyError)
        self.app = container
        settings = container.settings
        self.issuer = settings.oidc_issuer
        self.redirect_uri = settings.oidc_redirect_uri
        self.sealer = StateSealer(settings.secret_key_bytes)
        self.client = OAuth().register(
            "provider",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=discovery_url(settings.oidc_issuer),
            client_kwargs={
                "scope": SCOPES,
                "code_challenge_method": "S256",
                "timeout": 10,
                "verify": default_trust(trust_env=True),  # authlib makes a client per call
            },
        )

    def routes(self) -> list[Route]:
        return [
            Route(START, self.start, methods=["GET"]),
            Route(CALLBACK, self.callback, methods=["GET"]),
        ]

    async def _metadata(self) -> dict[str, Any]:
        """The provider's discovery document (fetched once), which must name our issuer."""
        metadata: dict[str, Any] = await self.client.load_server_metadata()
        if metadata.get("issuer") != self.issuer:
            self.client.server_metadata.clear()  # fetched again next time
            raise ProviderMismatch(f"the discovery document names {metadata.get('issuer')!r}")
        return metadata

    async def start(self, request: Request) -> Response:
        if principal_of(request).session_id is not None:
            return redirect(HOME)
        state: dict[str, Any] = {}
        request.scope["session"] = state
        try:
            await self._metadata()
            sent = await self.client.authorize_redirect(request, self.redirect_uri)
        except ProviderMismatch as e:
            log.error("single sign-on is misconfigured: %s, not %r", e, self.issuer)
            return failed(MISCONFIGURED, 502)
        except self.unreachable as e:
            log.warning("single sign-on: the provider at %s failed: %r", self.issuer, e)
            return failed(UNREACHABLE, 502)
        response = RedirectResponse(
            sent.headers["location"], status_code=303, headers={"Cache-Control": "no-store"}
        )
        response.set_cookie(
            STATE_COOKIE,
            self.sealer.seal(state, self.app.clock.now()),
            max_age=STATE_SECONDS,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )
        return response

    async def callback(self, request: Request) -> Response:
        state = self.sealer.open(request.cookies.get(STATE_COOKIE), self.app.clock.now())
        error = request.query_params.get("error")
        if not state:  # nothing to check the answer against: the provider is not even asked
            return failed(STALE, 403)
        if error is not None:
            shown = error if _ERROR_CODE.fullmatch(error) else "an error"
            return failed(f"The single sign-on provider did not sign you in ({shown}).", 403)
        request.scope["session"] = state
        try:
            claims = await self._vouched(request)
        except ProviderMismatch as e:
            log.warning("single sign-on refused: %s", e)
            return failed(NOT_VOUCHED, 403)
        except (AuthlibBaseError, JoseError) as e:
            log.info("single sign-on refused: %r", e)
            stale = getattr(e, "error", None) == "mismatching_state"
            return failed(STALE if stale else NOT_VOUCHED, 403)
        except self.unreachable as e:
            log.warning("single sign-on: the provider at %s failed: %r", self.issuer, e)
            return failed(UNREACHABLE, 502)
        try:
            ticket = await sign_in_with_provider(
                self.app,
                claims,
                address=request.client.host if request.client else "unknown",
                user_agent=request.headers.get("user-agent"),
            )
        except SignInRefused as r:
            return failed(r.message, 403)
        response = page("sso_signed_in.html", home=HOME)
        response.headers["Refresh"] = f"0; url={HOME}"
        set_session(response, ticket, self.app.clock.now())
        forget_state(response)
        return response

    async def _vouched(self, request: Request) -> dict[str, Any]:
        """The claims of the provider's checked ID token, with its userinfo's."""
        metadata = await self._metadata()
        given_iss = request.query_params.get("iss")
        if given_iss is not None and given_iss != self.issuer:
            raise ProviderMismatch(f"the redirect names the issuer {given_iss!r}")
        token = await self.client.authorize_access_token(request)
        id_claims = token.get("userinfo")
        if not id_claims:
            raise ProviderMismatch("the provider sent no ID token")
        claims = dict(id_claims)
        if metadata.get("userinfo_endpoint"):
            info = await self.client.userinfo(token=token)
            if info.get("sub") != claims.get("sub"):
                raise ProviderMismatch("the userinfo names another subject than the ID token")
            claims = {**info, **claims}
        return claims


def routes(container: Container) -> list[Route]:
    """The single sign-on routes; none when single sign-on is not configured (404)."""
    if not container.settings.oidc_configured:
        return []
    return ConsoleSso(container).routes()
