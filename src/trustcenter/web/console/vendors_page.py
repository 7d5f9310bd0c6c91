"""Vendors (review or admin): every vendor with its attestation's expiry — expiring within 30
days highlighted, expired or otherwise blocked shown in red with the reason — and, for admins,
the form that records a new attestation (reviewers read the list only).

- ``GET /console/vendors``;
- ``POST /console/vendors/attest`` (admin): ``vendor_id``, ``reference``, ``expires_on`` (the
  last day it holds, UTC), ``note``."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from trustcenter.web.console.admin_shared import (
    GENERAL,
    field,
    notice_of,
    problems,
    refused_whole,
    times_of,
)
from trustcenter.web.console.pages import Page, console_page
from trustcenter.web.console.runner import Runner

LIST = "/console/vendors"
#: an attestation ending within this many days is highlighted
EXPIRING_DAYS = 30

Errors = dict[str, list[str]]


def routes(runner: Runner) -> list[Route]:
    readers = console_page(runner, scopes={"review", "admin"})
    admin = console_page(runner, scopes={"admin"})
    return [
        Route(LIST, readers(listing), methods=["GET"]),
        Route(f"{LIST}/attest", admin(attest), methods=["POST"]),
    ]


async def listing(c: Page) -> Response:
    return await show(c)


def standing(vendor: dict[str, Any], t: Any) -> str:
    """``blocked``, ``expiring`` (within 30 days) or ``ok``."""
    if vendor.get("blockedBecause"):
        return "blocked"
    if t.within_days(vendor.get("attestedUntil"), EXPIRING_DAYS):
        return "expiring"
    return "ok"


async def show(
    c: Page,
    *,
    failed: str = "",
    errors: Errors | None = None,
    values: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    outcome = await c.run("VendorList")
    if outcome.errors:
        return c.failed(outcome, "/console")
    t = times_of(c)
    vendors = [{**v, "standing": standing(v, t)} for v in outcome.data["vendors"]]
    order = {"blocked": 0, "expiring": 1, "ok": 2}
    vendors.sort(key=lambda v: (order[v["standing"]], v["attestedUntil"] or "", v["name"]))
    return c.render(
        "vendors.html",
        "Vendors",
        status,
        vendors=vendors,
        admin="admin" in c.principal.scopes,
        expiring_days=EXPIRING_DAYS,
        t=t,
        notice=notice_of(c),
        failed=failed,
        errors=errors or {},
        values=values or {},
    )


async def attest(c: Page) -> Response:
    form = c.form
    vendor_id = form.get("vendor_id", "")
    try:
        last_day = date.fromisoformat(field(form, "expires_on"))
    except ValueError:
        errors: Errors = {"expiresAt": ["give the last day it holds (YYYY-MM-DD)"]}
        return await show(c, failed="attest", errors=errors, values=form, status=400)
    given = {
        "vendorId": vendor_id,
        "reference": field(form, "reference"),
        # it holds through its last day (UTC)
        "expiresAt": f"{last_day.isoformat()}T23:59:59+00:00",
        "note": field(form, "note") or None,
    }
    outcome = await c.run("VendorAttest", {"input": given})
    if refused_whole(outcome) and not outcome.user_errors("recordVendorAttestation"):
        return c.failed(outcome, LIST)
    errors = problems(outcome, "recordVendorAttestation")
    vendor = outcome.payload("recordVendorAttestation").get("vendor")
    if errors or not vendor:
        errors = errors or {GENERAL: ["The attestation was not recorded."]}
        return await show(c, failed="attest", errors=errors, values=form, status=400)
    until = times_of(c).at(vendor["attestedUntil"])
    return c.back_to(LIST, notice=f"{vendor['name']}: attestation recorded, valid until {until}.")
