"""Single sign-on against a real OpenID Connect provider (issue 14 §1, "Production sign-in"):
the certified ``oidc-provider`` run with Node.js (``conftest.py``), the app in-process. Who the
person is (linked by subject, else by verified e-mail address once), where roles come from
(the claim or the staff table), who is refused (unverified, unknown, disabled, no role), a
forged ``state``, and passwords turned off. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from tests.api.sign_in_helpers import (
    PASSWORD,
    SESSION,
    Browser,
    add_member,
    audit,
    browser,
    csrf_of,
    data_of,
    member_row,
    session_row,
)
from tests.sso.conftest import APP, REDIRECT_URI, ROLES_CLAIM, Provider, SsoSettings
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.services.sessions import csrf_token

ME = "{ me { clientId kind scopes staffMember { name email roles } } }"


async def start(b: Browser, provider: Provider) -> str:
    """Open ``/console/sso``; the provider's authorization URL it sends the browser to."""
    r = await b.http.get("/console/sso")
    assert r.status_code == 303, r.text
    location = r.headers["location"]
    query = dict(parse_qsl(urlsplit(location).query))
    assert location.startswith(f"{provider.issuer}/auth?")
    assert query["response_type"] == "code" and query["redirect_uri"] == REDIRECT_URI
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["state"] and query["nonce"] and set(query["scope"].split()) >= {"openid"}
    return location


async def come_back(b: Browser, callback: str) -> httpx.Response:
    """Follow the provider's redirect to the app's callback."""
    assert callback.startswith(f"{REDIRECT_URI}?"), callback
    return await b.http.get(callback.removeprefix(APP))


async def single_sign_on(b: Browser, provider: Provider, login: str) -> httpx.Response:
    """The whole round: the app, the provider (sign in as ``login``), the app's callback."""
    location = await start(b, provider)
    return await come_back(b, await provider.authorize(location, login))


async def me(b: Browser) -> dict[str, Any]:
    assert b.token is not None
    r = await b.gql(ME, None, **{"X-CSRF-Token": csrf_token(b.token)})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]["me"]
    return data


def signed_in(r: httpx.Response) -> None:
    assert r.status_code == 200, r.text
    assert "You are signed in" in r.text and r.headers["refresh"] == "0; url=/console"
    assert any(c.startswith(f"{SESSION}=") for c in r.headers.get_list("set-cookie"))


def refused(r: httpx.Response, says: str) -> None:
    assert r.status_code == 403, r.text
    assert "You are not signed in" in r.text and says in r.text, r.text
    assert not any(c.startswith(f"{SESSION}=") for c in r.headers.get_list("set-cookie"))


async def failures(container: Container) -> list[dict[str, Any]]:
    return [data_of(e) for e in await audit(container, "staff.sign_in_failed")]


async def test_a_member_is_linked_by_verified_email_then_known_by_subject(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    member = await add_member(container, "rita@staff.example", roles="reviewer auditor")
    async with browser(container) as b:
        page = await b.http.get("/console/sign-in")
        assert "Sign in with single sign-on" in page.text and 'name="password"' in page.text

        r = await single_sign_on(b, oidc_provider, "rita")
        signed_in(r)
        session = await session_row(container, b.token or "")
        assert session is not None and session.method == "oidc" and session.stage == "signed_in"
        assert session.staff_id == member.id
        # the SameSite=Strict session cookie, as a password sign-in sets it
        cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith(SESSION))
        assert "samesite=strict" in cookie.lower() and "httponly" in cookie.lower()
        viewer = await me(b)
        assert viewer["clientId"] == "person:rita@staff.example" and viewer["kind"] == "STAFF"
        assert viewer["staffMember"]["name"] == "Rita Reviewer"
        assert {"review", "audit"} <= set(viewer["scopes"])
        assert (await b.http.get("/console")).status_code in (200, 303)

    row = await member_row(container, member.id)
    assert row.oidc_subject == f"{oidc_provider.issuer} rita"
    [linked] = await audit(container, "staff.sso_linked")
    assert linked.actor_kind == "person" and linked.actor_id == str(member.id)
    assert data_of(linked)["sub"] == "rita"
    [event] = await audit(container, "staff.signed_in")
    assert data_of(event)["method"] == "oidc" and data_of(event)["issuer"] == oidc_provider.issuer

    # the second time the stored subject decides, whatever the address has become
    async with container.uow() as uow:
        stored = await uow.staff.get(member.id)
        assert stored is not None
        stored.email = "rita.renamed@staff.example"
    async with browser(container) as b:
        signed_in(await single_sign_on(b, oidc_provider, "rita"))
        assert (await me(b))["staffMember"]["email"] == "rita.renamed@staff.example"
    assert len(await audit(container, "staff.sso_linked")) == 1
    assert len(await audit(container, "staff.signed_in")) == 2


async def test_roles_come_from_the_configured_claim(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    member = await add_member(container, "rita@staff.example", roles="notices", password=None)
    sso(oidc_roles_claim=ROLES_CLAIM)
    async with browser(container) as b:
        signed_in(await single_sign_on(b, oidc_provider, "rita"))
        viewer = await me(b)
    # "astronaut" is no role here and is ignored; "notices" was the table's, not the claim's
    assert sorted(viewer["staffMember"]["roles"]) == ["AUDITOR", "REVIEWER"]
    assert "notices" not in viewer["scopes"] and "review" in viewer["scopes"]
    assert (await member_row(container, member.id)).roles == "reviewer auditor"
    [changed] = await audit(container, "staff.updated")
    assert changed.actor_kind == "system"
    assert data_of(changed)["roles"] == {"from": ["notices"], "to": ["reviewer", "auditor"]}
    assert data_of(changed)["source"] == "oidc"


async def test_without_a_claim_the_staff_table_gives_the_roles(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    await add_member(container, "rita@staff.example", roles="notices")
    async with browser(container) as b:
        signed_in(await single_sign_on(b, oidc_provider, "rita"))
        viewer = await me(b)
    assert viewer["staffMember"]["roles"] == ["NOTICES"] and "review" not in viewer["scopes"]


async def test_an_unverified_email_address_is_not_matched(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    member = await add_member(container, "una@staff.example")
    async with browser(container) as b:
        refused(await single_sign_on(b, oidc_provider, "una"), "no verified e-mail address")
        assert b.token is None
    assert (await member_row(container, member.id)).oidc_subject is None
    [failure] = await failures(container)
    assert failure["reason"] == "unverified" and failure["stage"] == "sso"
    assert failure["sub"] == "una"


async def test_an_unknown_person_is_refused_unless_the_staff_may_grow_by_sign_in(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    async with browser(container) as b:
        refused(await single_sign_on(b, oidc_provider, "nora"), "are not on the staff here")
    assert [f["reason"] for f in await failures(container)] == ["unknown"]

    sso(oidc_roles_claim=ROLES_CLAIM, oidc_create_staff=True)
    async with browser(container) as b:
        signed_in(await single_sign_on(b, oidc_provider, "nora"))
        viewer = await me(b)
    assert viewer["staffMember"] == {
        "name": "Nora Newcomer",
        "email": "nora@staff.example",
        "roles": ["REVIEWER"],
    }
    async with container.uow.read() as uow:
        row = await uow.staff.by_email("nora@staff.example")
    assert row is not None and row.password_hash is None and row.status == "active"
    assert row.oidc_subject == f"{oidc_provider.issuer} nora"
    [created] = await audit(container, "staff.created")
    assert created.actor_kind == "system" and data_of(created)["source"] == "oidc"
    assert data_of(created)["roles"] == ["reviewer"]


async def test_no_role_is_refused_and_creates_nobody(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    sso(oidc_roles_claim=ROLES_CLAIM, oidc_create_staff=True)
    member = await add_member(container, "rita@staff.example", roles="reviewer")
    async with browser(container) as b:
        refused(await single_sign_on(b, oidc_provider, "nils"), "gives you no role here")
    async with container.uow.read() as uow:
        assert await uow.staff.by_email("nils@staff.example") is None
    assert (await member_row(container, member.id)).roles == "reviewer"
    assert [f["reason"] for f in await failures(container)] == ["no_roles"]


async def test_a_disabled_member_is_refused(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    member = await add_member(container, "dora@staff.example", status="disabled")
    async with browser(container) as b:
        refused(await single_sign_on(b, oidc_provider, "dora"), "account is disabled")
    assert (await member_row(container, member.id)).oidc_subject is None
    [failure] = await failures(container)
    assert failure["reason"] == "disabled"

    # linked, then disabled: the subject finds them, and they are still refused
    async with container.uow() as uow:
        row = await uow.staff.get(member.id)
        assert row is not None
        row.status, row.oidc_subject = "active", f"{oidc_provider.issuer} dora"
    async with browser(container) as b:
        signed_in(await single_sign_on(b, oidc_provider, "dora"))
    async with container.uow() as uow:
        row = await uow.staff.get(member.id)
        assert row is not None
        row.status = "disabled"
    async with browser(container) as b:
        refused(await single_sign_on(b, oidc_provider, "dora"), "account is disabled")


async def test_a_member_linked_to_another_account_is_not_taken_over(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    member = await add_member(container, "rita@staff.example")
    async with container.uow() as uow:
        row = await uow.staff.get(member.id)
        assert row is not None
        row.oidc_subject = f"{oidc_provider.issuer} the-real-rita"
    async with browser(container) as b:
        refused(await single_sign_on(b, oidc_provider, "rita"), "linked to another")
    assert [f["reason"] for f in await failures(container)] == ["linked_elsewhere"]


async def test_a_forged_or_foreign_state_is_refused(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    await add_member(container, "rita@staff.example")
    async with browser(container) as b:
        callback = await oidc_provider.authorize(await start(b, oidc_provider), "rita")
        parts = urlsplit(callback)
        query = dict(parse_qsl(parts.query))
        forged = {**query, "state": query["state"][:-2] + "xx"}
        r = await come_back(b, f"{REDIRECT_URI}?{urlencode(forged)}")
        refused(r, "was not started here")
        # the forged answer spent the flow: the genuine one is refused too
        refused(await come_back(b, callback), "was not started here")

    # an answer carried to another browser (login CSRF) opens nothing there
    async with browser(container) as mine, browser(container) as victim:
        callback = await oidc_provider.authorize(await start(mine, oidc_provider), "rita")
        refused(await come_back(victim, callback), "was not started here")
        assert victim.token is None
        # and a state cookie that was tampered with is no state at all
        mine.http.cookies.set("__Host-trustcenter-sso", "A" * 200, domain="localhost.local")
        refused(await come_back(mine, callback), "was not started here")
    assert await audit(container, "staff.signed_in") == []


async def test_a_flow_older_than_ten_minutes_is_refused(
    container: Container, clock: FixedClock, oidc_provider: Provider, sso: SsoSettings
) -> None:
    await add_member(container, "rita@staff.example")
    async with browser(container) as b:
        callback = await oidc_provider.authorize(await start(b, oidc_provider), "rita")
        clock.advance(timedelta(minutes=10, seconds=1))
        refused(await come_back(b, callback), "took too long")


async def test_the_provider_saying_no_is_shown(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    async with browser(container) as b:
        location = await start(b, oidc_provider)
        callback = await oidc_provider.authorize(location, "rita", abort=True)
        assert "error=access_denied" in callback
        refused(await come_back(b, callback), "did not sign you in (access_denied)")


async def test_with_passwords_turned_off_only_single_sign_on_remains(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    member = await add_member(container, "rita@staff.example")
    async with browser(container) as b:
        form = {
            "csrf_token": csrf_of(await b.http.get("/console/sign-in")),
            "email": member.email,
            "password": PASSWORD,
        }
        sso(local_sign_in=False)
        page = await b.http.get("/console/sign-in")
        assert page.status_code == 200
        assert 'name="password"' not in page.text
        assert 'href="/console/sso"' in page.text and "Sign in with single sign-on" in page.text
        r = await b.http.post("/console/sign-in", data=form)
        assert r.status_code == 403 and "turned off" in r.text
        assert b.token is None

        signed_in(await single_sign_on(b, oidc_provider, "rita"))
        assert (await me(b))["clientId"] == "person:rita@staff.example"


async def test_an_answer_naming_another_issuer_is_refused(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    """RFC 9207: the redirect's ``iss`` must be the configured provider (a mix-up attack
    sends another provider's code here)."""
    await add_member(container, "rita@staff.example")
    async with browser(container) as b:
        callback = await oidc_provider.authorize(await start(b, oidc_provider), "rita")
        query = dict(parse_qsl(urlsplit(callback).query))
        assert query["iss"] == oidc_provider.issuer
        other = {**query, "iss": "https://idp.attacker.example"}
        refused(await come_back(b, f"{REDIRECT_URI}?{urlencode(other)}"), "could not be checked")
    assert await audit(container, "staff.signed_in") == []


async def test_a_provider_whose_discovery_names_another_issuer_is_not_used(
    container: Container, oidc_provider: Provider, sso: SsoSettings
) -> None:
    # the same discovery URL (a trailing "/" is dropped to find it), but the document's issuer
    # is not the configured one, which OpenID Connect Discovery requires to be identical
    sso(oidc_issuer=f"{oidc_provider.issuer}/")
    async with browser(container) as b:
        r = await b.http.get("/console/sso")
        assert r.status_code == 502 and "names another issuer" in r.text
