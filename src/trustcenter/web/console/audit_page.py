"""Audit (scope ``audit``): verify the audit log's hash chain and show the result — how many
links were checked, intact or where and why it breaks — and the chain's head (its newest
sequence number and hash).

- ``GET /console/audit``: what the check does, and a button;
- ``GET /console/audit?verify=1``: the check run now (a read: no form token needed), and its
  result."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.web.console.admin_shared import times_of
from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.runner import Runner

PATH = "/console/audit"


def routes(runner: Runner) -> list[Route]:
    auditors = console_page(runner, scopes={"audit"})
    return [Route(PATH, auditors(audit), methods=["GET"])]


async def audit(c: Page) -> Response:
    result = None
    if c.request.query_params.get("verify"):
        outcome = await c.run("AuditVerify")
        if outcome.errors:
            return c.failed(outcome, PATH)
        result = outcome.data["auditVerification"]
    return c.render(
        "audit.html",
        "Audit",
        result=result,
        checked_at=times_of(c).at(c.runner.container.clock.now().isoformat()),
    )
