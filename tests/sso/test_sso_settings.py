"""Single sign-on's settings and the parts that need no provider running: the configuration's
refusals, the sign-in page without single sign-on, a provider that does not answer, a callback
nobody started, and how claims are read (``services.sso``)."""

from __future__ import annotations

import dataclasses
import socket

import pytest

from tests.api.sign_in_helpers import browser
from trustcenter.bootstrap import Container
from trustcenter.config import Settings
from trustcenter.domain.staff import Role
from trustcenter.services.sso import identity_of, roles_from_claim

OIDC = {
    "TRUSTCENTER_OIDC_ISSUER": "https://login.example.com/tenant/",
    "TRUSTCENTER_OIDC_CLIENT_ID": "trustcenter",
    "TRUSTCENTER_OIDC_CLIENT_SECRET": "s3cret",
}
PRODUCTION = {
    "TRUSTCENTER_ENV": "production",
    "TRUSTCENTER_SECRET_KEY": "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
    "TRUSTCENTER_DISCLOSURE_KEYS": "k1:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
}


def test_the_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            **OIDC,
            "TRUSTCENTER_ISSUER": "https://trust.example.com/",
            "TRUSTCENTER_OIDC_ROLES_CLAIM": " trustcenter_roles ",
            "TRUSTCENTER_OIDC_CREATE_STAFF": "1",
        }
    )
    assert settings.oidc_configured and settings.oidc_create_staff
    assert settings.oidc_issuer == "https://login.example.com/tenant/"  # exactly as given
    assert settings.oidc_roles_claim == "trustcenter_roles"
    assert settings.oidc_redirect_uri == "https://trust.example.com/console/sso/callback"
    assert not Settings.from_env({}).oidc_configured


def test_staff_may_join_by_sign_in_only_with_a_roles_claim() -> None:
    with pytest.raises(SystemExit, match="needs TRUSTCENTER_OIDC_ROLES_CLAIM"):
        Settings.from_env({**OIDC, "TRUSTCENTER_OIDC_CREATE_STAFF": "1"})


@pytest.mark.parametrize("left_out", sorted(OIDC))
def test_production_refuses_half_a_configuration(left_out: str) -> None:
    env = {**PRODUCTION, **{k: v for k, v in OIDC.items() if k != left_out}}
    refusal = Settings.from_env(env).startup_refusal()
    assert refusal is not None and f"{left_out} is missing" in refusal
    # development offers no single sign-on then, and starts
    half = Settings.from_env({k: v for k, v in OIDC.items() if k != left_out})
    assert not half.oidc_configured and half.startup_refusal() is None


def test_production_wants_an_https_provider_and_some_way_to_sign_in() -> None:
    assert Settings.from_env({**PRODUCTION, **OIDC}).startup_refusal() is None
    plain = {**OIDC, "TRUSTCENTER_OIDC_ISSUER": "http://login.example.com"}
    refusal = Settings.from_env({**PRODUCTION, **plain}).startup_refusal()
    assert refusal is not None and "https://" in refusal
    off = {**PRODUCTION, "TRUSTCENTER_LOCAL_SIGN_IN": "0"}
    refusal = Settings.from_env(off).startup_refusal()
    assert refusal is not None and "nobody could sign in" in refusal
    assert Settings.from_env({**off, **OIDC}).startup_refusal() is None


async def test_without_single_sign_on_there_is_no_link_and_no_route(container: Container) -> None:
    async with browser(container) as b:
        page = await b.http.get("/console/sign-in")
        assert page.status_code == 200 and "single sign-on" not in page.text.lower()
        assert (await b.http.get("/console/sso")).status_code == 404
        assert (await b.http.get("/console/sso/callback?code=x&state=y")).status_code == 404


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_provider_that_does_not_answer_is_a_page_not_an_error(
    container: Container,
) -> None:
    container.settings = dataclasses.replace(
        container.settings,
        issuer="https://localhost",
        oidc_issuer=f"http://127.0.0.1:{_closed_port()}",
        oidc_client_id="trustcenter",
        oidc_client_secret="s3cret",
    )
    async with browser(container) as b:
        assert "Sign in with single sign-on" in (await b.http.get("/console/sign-in")).text
        r = await b.http.get("/console/sso")
        assert r.status_code == 502 and "could not be reached" in r.text
        assert r.headers["cache-control"] == "no-store"
        # a callback this browser never started is refused before the provider is asked
        r = await b.http.get("/console/sso/callback?code=abc&state=def")
        assert r.status_code == 403 and "was not started here" in r.text
        r = await b.http.get("/console/sso/callback?error=access_denied")
        assert r.status_code == 403 and "was not started here" in r.text


def test_roles_are_read_from_a_list_or_a_string_and_unknown_names_are_ignored() -> None:
    assert roles_from_claim(["Reviewer", "admin", "root", 7]) == {Role.REVIEWER, Role.ADMIN}
    assert roles_from_claim("reviewer, auditor notices") == {
        Role.REVIEWER,
        Role.AUDITOR,
        Role.NOTICES,
    }
    assert roles_from_claim(None) == frozenset()
    assert roles_from_claim({"reviewer": True}) == frozenset()


def test_claims_without_a_usable_subject_give_no_identity() -> None:
    good = {"iss": "https://idp.example", "sub": "42", "email": "A@Staff.example"}
    who = identity_of({**good, "email_verified": True}, "")
    assert who is not None and who.subject == "https://idp.example 42"
    assert who.email == "a@staff.example" and who.email_verified and who.roles is None
    for verified in (False, "false", "yes", 1, None):
        found = identity_of({**good, "email_verified": verified}, "")
        assert found is not None and not found.email_verified
    found = identity_of({**good, "email_verified": "true"}, "roles")
    assert found is not None and found.email_verified and found.roles == frozenset()
    for bad in ({"sub": "42"}, {"iss": "https://idp.example"}, {"iss": "a b", "sub": "1"}):
        assert identity_of(bad, "") is None
    assert identity_of({**good, "sub": "x" * 600}, "") is None
    assert identity_of({**good, "sub": 42}, "") is None
    not_an_address = identity_of({**good, "email": "not an address"}, "")
    assert not_an_address is not None and not_an_address.email is None
