"""What the console's sign-in refuses, each tried by the caller who would bend it: a password
guesser (one answer for every wrong guess, lockout, throttle), a code guesser, another site
(CSRF, Origin), an operator who turned local sign-in off, and hostile forms. SQLite and
PostgreSQL."""

from __future__ import annotations

import base64
import dataclasses
from datetime import timedelta

from tests.api.sign_in_helpers import (
    PASSWORD,
    add_member,
    audit,
    browser,
    csrf_of,
    data_of,
    member_row,
    secret_on,
    session_row,
    sessions_of,
)
from trustcenter.auth.throttle import AuthThrottle, storage_for
from trustcenter.auth.totp import code_at
from trustcenter.services.sessions import csrf_token

WRONG = "the e-mail address or the password is wrong"
TOO_MANY = "too many failed sign-ins"
ME = "{ me { clientId } }"


def roomy_throttle(container, per_email: int = 1000, per_address: int = 1000) -> None:
    """A throttle of its own for the test (the lockout is tested without it in the way)."""
    container._sign_in_throttle = AuthThrottle(
        storage_for("memory://"), per_client=per_email, per_address=per_address
    )


def wrong_code(secret: str, now) -> str:
    right = {code_at(secret, now + timedelta(seconds=d)) for d in (-30, 0, 30)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in right)


async def test_five_wrong_passwords_lock_the_account(container, clock):
    roomy_throttle(container)
    member = await add_member(container)
    async with browser(container) as b:
        for _ in range(5):
            r = await b.password(member.email, "not the password at all")
            assert r.status_code == 401 and WRONG in r.text and b.token is None
        row = await member_row(container, member.id)
        assert row.failed_sign_ins == 5 and row.locked_until == clock.now() + timedelta(minutes=15)
        # locked: the right password is refused too, with the time left; nothing is opened
        r = await b.password(member.email)
        assert r.status_code == 429 and TOO_MANY in r.text
        assert r.headers["retry-after"] == str(15 * 60) and b.token is None
        assert await sessions_of(container, member.id) == []
        assert (await member_row(container, member.id)).failed_sign_ins == 5

        clock.advance(timedelta(minutes=15))
        r = await b.password(member.email, "still not the password")  # the sixth failure
        assert r.status_code == 401
        row = await member_row(container, member.id)
        assert row.locked_until == clock.now() + timedelta(minutes=30)  # doubled
        clock.advance(timedelta(minutes=30))
        assert (await b.password(member.email)).status_code == 303
        # the right password alone resets nothing: only a complete sign-in does
        assert (await member_row(container, member.id)).failed_sign_ins == 6
        await b.sign_in(member)
    row = await member_row(container, member.id)
    assert row.failed_sign_ins == 0 and row.locked_until is None
    [locked, again] = await audit(container, "staff.locked")
    assert data_of(locked)["failures"] == 5 and data_of(again)["failures"] == 6
    failed = await audit(container, "staff.sign_in_failed")
    assert [data_of(e)["reason"] for e in failed] == ["wrong password"] * 5 + ["locked"] + [
        "wrong password"
    ]
    assert all("not the password" not in e.data and e.subject_id == str(member.id) for e in failed)


async def test_wrong_codes_count_toward_the_lockout(container, clock):
    roomy_throttle(container)
    member = await add_member(container)
    assert member.secret is not None
    async with browser(container) as b:
        assert (await b.password(member.email)).status_code == 303
        for _ in range(5):
            r = await b.code(wrong_code(member.secret, clock.now()))
            assert r.status_code == 401 and "the code is wrong" in r.text
        r = await b.code(code_at(member.secret, clock.now()))
        assert r.status_code == 429 and r.headers["retry-after"] == str(15 * 60)
        assert not await b.signed_in()
    failed = await audit(container, "staff.sign_in_failed")
    assert [(data_of(e)["reason"], data_of(e)["stage"]) for e in failed] == [
        ("wrong code", "code")
    ] * 5 + [("locked", "code")]
    assert len(await audit(container, "staff.locked")) == 1


async def test_every_wrong_guess_answers_alike(container):
    roomy_throttle(container)
    await add_member(container, "rita@staff.example")
    await add_member(container, "dora@staff.example", status="disabled")
    await add_member(container, "sso@staff.example", password=None)
    answers = []
    async with browser(container) as b:
        for email, password in (
            ("nobody@staff.example", PASSWORD),
            ("rita@staff.example", "a wrong password, long enough"),
            ("dora@staff.example", PASSWORD),
            ("sso@staff.example", PASSWORD),
            ("not an address", PASSWORD),
        ):
            r = await b.password(email, password)
            text = r.text.replace(email, "EMAIL")
            answers.append((r.status_code, text.split("csrf_token")[0], WRONG in text))
    assert len(set(answers)) == 1 and answers[0][0] == 401 and answers[0][2]
    failed = await audit(container, "staff.sign_in_failed")
    assert [data_of(e)["reason"] for e in failed] == [
        "unknown e-mail",
        "wrong password",
        "disabled",
        "no password",
        "unknown e-mail",
    ]
    assert failed[0].subject_id == "unknown" and failed[0].actor_id == "address:127.0.0.1"


async def test_failures_are_throttled_per_email_and_per_address(container):
    roomy_throttle(container, per_email=5, per_address=8)
    member = await add_member(container)
    async with browser(container) as b:
        for _ in range(5):
            assert (await b.password("guess@staff.example", "guess guess guess")).status_code == 401
        r = await b.password("guess@staff.example", "guess guess guess")
        assert r.status_code == 429 and TOO_MANY in r.text
        assert 1 <= int(r.headers["retry-after"]) <= 60
        # another address's e-mail is still served from here, until the address's budget ends
        assert (await b.password(member.email)).status_code == 303
        for i in range(3):
            assert (await b.password(f"g{i}@staff.example", "guess guess guess")).status_code == 401
        r = await b.password(member.email)
        assert r.status_code == 429 and r.headers["retry-after"]
    async with browser(container, "10.0.0.7") as elsewhere:
        assert (await elsewhere.password(member.email)).status_code == 303
        r = await elsewhere.password("guess@staff.example", "guess guess guess")
        assert r.status_code == 429  # that e-mail is throttled from every address


async def test_another_site_cannot_post_the_forms(container):
    member = await add_member(container)
    evil = [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Sec-Fetch-Site": "cross-site"},
    ]
    async with browser(container) as b:
        page = await b.http.get("/console/sign-in")
        form = {"csrf_token": csrf_of(page), "email": member.email, "password": PASSWORD}
        for headers in evil:
            r = await b.http.post("/console/sign-in", data=form, headers=headers)
            assert r.status_code == 403 and b.token is None, headers
        assert await sessions_of(container, member.id) == []
        ours = {"Origin": "https://localhost", "Sec-Fetch-Site": "same-origin"}
        r = await b.http.post("/console/sign-in", data=form, headers=ours)
        assert r.status_code == 303
        await b.sign_in(member)
        csrf = await b.csrf()
        for headers in evil:
            r = await b.http.post("/console/sign-out", data={"csrf_token": csrf}, headers=headers)
            assert r.status_code == 403
            r = await b.gql(ME, **{"X-CSRF-Token": csrf, **headers})
            assert r.status_code == 403
            assert r.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert await b.signed_in()
        r = await b.gql(ME, **{"X-CSRF-Token": csrf, **ours})
        assert r.json()["data"]["me"]["clientId"] == f"person:{member.email}"
        # the header is as good as the form field
        r = await b.http.post("/console/sign-out", headers={"X-CSRF-Token": csrf, **ours})
        assert r.status_code == 415  # but a form must be a form
        r = await b.http.post(
            "/console/sign-out", data={"x": "1"}, headers={"X-CSRF-Token": csrf, **ours}
        )
        assert r.status_code == 303 and b.token is None


async def test_the_sign_in_form_needs_its_own_token(container):
    member = await add_member(container)
    async with browser(container) as one, browser(container) as two:
        page = await one.http.get("/console/sign-in")
        form = {"csrf_token": csrf_of(page), "email": member.email, "password": PASSWORD}
        # another browser (no form cookie, or its own) cannot use this form's token
        r = await two.http.post("/console/sign-in", data=form)
        assert r.status_code == 403 and "has expired" in r.text
        await two.http.get("/console/sign-in")
        r = await two.http.post("/console/sign-in", data=form)
        assert r.status_code == 403
        r = await one.http.post("/console/sign-in", data={**form, "csrf_token": ""})
        assert r.status_code == 403
        assert await sessions_of(container, member.id) == []
        # the code form needs the session's token
        assert (await one.http.post("/console/sign-in", data=form)).status_code == 303
        r = await one.http.post("/console/sign-in/code", data={"code": "123456"})
        assert r.status_code == 403
        assert (await member_row(container, member.id)).failed_sign_ins == 0


async def test_local_sign_in_turned_off(container):
    member = await add_member(container)
    async with browser(container) as b:
        assert (await b.password(member.email)).status_code == 303
        pending = b.token
        form = {
            "csrf_token": csrf_of(await b.http.get("/console/sign-in")),
            "email": member.email,
            "password": PASSWORD,
        }
        container.settings = dataclasses.replace(container.settings, local_sign_in=False)
        page = await b.http.get("/console/sign-in")
        assert "turned off" in page.text and 'name="password"' not in page.text
        r = await b.http.post("/console/sign-in", data=form)
        assert r.status_code == 403 and "turned off" in r.text
        # a session half-way through stops too
        assert pending is not None and member.secret is not None
        b.use_cookie(pending)
        r = await b.http.get("/console/sign-in/code")
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
        b.use_cookie(pending)
        code = code_at(member.secret, container.clock.now())
        r = await b.http.post(
            "/console/sign-in/code", data={"csrf_token": csrf_token(pending), "code": code}
        )
        assert r.status_code == 303 and r.headers["location"] == "/console/sign-in"
    rows = await sessions_of(container, member.id)
    assert [r.stage for r in rows] == ["second_factor"]


async def test_hostile_forms_are_refused_cleanly(container):
    member = await add_member(container)
    async with browser(container) as b:
        page = await b.http.get("/console/sign-in")
        csrf = csrf_of(page)
        huge = b"email=a&password=" + b"x" * (11 * 1024 * 1024)
        r = await b.http.post(
            "/console/sign-in",
            content=huge,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413

        async def streamed():
            for _ in range(11):
                yield b"x" * (1024 * 1024)

        r = await b.http.post(
            "/console/sign-in",
            content=streamed(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert r.status_code == 413
        form = f"csrf_token={csrf}&email={member.email}&password="
        for body, status in (
            (form + "abc%00def", 400),  # NUL
            (form.replace("email=", "email=x%00"), 400),
            (form + "%FF%FE", 400),  # not UTF-8
            (form + "%ED%A0%80", 400),  # a lone surrogate, encoded
            (form + "a&password=b", 400),  # a field twice
            (form + "p" * 5000, 401),  # longer than any password may be
            (form + "&".join(f"f{i}=1" for i in range(40)), 400),  # too many fields
        ):
            r = await b.http.post(
                "/console/sign-in",
                content=body.encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert r.status_code == status, (body[-40:], r.status_code, r.text[:200])
            assert r.headers["content-type"].startswith("text/html")
        r = await b.http.post("/console/sign-in", json={"email": member.email})
        assert r.status_code == 415
        # a code that is no code
        assert (await b.password(member.email)).status_code == 303
        for junk in ("' OR 1=1 --", "9" * 12, "\uff11\uff12\uff13\uff14\uff15\uff16", ""):
            assert (await b.code(junk)).status_code == 401
    assert [s.stage for s in await sessions_of(container, member.id)] == ["second_factor"]


async def test_a_sealed_second_factor_with_a_secret_key(container, clock):
    key = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    container.settings = dataclasses.replace(container.settings, secret_key=key)
    member = await add_member(container, enrolled=False)
    async with browser(container) as b:
        assert (await b.password(member.email)).status_code == 303
        secret = secret_on(await b.http.get("/console/sign-in/code"))
        stored = (await member_row(container, member.id)).totp_secret
        assert stored is not None and stored.startswith("enc:v1:") and secret not in stored
        r = await b.code(code_at(secret, clock.now()))
        assert r.status_code == 303
        token = b.token
    assert token is not None and (await session_row(container, token)) is not None
