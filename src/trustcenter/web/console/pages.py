"""What every console page shares: who may see it, the layout with its navigation, forms with
their CSRF token, and the answers to an operation that failed.

A page handler is written as::

    @console_page(scopes={"review"})
    async def queue(c: Page) -> Response:
        outcome = await c.run("Queue", {...})
        return c.render("queue.html", "Queue", queue=outcome.data["requests"])

``console_page`` sends anyone not signed in to the sign-in page, answers 403 to a person
without one of ``scopes``, and for a POST reads the form (``c.form``), refuses it (403, nothing
done) without the session's CSRF token or from another site, so handlers only do their work.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from trustcenter.auth.principal import Principal
from trustcenter.services.sessions import csrf_matches, csrf_token
from trustcenter.web.authentication import CSRF_HEADER, cross_site, principal_of, session_token
from trustcenter.web.console.nav import sections_for
from trustcenter.web.console.runner import Outcome, Runner
from trustcenter.web.console_auth import (
    CROSS_SITE,
    SIGN_IN,
    STALE_FORM,
    FormRefused,
    page,
    read_form,
    redirect,
    refused,
    roles_text,
)

#: the largest console form (a decision on every item of a request, a 10,000-character note)
MAX_CONSOLE_FORM_BYTES = 64 * 1024
MAX_CONSOLE_FORM_FIELDS = 400
#: a notice that names one of the pages' fixed sentences (shown by key, never as given)
_NOTICE_KEY = re.compile(r"[a-z_]{1,40}")


@dataclass
class Page:
    """One console request being served: the request, the signed-in person, the form (for a
    POST) and the runner of the console's operations."""

    request: Request
    principal: Principal
    runner: Runner
    form: dict[str, str] = field(default_factory=dict)

    @property
    def csrf(self) -> str:
        return csrf_token(session_token(self.request) or "")

    async def run(self, name: str, variables: dict[str, Any] | None = None) -> Outcome:
        """Run the console operation ``name`` as this person."""
        return await self.runner.run(self.request, name, variables)

    def render(self, template: str, title: str, status: int = 200, **context: Any) -> Response:
        """``console/<template>`` in the console's layout, with the navigation this person
        may use and the CSRF token every form carries."""
        nav = sections_for(self.principal.scopes)
        return page(
            template,
            status,
            title=title,
            nav=nav,
            path=self.request.url.path,
            csrf=self.csrf,
            person=self.principal.staff_name,
            roles=roles_text(self.principal.scopes),
            **context,
        )

    def failed(self, outcome: Outcome, back: str) -> Response:
        """The page for an operation refused as a whole (403 when the person lacks the scope,
        404 when what it names does not exist for them, else 400), naming why."""
        codes = outcome.codes
        status = 403 if "FORBIDDEN" in codes else 404 if "NOT_FOUND" in codes else 400
        message = "; ".join(str(e.get("message", "")) for e in outcome.errors) or "Not found."
        return self.render("failed.html", "Not done", status, error=message, back=back)

    def back_to(self, path: str, **query: str) -> Response:
        """Redirect after a POST (303), optionally with a notice for the next page: the key of
        a fixed sentence (``review_common.NOTICES``) as it is, words of its own signed for this
        session (:meth:`notice`)."""
        wanted = {k: v for k, v in query.items() if v}
        if "notice" in wanted and not _NOTICE_KEY.fullmatch(wanted["notice"]):
            wanted["sig"] = self._signature(wanted["notice"])
        return redirect(f"{path}?{urlencode(wanted)}" if wanted else path)

    def notice(self) -> str:
        """The ``?notice=`` a console action redirected this session with; nothing for any
        other (a link crafted elsewhere cannot put words of its own on a console page)."""
        given = self.request.query_params.get("notice", "")
        sig = self.request.query_params.get("sig", "")
        return given if given and hmac.compare_digest(sig, self._signature(given)) else ""

    def _signature(self, notice: str) -> str:
        mac = hmac.new(self.csrf.encode(), b"notice\0" + notice.encode(), hashlib.sha256)
        return mac.hexdigest()[:32]


Handler = Callable[[Page], Awaitable[Response]]


def console_page(
    runner: Runner, *, scopes: Collection[str] = ()
) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a page handler: signed-in people only (others go to the sign-in page), with one of
    ``scopes`` (403 otherwise); a POST's form read and its CSRF token and origin checked."""
    needed = frozenset(scopes)

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @wraps(handler)
        async def endpoint(request: Request) -> Response:
            principal = principal_of(request)
            if principal.session_id is None:
                return redirect(SIGN_IN)
            c = Page(request, principal, runner)
            if needed and not needed & principal.scopes:
                message = "Your roles do not include this page."
                return c.render("failed.html", "Not yours", 403, error=message, back="/console")
            if request.method == "POST":
                refusal = await _read_post(c)
                if refusal is not None:
                    return refusal
            return await handler(c)

        return endpoint

    return wrap


async def _read_post(c: Page) -> Response | None:
    """Read a console POST into ``c.form``; the refusal when it may not be acted on."""
    back = c.request.url.path
    if cross_site(c.request, _issuer(c)):
        return refused(CROSS_SITE, back)
    try:
        c.form = await read_form(
            c.request, max_bytes=MAX_CONSOLE_FORM_BYTES, max_fields=MAX_CONSOLE_FORM_FIELDS
        )
    except FormRefused as e:
        return refused(e.message, back, e.status)
    given = c.form.pop("csrf_token", None) or c.request.headers.get(CSRF_HEADER)
    token = session_token(c.request)
    if token is None or not csrf_matches(token, given):
        return refused(STALE_FORM, back)
    return None


def _issuer(c: Page) -> str:
    return c.runner.container.settings.issuer
