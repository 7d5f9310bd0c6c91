"""The console's sign-in, server-rendered, with no script:

- ``GET/POST /console/sign-in``: e-mail address and password;
- ``GET/POST /console/sign-in/code``: the authenticator's code, and the enrolment (a QR code as
  inline SVG, made here with segno, and the secret as text) while the member has none;
- ``POST /console/sign-out``: ends the session server-side;
- ``GET /console/session``: the signed-in person and the session's CSRF token as JSON, for an
  in-house frontend that calls ``/graphql`` with the session cookie (401 JSON without a
  session); the same origin only, as the cookie is SameSite=Strict and no CORS header is sent;
- ``GET /console``: the signed-in home (a placeholder for the console's pages); anyone else is
  sent to the sign-in page (303).

The session lives in the cookie ``__Host-trustcenter-session``: HttpOnly, Secure,
SameSite=Strict, ``Path=/``, no ``Domain``, ``Max-Age`` to the session's absolute expiry. The
token changes when the second factor is given (no session fixation).

**CSRF.** Every form carries a CSRF token as the hidden field ``csrf_token`` (a request may send
the ``X-CSRF-Token`` header instead); every POST here is refused (403, nothing done) when it
lacks the right one or when the browser says it comes from another site (``Origin`` not ours,
``Sec-Fetch-Site`` not same-origin). After the password the token is the session's
(``services.sessions.csrf_token``). *Before* it — the sign-in form itself, where there is no
session yet — we use a double-submit cookie: ``GET /console/sign-in`` sets a random
``__Host-trustcenter-form`` cookie (HttpOnly, Secure, SameSite=Strict) and the form carries the
HMAC of it. The SameSite cookie and the ``Origin`` check alone would stop login CSRF in current
browsers, but not in a browser that sends neither ``Origin`` on a form post nor honours
SameSite; the double-submit token costs nothing, needs no server state, and ``__Host-`` keeps a
sibling subdomain from planting the cookie it would need to forge the field.

Pages carry the transparency pages' headers and a CSP that loads nothing from anywhere (forms
post only to this origin), ``Cache-Control: no-store`` and ``Referrer-Policy: same-origin`` (so
the browser sends our own ``Origin`` on our forms and ``null`` from pages that hide theirs).
Forms are read here, within :data:`MAX_FORM_BYTES`: URL-encoded UTF-8 only, no repeated field,
no NUL; anything else is a 400 page, never an error.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import segno
from jinja2 import Environment, PackageLoader
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from trustcenter.auth.principal import PERSON_PREFIX
from trustcenter.auth.scopes import ROLE_SCOPES
from trustcenter.bootstrap import Container
from trustcenter.services.sessions import csrf_matches, csrf_token, digest
from trustcenter.services.sign_in import (
    LOCAL_OFF,
    Enrolment,
    SessionTicket,
    SignInRefused,
    enrolment,
    give_second_factor,
    sign_in_with_password,
    sign_out,
)
from trustcenter.web.authentication import (
    CSRF_HEADER,
    SESSION_COOKIE,
    cross_site,
    principal_of,
    session_token,
)
from trustcenter.web.console.nav import sections_for

HOME = "/console"
SIGN_IN = "/console/sign-in"
CODE = "/console/sign-in/code"
SIGN_OUT = "/console/sign-out"
SESSION = "/console/session"
#: the pre-sign-in double-submit cookie and how long a sign-in form stays good
FORM_COOKIE = "__Host-trustcenter-form"
FORM_SECONDS = 3600
#: the largest form a console page reads (a sign-in form is well under 1 KiB)
MAX_FORM_BYTES = 8 * 1024
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
JSON_HEADERS = {"Cache-Control": "no-store", "Vary": "Cookie", "X-Content-Type-Options": "nosniff"}
CROSS_SITE = "This form was sent from another site, so nothing was done."
STALE_FORM = "This form has expired or was not sent by this page: please try again."

templates = Environment(
    loader=PackageLoader("trustcenter.web", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


class FormRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def read_form(
    request: Request, *, max_bytes: int = MAX_FORM_BYTES, max_fields: int = 20
) -> dict[str, str]:
    """The URL-encoded form of a console POST, within ``max_bytes`` and ``max_fields``."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise FormRefused(415, "Send the form as a web form (application/x-www-form-urlencoded).")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_bytes:
            raise FormRefused(413, "This form is too large.")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            errors="strict",
            max_num_fields=max_fields,
        )
    except (UnicodeDecodeError, ValueError):
        raise FormRefused(400, "This form could not be read.") from None
    form = dict(pairs)
    if len(form) != len(pairs) or any("\x00" in k or "\x00" in v for k, v in pairs):
        raise FormRefused(400, "This form could not be read.")
    return form


def page(
    template: str, status: int = 200, *, retry_after: int | None = None, **context: Any
) -> Response:
    """A console page with its security headers (and ``Retry-After`` when throttled)."""
    body = templates.get_template(f"console/{template}").render(**context)
    headers = dict(PAGE_HEADERS)
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return HTMLResponse(body, status_code=status, headers=headers)


def redirect(to: str) -> RedirectResponse:
    return RedirectResponse(to, status_code=303, headers={"Cache-Control": "no-store"})


def set_session(response: Response, ticket: SessionTicket, now: datetime) -> None:
    max_age = max(0, int((ticket.expires_at - now).total_seconds()))
    response.set_cookie(
        SESSION_COOKIE,
        ticket.token,
        max_age=max_age,
        path="/",
        secure=True,
        httponly=True,
        samesite="strict",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")


def restart() -> Response:
    """Back to the sign-in page, the dead session's cookie dropped."""
    response = redirect(SIGN_IN)
    clear_session(response)
    return response


def refused(message: str, back: str, status: int = 403) -> Response:
    """A console form refused before anything was done."""
    return page("refused.html", status, error=message, back=back)


def status_of(refused: SignInRefused) -> int:
    return {"off": 403, "throttled": 429}.get(refused.code, 401)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _given_csrf(request: Request, form: dict[str, str]) -> str | None:
    return form.get("csrf_token") or request.headers.get(CSRF_HEADER)


def qr_code(enrolled: Enrolment) -> Markup:
    """The enrolment's ``otpauth://`` address as an inline SVG QR code."""
    svg = segno.make(enrolled.uri, error="m").svg_inline(
        scale=4, border=4, omitsize=True, title="QR code for your authenticator app"
    )
    return Markup(svg)  # noqa: S704 (segno's own markup, no user text in it but the address)


def roles_text(scopes: frozenset[str]) -> str:
    """The roles a person's scopes come from (each role grants its own scope)."""
    held = [role for role, granted in ROLE_SCOPES.items() if granted and granted <= scopes]
    return ", ".join(held) or "no role"


class ConsoleSignIn:
    """The routes' handlers, served with the container."""

    def __init__(self, container: Container) -> None:
        self.app = container
        self.issuer = container.settings.issuer

    def routes(self) -> list[Route]:
        return [
            Route(HOME, self.home, methods=["GET"]),
            Route(SIGN_IN, self.sign_in_page, methods=["GET"]),
            Route(SIGN_IN, self.sign_in, methods=["POST"]),
            Route(CODE, self.code_page, methods=["GET"]),
            Route(CODE, self.code, methods=["POST"]),
            Route(SIGN_OUT, self.leave, methods=["POST"]),
            Route(SESSION, self.session, methods=["GET"]),
        ]

    # -- the pages ---------------------------------------------------------------------------

    def sign_in_form(
        self,
        request: Request,
        error: str | None = None,
        status: int = 200,
        email: str = "",
        retry_after: int | None = None,
    ) -> Response:
        """The password form, with a (new or the same) pre-sign-in CSRF cookie."""
        existing = request.cookies.get(FORM_COOKIE)
        form_token = existing if existing and digest(existing) else secrets.token_urlsafe(32)
        local = self.app.settings.local_sign_in
        response = page(
            "sign_in.html",
            status,
            retry_after=retry_after,
            csrf=csrf_token(form_token),
            error=error if local else error or LOCAL_OFF,
            email=email[:254],
            local_sign_in=local,
            sso=self.app.settings.oidc_configured,
        )
        response.set_cookie(
            FORM_COOKIE,
            form_token,
            max_age=FORM_SECONDS,
            path="/",
            secure=True,
            httponly=True,
            samesite="strict",
        )
        return response

    async def code_form(
        self,
        token: str,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
    ) -> Response:
        """The code form, with the enrolment while the member has none confirmed."""
        try:
            enrolled = await enrolment(self.app, token)
        except SignInRefused:
            return restart()
        return page(
            "code.html",
            status,
            retry_after=retry_after,
            csrf=csrf_token(token),
            enrolment=enrolled,
            qr=qr_code(enrolled) if enrolled is not None else None,
            error=error,
        )

    # -- the routes --------------------------------------------------------------------------

    async def sign_in_page(self, request: Request) -> Response:
        if principal_of(request).session_id is not None:
            return redirect(HOME)
        return self.sign_in_form(request)

    async def sign_in(self, request: Request) -> Response:
        if cross_site(request, self.issuer):
            return self.sign_in_form(request, CROSS_SITE, 403)
        try:
            form = await read_form(request)
        except FormRefused as e:
            return self.sign_in_form(request, e.message, e.status)
        email = form.get("email", "")
        form_token = request.cookies.get(FORM_COOKIE)
        if not form_token or not csrf_matches(form_token, _given_csrf(request, form)):
            return self.sign_in_form(request, STALE_FORM, 403, email)
        try:
            ticket = await sign_in_with_password(
                self.app,
                email,
                form.get("password", ""),
                address=_address(request),
                user_agent=request.headers.get("user-agent"),
            )
        except SignInRefused as r:
            return self.sign_in_form(request, r.message, status_of(r), email, r.retry_after)
        response = redirect(CODE)
        set_session(response, ticket, self.app.clock.now())
        return response

    async def code_page(self, request: Request) -> Response:
        if principal_of(request).session_id is not None:
            return redirect(HOME)
        token = request.cookies.get(SESSION_COOKIE)
        return restart() if token is None else await self.code_form(token)

    async def code(self, request: Request) -> Response:
        if cross_site(request, self.issuer):
            return refused(CROSS_SITE, CODE)
        try:
            form = await read_form(request)
        except FormRefused as e:
            return refused(e.message, CODE, e.status)
        token = request.cookies.get(SESSION_COOKIE)
        if token is None or not csrf_matches(token, _given_csrf(request, form)):
            return refused(STALE_FORM, CODE)
        try:
            ticket = await give_second_factor(
                self.app, token, form.get("code", ""), address=_address(request)
            )
        except SignInRefused as r:
            if r.code in ("expired", "off"):
                return restart()
            return await self.code_form(token, r.message, status_of(r), r.retry_after)
        response = redirect(HOME)
        set_session(response, ticket, self.app.clock.now())
        return response

    async def leave(self, request: Request) -> Response:
        if cross_site(request, self.issuer):
            return refused(CROSS_SITE, HOME)
        try:
            form = await read_form(request)
        except FormRefused as e:
            return refused(e.message, HOME, e.status)
        token = request.cookies.get(SESSION_COOKIE)
        if token is None:
            return redirect(SIGN_IN)
        if not csrf_matches(token, _given_csrf(request, form)):
            return refused(STALE_FORM, HOME)
        await sign_out(self.app, token)
        return restart()

    async def session(self, request: Request) -> Response:
        """Who is signed in and the CSRF token their state-changing requests carry."""
        principal = principal_of(request)
        token = session_token(request)
        headers = JSON_HEADERS
        if principal.session_id is None or token is None:
            body = {"error": "not_signed_in", "error_description": "sign in at " + SIGN_IN}
            return JSONResponse(body, status_code=401, headers=headers)
        return JSONResponse(
            {
                "name": principal.staff_name,
                "email": (principal.client_id or "").removeprefix(PERSON_PREFIX),
                "scopes": sorted(principal.scopes),
                "csrfToken": csrf_token(token),
                "csrfHeader": "X-CSRF-Token",
            },
            headers=headers,
        )

    async def home(self, request: Request) -> Response:
        """The first section the person's roles open (the queue for reviewers)."""
        principal = principal_of(request)
        token = session_token(request)
        if principal.session_id is None or token is None:
            return redirect(SIGN_IN)
        sections = sections_for(principal.scopes)
        if sections:
            return redirect(sections[0].path)
        return page(
            "home.html",
            name=principal.staff_name,
            email=(principal.client_id or "").removeprefix(PERSON_PREFIX),
            roles=roles_text(principal.scopes),
            csrf=csrf_token(token),
        )


def routes(container: Container) -> list[Route]:
    """The console's sign-in routes and its home (the first section the person may open)."""
    return ConsoleSignIn(container).routes()
