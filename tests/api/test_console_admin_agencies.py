"""The console's agencies page (admin), on SQLite and PostgreSQL: add an agency, verify it with
the jurisdictions granted and the evidence seen, suspend it; add, revoke and rotate its clients
and the staff's machine clients — every secret shown once, on the page that answers the form,
and never on a list. Every form refused without its CSRF token (nothing changed); bad input
shown next to the field."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from strawberry.relay import to_base64

from tests.api.console_admin_support import (
    assert_forbidden_page,
    assert_refused_form,
    post,
    secret_shown,
    signed_in,
    text_of,
)
from tests.helpers import World
from trustcenter.bootstrap import Container
from trustcenter.db.models import Agency, AuditEvent, OAuthClient
from trustcenter.domain.enums import VerificationState

LIST = "/console/agencies"


def view(agency_id: object) -> str:
    return f"{LIST}/view?id={to_base64('Agency', str(agency_id))}"


async def counts(container: Container) -> tuple[int, int, int]:
    """Agencies, clients and audit events: what a refused form leaves as it was."""
    async with container.db.reader() as s:
        found = [
            int(await s.scalar(select(func.count()).select_from(model)) or 0)
            for model in (Agency, OAuthClient, AuditEvent)
        ]
    return found[0], found[1], found[2]


async def agency_row(container: Container, name: str) -> Agency:
    async with container.db.reader() as s:
        row = await s.scalar(select(Agency).where(Agency.name == name))
    assert row is not None
    return row


async def token_status(http: httpx.AsyncClient, client_id: str, secret: str) -> int:
    r = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )
    return r.status_code


FORM = {"name": "Polizei Hamburg", "kind": "LAW_ENFORCEMENT", "country": "de", "region": "DE-HH"}


async def test_an_admin_adds_an_agency_through_the_form(container: Container) -> None:
    async with signed_in(container, "admin") as b:
        before = await counts(container)
        r = await b.http.post(LIST, data=FORM)  # no CSRF token
        assert_refused_form(r)
        assert await counts(container) == before

        r = await post(b, LIST, FORM, page=LIST)
        assert r.status_code == 303, r.text
        row = await agency_row(container, "Polizei Hamburg")
        assert (row.country, row.region, row.verification) == ("DE", "DE-HH", "pending")
        page = await b.http.get(r.headers["location"])
        shown = text_of(page)
        assert "Polizei Hamburg was added, pending." in shown
        assert "Pending" in shown and "DE (DE-HH)" in shown
        listing = text_of(await b.http.get(LIST, params={"verification": "PENDING"}))
        assert "Polizei Hamburg" in listing
        assert "Polizei Hamburg" not in text_of(
            await b.http.get(LIST, params={"verification": "VERIFIED"})
        )


async def test_bad_agency_input_is_shown_and_nothing_is_added(container: Container) -> None:
    async with signed_in(container, "admin") as b:
        before = await counts(container)
        r = await post(b, LIST, {**FORM, "country": "XX"}, page=LIST)
        assert r.status_code == 400, r.text
        assert 'class="error"' in r.text and 'aria-invalid="true"' in r.text
        assert 'value="Polizei Hamburg"' in r.text  # what was typed is kept
        r = await post(b, LIST, {**FORM, "kind": "SECRET_SERVICE"}, page=LIST)
        assert r.status_code == 400 and "choose what kind of agency it is" in r.text
        assert await counts(container) == before


async def test_verify_with_jurisdictions_and_evidence_then_suspend(
    container: Container, world: World
) -> None:
    agency_id = await world.agency("DE", name="LKA Berlin", state=VerificationState.PENDING)
    async with signed_in(container, "admin", name="Ada Admin") as b:
        page = view(agency_id)
        form = {"agency_id": to_base64("Agency", str(agency_id)), "jurisdictions": "at, FR"}
        # a code outside its own country needs the evidence seen
        r = await post(b, f"{LIST}/verify", form, page=page)
        assert r.status_code == 400, r.text
        assert (await agency_row(container, "LKA Berlin")).verification == "pending"
        assert_refused_form(await b.http.post(f"{LIST}/verify", data=form))

        evidence = "Prüm Treaty, Art. 3; mutual legal assistance agreement seen"
        r = await post(b, f"{LIST}/verify", {**form, "evidence": evidence}, page=page)
        assert r.status_code == 303, r.text
        shown = text_of(await b.http.get(r.headers["location"]))
        assert "LKA Berlin was verified." in shown
        assert "Verified" in shown and "AT, FR" in shown and "by Ada Admin" in shown
        assert f"Evidence seen at verification {evidence}" in shown
        row = await agency_row(container, "LKA Berlin")
        assert row.verification == "verified"

        suspend = {"agency_id": form["agency_id"], "reason": ""}
        r = await post(b, f"{LIST}/suspend", suspend, page=page)
        assert r.status_code == 400 and "say why" in r.text
        assert_refused_form(
            await b.http.post(f"{LIST}/suspend", data={**suspend, "reason": "forged warrant"})
        )
        assert (await agency_row(container, "LKA Berlin")).verification == "verified"
        r = await post(b, f"{LIST}/suspend", {**suspend, "reason": "forged warrant"}, page=page)
        assert r.status_code == 303
        shown = text_of(await b.http.get(r.headers["location"]))
        assert "LKA Berlin was suspended." in shown and "Suspended" in shown
    assert (await agency_row(container, "LKA Berlin")).verification == "suspended"


async def test_a_client_secret_is_shown_once_and_works(container: Container, world: World) -> None:
    agency_id = await world.agency("DE", name="LKA Berlin")
    gid = to_base64("Agency", str(agency_id))
    async with signed_in(container, "admin") as b:
        page = view(agency_id)
        form = {"agency_id": gid, "name": "Case system", "scope_requests:submit": "1"}
        before = await counts(container)
        assert_refused_form(await b.http.post(f"{LIST}/clients", data=form))
        r = await post(b, f"{LIST}/clients", {**form, "scope_requests:submit": ""}, page=page)
        assert r.status_code == 400 and "tick at least one scope" in r.text
        assert await counts(container) == before

        answer = await post(b, f"{LIST}/clients", form, page=page)
        assert answer.status_code == 200, answer.text
        assert answer.headers["cache-control"] == "no-store"
        secret = secret_shown(answer)
        assert "only time it is shown" in answer.text
        async with container.db.reader() as s:
            client = await s.scalar(select(OAuthClient).where(OAuthClient.name == "Case system"))
        assert client is not None and client.agency_id == agency_id
        assert client.client_id in answer.text
        assert await token_status(world.http, client.client_id, secret) == 200

        for again in (page, LIST):  # never on a list
            shown = await b.http.get(again)
            assert secret not in shown.text
        assert "Case system" in text_of(await b.http.get(page))


async def test_rotate_shows_the_new_secret_once_and_revoke_stops_the_client(
    container: Container, world: World
) -> None:
    agency = await world.agency_actor("DE")
    gid = to_base64("Agency", str(agency.agency_id))
    page = f"{LIST}/view?id={gid}"
    async with signed_in(container, "admin") as b:
        rotate = {"client_id": agency.client_id, "agency_id": gid, "grace_seconds": "3600"}
        assert_refused_form(await b.http.post(f"{LIST}/clients/rotate", data=rotate))
        assert await token_status(world.http, agency.client_id, agency.client_secret) == 200

        answer = await post(b, f"{LIST}/clients/rotate", rotate, page=page)
        assert answer.status_code == 200, answer.text
        new = secret_shown(answer)
        assert new != agency.client_secret
        assert "previous secret keeps working until" in answer.text
        assert await token_status(world.http, agency.client_id, new) == 200
        assert await token_status(world.http, agency.client_id, agency.client_secret) == 200
        assert new not in (await b.http.get(page)).text

        revoke = {"client_id": agency.client_id, "agency_id": gid}
        assert_refused_form(await b.http.post(f"{LIST}/clients/revoke", data=revoke))
        assert await token_status(world.http, agency.client_id, new) == 200
        r = await post(b, f"{LIST}/clients/revoke", revoke, page=page)
        assert r.status_code == 303, r.text
        shown = text_of(await b.http.get(r.headers["location"]))
        assert "was revoked" in shown and "Revoked" in shown
        assert await token_status(world.http, agency.client_id, new) != 200
        # revoking it again is refused, and said so next to the list
        r = await post(b, f"{LIST}/clients/revoke", revoke, page=page)
        assert r.status_code == 400 and 'class="error"' in r.text


async def test_staff_machine_clients_are_listed_and_added_without_an_agency(
    container: Container, world: World
) -> None:
    staff = await world.staff_actor(["audit"])
    await world.agency_actor("DE")
    async with signed_in(container, "admin") as b:
        listing = await b.http.get(LIST)
        staff_part = listing.text.split('id="staff-clients"', 1)[1]
        assert staff.client_id in staff_part
        form = {"agency_id": "", "name": "Nightly export", "scope_audit": "1"}
        answer = await post(b, f"{LIST}/clients", form, page=LIST)
        assert answer.status_code == 200, answer.text
        secret = secret_shown(answer)
        assert "Back to the agencies" in answer.text
        listing = await b.http.get(LIST)
        assert "Nightly export" in listing.text.split('id="staff-clients"', 1)[1]
        assert secret not in listing.text
    async with container.db.reader() as s:
        client = await s.scalar(select(OAuthClient).where(OAuthClient.name == "Nightly export"))
    assert client is not None and client.agency_id is None


async def test_only_admins_act_on_agencies(container: Container, world: World) -> None:
    agency_id = await world.agency("DE", name="LKA Berlin", state=VerificationState.PENDING)
    gid = to_base64("Agency", str(agency_id))
    async with signed_in(container, "reviewer auditor") as b:
        before = await counts(container)
        token = (await b.http.get("/console/plugins")).text.split('name="csrf_token" value="')[1]
        token = token.split('"', 1)[0]
        for path, form in [
            (LIST, FORM),
            (f"{LIST}/verify", {"agency_id": gid}),
            (f"{LIST}/suspend", {"agency_id": gid, "reason": "x"}),
            (f"{LIST}/clients", {"agency_id": gid, "name": "x", "scope_requests:read": "1"}),
        ]:
            assert_forbidden_page(await b.http.post(path, data={"csrf_token": token, **form}))
        assert await counts(container) == before


async def test_an_unknown_agency_is_not_found(container: Container) -> None:
    async with signed_in(container, "admin") as b:
        missing = to_base64("Agency", "00000000-0000-4000-8000-000000000001")
        for query in (f"?id={missing}", "?id=not-an-id", ""):
            r = await b.http.get(f"{LIST}/view{query}")
            assert r.status_code == 404 and "There is no such agency." in r.text
