"""The console's embedded sign-in (issue 14 §1): a password, then a TOTP code (enrolled with a QR
code on first use), a session in a strict cookie that the console and /graphql both accept,
with idle and absolute expiry, CSRF protection and a server-side sign-out. On SQLite and
PostgreSQL; refusals (lockout, throttle, other sites, hostile forms) in
``test_sign_in_refusals.py``."""

from __future__ import annotations

from datetime import timedelta

from tests.api.sign_in_helpers import (
    ORIGIN,
    SESSION,
    add_member,
    audit,
    browser,
    csrf_of,
    member_row,
    secret_on,
    session_row,
    sessions_of,
)
from tests.helpers import submit
from trustcenter.auth.totp import code_at

ME = "{ me { clientId kind scopes } }"
CREATE_VENDOR = """mutation($i: CreateVendorInput!) {
  createVendor(input: $i) { vendor { id name } userErrors { message } } }"""
VENDOR = {"i": {"name": "Cloud storage", "infoTypes": ["A"], "sameStandardsClause": True}}


def cookie_attributes(set_cookie: str) -> dict[str, str]:
    parts = [p.strip() for p in set_cookie.split(";")]
    out = {}
    for part in parts[1:]:
        key, _, value = part.partition("=")
        out[key.lower()] = value
    return out


async def test_a_first_sign_in_enrols_the_second_factor_and_sets_a_strict_cookie(container, clock):
    member = await add_member(container, enrolled=False)
    async with browser(container) as b:
        r = await b.password(member.email)
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in/code"
        pending = b.token
        assert pending is not None
        flags = cookie_attributes(r.headers["set-cookie"])
        assert flags["max-age"] == str(10 * 60) and flags["samesite"].lower() == "strict"

        page = await b.http.get("/console/sign-in/code")
        assert page.status_code == 200
        assert "<svg" in page.text and "QR code for your authenticator app" in page.text
        assert "https://" not in page.text.split("<svg", 1)[1].split("</svg>", 1)[0]
        secret = secret_on(page)
        assert page.headers["cache-control"] == "no-store"
        assert "default-src 'none'" in page.headers["content-security-policy"]
        # the same secret until a code confirms it
        assert secret_on(await b.http.get("/console/sign-in/code")) == secret
        row = await member_row(container, member.id)
        assert row.totp_secret == secret and row.totp_enrolled_at is None

        r = await b.code(code_at(secret, clock.now()))
        assert r.status_code == 303 and r.headers["location"] == "/console"
        signed_in = b.token
        assert signed_in is not None and signed_in != pending  # no session fixation
        header = r.headers["set-cookie"]
        assert header.startswith(f"{SESSION}={signed_in};")
        flags = cookie_attributes(header)
        assert {"httponly", "secure"} <= flags.keys() and "domain" not in flags
        assert flags["samesite"].lower() == "strict" and flags["path"] == "/"
        assert flags["max-age"] == str(12 * 3600)

        home = await b.http.get("/console", follow_redirects=True)  # to the reviewer's queue
        assert home.status_code == 200 and str(home.url).endswith("/console/queue")
        assert "Rita Reviewer (reviewer)" in home.text
        assert "Sign out" in home.text and home.headers["cache-control"] == "no-store"

    row = await member_row(container, member.id)
    assert row.totp_enrolled_at == clock.now() and row.last_sign_in_at == clock.now()
    assert row.failed_sign_ins == 0 and row.totp_last_step is not None
    old, new = await session_row(container, pending), await session_row(container, signed_in)
    assert old is not None and old.ended_at == clock.now() and old.stage == "second_factor"
    assert new is not None and new.stage == "signed_in" and new.ended_at is None
    # the audit names the person, and the session that carried the sign-in
    for action in ("staff.totp_enrolled", "staff.signed_in"):
        [event] = await audit(container, action)
        assert (event.actor_kind, event.actor_id) == ("person", str(member.id))
        assert event.actor_name == "Rita Reviewer"
        assert event.actor_via == f"session:{new.public_id}"
        assert "correct horse" not in event.data


async def test_graphql_answers_a_signed_in_person_with_the_csrf_header(container):
    admin = await add_member(container, "ada@staff.example", name="Ada Admin", roles="admin")
    async with browser(container) as b:
        token = await b.sign_in(admin)
        csrf = await b.csrf()

        r = await b.gql(ME, **{"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["me"] == {
            "clientId": "person:ada@staff.example",
            "kind": "STAFF",
            "scopes": ["admin"],
        }
        # without the header (or with another session's) nothing runs
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            r = await b.gql(CREATE_VENDOR, VENDOR, **headers)
            assert r.status_code == 403, r.text
            assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await audit(container, "vendor.created") == []

        r = await b.gql(CREATE_VENDOR, VENDOR, **{"X-CSRF-Token": csrf})
        assert r.status_code == 200 and not r.json().get("errors"), r.text
        assert r.json()["data"]["createVendor"]["vendor"]["name"] == "Cloud storage"

    session = await session_row(container, token)
    assert session is not None
    [event] = await audit(container, "vendor.created")
    assert (event.actor_kind, event.actor_id) == ("person", str(admin.id))
    assert event.actor_name == "Ada Admin" and event.actor_via == f"session:{session.public_id}"


async def test_a_bearer_token_wins_over_the_cookie_and_a_dead_cookie_is_anonymous(container, world):
    member = await add_member(container)
    agency = await world.agency_actor("DE")
    async with browser(container) as b:
        token = await b.sign_in(member)
        r = await b.gql(ME, Authorization=f"Bearer {agency.token}")
        assert r.status_code == 200 and r.json()["data"]["me"]["clientId"] == agency.client_id

        anonymous = await world.http.post("/graphql", json={"query": ME})
        b.use_cookie("x" * 43)
        dead = await b.gql(ME)
        assert (dead.status_code, dead.json()) == (anonymous.status_code, anonymous.json())
        assert dead.status_code != 200 or dead.json()["data"] is None
        # and on the console, the sign-in page
        r = await b.http.get("/console")
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
    assert (await session_row(container, token)) is not None  # the real one is untouched


async def test_a_code_is_accepted_once(container, clock):
    member = await add_member(container)
    assert member.secret is not None
    code = code_at(member.secret, clock.now())
    async with browser(container) as b:
        await b.sign_in(member)
    async with browser(container) as b:
        assert (await b.password(member.email)).status_code == 303
        r = await b.code(code)
        assert r.status_code == 401
        assert "the code is wrong, too old or used already" in r.text
        assert b.http.cookies.get(SESSION) is not None  # still at the code step
        # the next step's code works
        clock.advance(timedelta(seconds=30))
        r = await b.code(code_at(member.secret, clock.now()))
        assert r.status_code == 303 and r.headers["location"] == "/console"
    [failed] = await audit(container, "staff.sign_in_failed")
    assert failed.subject_id == str(member.id) and code not in failed.data
    assert '"reason": "wrong code"' in failed.data


async def test_the_pending_session_is_no_session(container, clock):
    member = await add_member(container)
    assert member.secret is not None
    async with browser(container) as b:
        assert (await b.password(member.email)).status_code == 303
        pending = b.token
        assert pending is not None
        r = await b.http.get("/console")
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
        r = await b.gql(ME)
        assert r.json().get("data") is None or r.json()["data"].get("me") is None
        # once the code is given, the pending token is spent: it opens nothing
        r = await b.code(code_at(member.secret, clock.now()))
        assert r.status_code == 303 and b.token != pending
        b.use_cookie(pending)
        for path in ("/console/sign-in/code", "/console"):
            r = await b.http.get(path)
            assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"


async def test_a_disabled_members_live_session_stops_at_once(container):
    member = await add_member(container)
    async with browser(container) as b:
        await b.sign_in(member)
        csrf = await b.csrf()
        assert (await b.gql(ME, **{"X-CSRF-Token": csrf})).status_code == 200
        async with container.uow() as uow:
            row = await uow.staff.get(member.id)
            assert row is not None
            row.status = "disabled"
        r = await b.http.get("/console")
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
        r = await b.gql(ME, **{"X-CSRF-Token": csrf})
        assert r.json().get("data") is None or r.json()["data"].get("me") is None
        # and a disabled member cannot sign in again: the same answer as a wrong password
        r = await b.password(member.email)
        assert r.status_code == 401 and "the e-mail address or the password is wrong" in r.text


async def test_sign_out_ends_the_session_on_the_server(container, clock):
    member = await add_member(container)
    async with browser(container) as b:
        token = await b.sign_in(member)
        csrf = await b.csrf()
        # without its CSRF token, sign-out is refused and the session lives on
        r = await b.http.post("/console/sign-out", data={"csrf_token": "nope"})
        assert r.status_code == 403
        assert await b.signed_in()
        r = await b.http.post("/console/sign-out", data={"csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
        assert "max-age=0" in r.headers["set-cookie"].lower()
        assert b.token is None
    row = await session_row(container, token)
    assert row is not None and row.ended_at == clock.now()
    [event] = await audit(container, "staff.signed_out")
    assert event.actor_name == "Rita Reviewer" and event.actor_via == f"session:{row.public_id}"
    # a copy of the old cookie opens nothing any more
    async with browser(container) as thief:
        thief.use_cookie(token)
        assert not await thief.signed_in()
        r = await thief.gql(ME, **{"X-CSRF-Token": csrf})
        assert r.json().get("data") is None or r.json()["data"].get("me") is None


async def test_idle_expiry_slides_with_use_and_absolute_expiry_does_not(container, clock):
    member = await add_member(container)
    async with browser(container) as b:
        token = await b.sign_in(member)
        first = await session_row(container, token)
        assert first is not None
        # used within the minute: nothing written
        clock.advance(timedelta(seconds=30))
        assert await b.signed_in()
        row = await session_row(container, token)
        assert row is not None and row.last_seen_at == first.last_seen_at
        # used every 29 minutes, it lives on (the idle limit is 30)
        for _ in range(3):
            clock.advance(timedelta(minutes=29))
            assert await b.signed_in()
        row = await session_row(container, token)
        assert row is not None and row.last_seen_at == clock.now()
        assert row.idle_expires_at == clock.now() + timedelta(minutes=30)
        # left alone for 30 minutes, it is over
        clock.advance(timedelta(minutes=30))
        assert not await b.signed_in()

    async with browser(container) as b:
        clock.advance(timedelta(minutes=1))
        token = await b.sign_in(member)
        start = clock.now()
        while clock.now() + timedelta(minutes=25) < start + timedelta(hours=12):
            clock.advance(timedelta(minutes=25))
            assert await b.signed_in()
        clock.set(start + timedelta(hours=12))
        r = await b.http.get("/console")
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
    assert (await session_row(container, token)) is not None


async def test_console_pages_send_the_anonymous_to_sign_in(container):
    async with browser(container) as b:
        r = await b.http.get("/console")
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
        r = await b.http.get("/console/sign-in/code")
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
        page = await b.http.get("/console/sign-in")
        assert page.status_code == 200 and csrf_of(page)
        assert page.headers["cache-control"] == "no-store"
        assert page.headers["x-content-type-options"] == "nosniff"
        csp = page.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "form-action 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "http" not in csp
        assert "<script" not in page.text and 'src="http' not in page.text
        form_cookie = cookie_attributes(page.headers["set-cookie"])
        assert {"httponly", "secure"} <= form_cookie.keys()
        assert ORIGIN.startswith("https://")


async def test_sessions_of_several_browsers_are_separate(container):
    member = await add_member(container)
    async with browser(container) as one, browser(container) as two:
        await one.sign_in(member)
        assert (await two.password(member.email)).status_code == 303
        assert await one.signed_in()
        assert not await two.signed_in()
    rows = await sessions_of(container, member.id)
    assert sorted(r.stage for r in rows) == ["second_factor", "second_factor", "signed_in"]


START_REVIEW = """mutation($i: StartReviewInput!) { startReview(input: $i) {
  request { id status } userErrors { code message } } }"""
TRAIL = """query($id: ID!) { request(id: $id) {
  auditTrail { action actorKind actorId actorName actorVia } } }"""


async def test_the_audit_trail_names_the_person_and_the_session_that_acted(container, world):
    """A reviewer signed in to the console starts a review over GraphQL with the cookie: the
    request's audit trail names them by id and name, and the session that carried it; the
    agency's own events keep naming its client."""
    member = await add_member(container, roles="reviewer auditor")
    agency = await world.agency_actor("DE")
    rid = (await submit(agency))["request"]["id"]
    async with browser(container) as b:
        token = await b.sign_in(member)
        csrf = await b.csrf()
        r = await b.gql(START_REVIEW, {"i": {"requestId": rid}}, **{"X-CSRF-Token": csrf})
        assert r.json()["data"]["startReview"]["request"]["status"] == "IN_REVIEW", r.text
        r = await b.gql(TRAIL, {"id": rid}, **{"X-CSRF-Token": csrf})
        assert "data" in r.json(), r.text
        trail = r.json()["data"]["request"]["auditTrail"]
    session = await session_row(container, token)
    assert session is not None
    [started] = [e for e in trail if e["action"] == "review.started"]
    assert started == {
        "action": "review.started",
        "actorKind": "person",
        "actorId": str(member.id),
        "actorName": "Rita Reviewer",
        "actorVia": f"session:{session.public_id}",
    }
    [received] = [e for e in trail if e["actorKind"] == "agency"]
    assert received["actorId"] == agency.client_id and received["actorName"] is None


async def test_a_signed_in_person_has_a_token_holders_body_limit_and_a_dead_cookie_has_not(
    container,
):
    """The body limit follows the authentication: a live session may send what a token holder
    may (here 20 KB of GraphQL), while a forged or ended session's cookie is anonymous and held
    to the anonymous limit (413 before the body is read)."""
    member = await add_member(container)
    body = {"query": "{ me { clientId } }", "variables": {"pad": "x" * 20_000}}
    async with browser(container) as b:
        token = await b.sign_in(member)
        csrf = await b.csrf()
        r = await b.http.post("/graphql", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 200, r.text
        assert r.json()["data"]["me"]["clientId"] == f"person:{member.email}"
        await b.http.post("/console/sign-out", data={"csrf_token": csrf})
        b.use_cookie(token)  # the ended session's cookie, kept by a thief
        r = await b.http.post("/graphql", json=body, headers={"X-CSRF-Token": csrf})
        assert r.status_code == 413, r.text
        assert r.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
