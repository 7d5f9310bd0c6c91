"""The console's vendors page, on SQLite and PostgreSQL: every vendor with its attestation's
expiry — one expiring within 30 days highlighted, an expired or otherwise blocked one in red
with the reason — and an admin records an attestation through the form; reviewers read the
list only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from tests.api.console_admin_support import (
    assert_forbidden_page,
    assert_refused_form,
    form_token,
    post,
    signed_in,
    text_of,
)
from tests.helpers import Actor, World
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import VendorAttestation

PAGE = "/console/vendors"
CREATE = """mutation($i: CreateVendorInput!) { createVendor(input: $i) {
  vendor { id } userErrors { message } } }"""
ATTEST = """mutation($i: RecordVendorAttestationInput!) { recordVendorAttestation(input: $i) {
  vendor { attestedUntil } userErrors { message } } }"""


async def vendor(admin: Actor, name: str, *, clause: bool = True) -> str:
    given = {"name": name, "infoTypes": ["B"], "sameStandardsClause": clause}
    done = (await admin.data(CREATE, {"i": given}))["createVendor"]
    assert done["userErrors"] == [], done
    return str(done["vendor"]["id"])


async def attest(admin: Actor, vendor_id: str, until: Any) -> None:
    given = {"vendorId": vendor_id, "reference": "ATT-1", "expiresAt": until.isoformat()}
    done = (await admin.data(ATTEST, {"i": given}))["recordVendorAttestation"]
    assert done["userErrors"] == [], done


def row_of(page: str, vendor_id: str) -> str:
    return page.split(f'data-vendor="{vendor_id}"', 1)[1].split("</tr>", 1)[0]


async def attestations(container: Container) -> int:
    async with container.db.reader() as s:
        return int(await s.scalar(select(func.count()).select_from(VendorAttestation)) or 0)


async def test_expiring_and_blocked_vendors_stand_out(
    container: Container, world: World, clock: FixedClock
) -> None:
    admin = await world.staff_actor(["admin"])
    soon = await vendor(admin, "Camera cloud")
    later = await vendor(admin, "Shop backend")
    lapsing = await vendor(admin, "Mail relay")
    unbound = await vendor(admin, "Analytics", clause=False)
    await attest(admin, soon, clock.now() + timedelta(days=30))
    await attest(admin, later, clock.now() + timedelta(days=200))
    await attest(admin, lapsing, clock.now() + timedelta(days=5))
    await attest(admin, unbound, clock.now() + timedelta(days=200))
    clock.advance(timedelta(days=10))  # Camera cloud: 20 days left; Mail relay: expired

    async with signed_in(container, "reviewer") as b:
        page = await b.http.get(PAGE)
    assert page.status_code == 200
    expiring = row_of(page.text, soon)
    assert "<mark" in expiring and "Expires in 20 days" in text_of(page)
    assert 'class="overdue"' not in expiring
    fine = row_of(page.text, later)
    assert "<mark" not in fine and 'class="overdue"' not in fine
    for blocked in (lapsing, unbound):
        row = row_of(page.text, blocked)
        assert 'class="overdue">Blocked: ' in row and "<mark" not in row
    assert "Mail relay" in text_of(page) and "Analytics" in text_of(page)
    # blocked first, then expiring, then the rest
    order = [page.text.index(f'data-vendor="{v}"') for v in (lapsing, soon, later)]
    assert order == sorted(order)
    # a reviewer reads only: no form
    assert "Record an attestation" not in page.text


async def test_an_admin_records_an_attestation_through_the_form(
    container: Container, world: World, clock: FixedClock
) -> None:
    admin = await world.staff_actor(["admin"])
    lapsed = await vendor(admin, "Mail relay")
    last_day = (clock.now() + timedelta(days=365)).date().isoformat()
    form = {"vendor_id": lapsed, "reference": "ATT-2027", "expires_on": last_day}
    async with signed_in(container, "admin") as b:
        page = await b.http.get(PAGE)
        assert "Record an attestation" in page.text
        assert 'class="overdue">Blocked: ' in row_of(page.text, lapsed)

        assert_refused_form(await b.http.post(f"{PAGE}/attest", data=form))
        assert await attestations(container) == 0
        r = await post(b, f"{PAGE}/attest", {**form, "expires_on": "next year"}, page=PAGE)
        assert r.status_code == 400 and "give the last day it holds" in r.text
        r = await post(b, f"{PAGE}/attest", {**form, "reference": ""}, page=PAGE)
        assert r.status_code == 400 and 'class="error"' in r.text
        assert await attestations(container) == 0

        r = await post(b, f"{PAGE}/attest", form, page=PAGE)
        assert r.status_code == 303, r.text
        page = await b.http.get(r.headers["location"])
    shown = text_of(page)
    assert f"Mail relay: attestation recorded, valid until {last_day} 23:59 UTC." in shown
    row = row_of(page.text, lapsed)
    assert "Blocked" not in row and "Released normally" in row
    assert await attestations(container) == 1


async def test_reviewers_cannot_record_an_attestation(container: Container, world: World) -> None:
    admin = await world.staff_actor(["admin"])
    lapsed = await vendor(admin, "Mail relay")
    async with signed_in(container, "reviewer") as b:
        token = await form_token(b, PAGE)
        form = {
            "csrf_token": token,
            "vendor_id": lapsed,
            "reference": "x",
            "expires_on": "2027-12-31",
        }
        assert_forbidden_page(await b.http.post(f"{PAGE}/attest", data=form))
    assert await attestations(container) == 0
