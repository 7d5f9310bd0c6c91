"""Plugins (review, audit or admin): the plugins loaded, built in or installed, with their
versions, the hooks each implements, the jurisdictions each covers and the finding codes each
declares (code, severity, description).

- ``GET /console/plugins``."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.runner import Runner

PATH = "/console/plugins"


def routes(runner: Runner) -> list[Route]:
    readers = console_page(runner, scopes={"review", "audit", "admin"})
    return [Route(PATH, readers(plugins), methods=["GET"])]


async def plugins(c: Page) -> Response:
    outcome = await c.run("PluginList")
    if outcome.errors:
        return c.failed(outcome, "/console")
    loaded = sorted(outcome.data["plugins"], key=lambda p: (not p["builtin"], p["name"]))
    return c.render("plugins.html", "Plugins", plugins=loaded)
