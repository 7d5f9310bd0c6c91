"""GET /console/session: how an in-house frontend, served on this origin, learns who is signed
in and the CSRF token its GraphQL calls with the session cookie must carry."""

from __future__ import annotations

from tests.api.sign_in_helpers import add_member, audit, browser
from tests.api.test_sign_in import CREATE_VENDOR, VENDOR

SESSION_PATH = "/console/session"


async def test_a_signed_in_person_reads_the_token_and_a_frontend_writes_with_it(container):
    admin = await add_member(container, "ada@staff.example", name="Ada Admin", roles="admin")
    async with browser(container) as b:
        await b.sign_in(admin)
        r = await b.http.get(SESSION_PATH)
        assert r.status_code == 200, r.text
        assert r.headers["cache-control"] == "no-store"
        assert "access-control-allow-origin" not in r.headers  # no other origin reads it
        body = r.json()
        assert body["name"] == "Ada Admin" and body["email"] == "ada@staff.example"
        assert body["scopes"] == ["admin"] and body["csrfHeader"] == "X-CSRF-Token"
        # the same token the console's own forms carry
        assert body["csrfToken"] == await b.csrf()

        # a frontend's mutation with the cookie is refused without it, and runs with it
        assert (await b.gql(CREATE_VENDOR, VENDOR)).status_code == 403
        assert await audit(container, "vendor.created") == []
        r = await b.gql(CREATE_VENDOR, VENDOR, **{"X-CSRF-Token": body["csrfToken"]})
        assert r.status_code == 200 and not r.json().get("errors"), r.text
        [event] = await audit(container, "vendor.created")
        assert event.actor_name == "Ada Admin"


async def test_without_a_session_there_is_no_token(container, world):
    member = await add_member(container)
    agency = await world.agency_actor("DE")
    async with browser(container) as b:
        # nobody signed in, an agency's bearer token, and a password without the code yet
        r = await b.http.get(SESSION_PATH)
        assert r.status_code == 401 and r.json()["error"] == "not_signed_in"
        assert "csrfToken" not in r.text
        r = await b.http.get(SESSION_PATH, headers={"Authorization": f"Bearer {agency.token}"})
        assert r.status_code == 401 and "csrfToken" not in r.text
        r = await b.password(member.email)
        assert r.status_code == 303
        r = await b.http.get(SESSION_PATH)
        assert r.status_code == 401 and "csrfToken" not in r.text


async def test_after_sign_out_the_old_token_opens_nothing(container):
    admin = await add_member(container, "ada@staff.example", name="Ada Admin", roles="admin")
    async with browser(container) as b:
        token = await b.sign_in(admin)
        csrf = (await b.http.get(SESSION_PATH)).json()["csrfToken"]
        r = await b.http.post(
            "/console/sign-out", data={"csrf_token": csrf}, headers={"Origin": "https://localhost"}
        )
        assert r.status_code == 303
        b.use_cookie(token)  # a copy of the old cookie
        assert (await b.http.get(SESSION_PATH)).status_code == 401
        r = await b.gql(CREATE_VENDOR, VENDOR, **{"X-CSRF-Token": csrf})
        # an ended session's cookie is nobody's: the mutation asks for authentication
        assert r.status_code == 401, r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await audit(container, "vendor.created") == []
