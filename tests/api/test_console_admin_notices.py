"""The console's notices page (scope ``notices``), on SQLite and PostgreSQL: the notices due,
soonest first; those held back with the exception and its reason; failed deliveries with their
attempts and last error; the exceptions due for re-review, lifted or confirmed through their
forms (refused without the CSRF token, nothing changed). Each row links to its request."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from strawberry.relay import from_base64

from tests.api.console_admin_support import assert_refused_form, post, signed_in, text_of
from tests.helpers import OPERATOR, RELEASE, Actor, World, approve_all
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Account, Notice, NoticeException
from trustcenter.services.notice_worker import NoticeWorker, WorkerSettings

PAGE = "/console/notices"
TARGET = [{"identifierType": "EMAIL", "identifier": "user@example.com", "infoTypes": ["A"]}]
RECORD = """mutation($i: RecordNoticeExceptionInput!) { recordNoticeException(input: $i) {
  exception { id } userErrors { field code message } } }"""
WHY = "the user may endanger a witness"


@pytest.fixture
async def account(container: Container) -> None:
    async with container.db.transaction() as s:
        s.add(Account(username="user", email="user@example.com", region="DE",
                      registered_at=datetime(2024, 1, 1, tzinfo=UTC)))  # fmt: skip


@pytest.fixture
async def staff(world: World, account: None) -> Actor:
    return await world.staff_actor()


async def released(world: World, staff: Actor, clock: FixedClock | None = None) -> str:
    """A request about user@example.com, approved and released: its notice is scheduled."""
    agency = await world.agency_actor("DE")
    request = await agency.submit(targets=TARGET)
    await staff.fetch_token()
    await approve_all(staff, request["id"])
    done = await staff.data(RELEASE, {"i": {"requestId": request["id"]}})
    assert done["releaseDisclosure"]["userErrors"] == []
    return str(request["id"])


async def held(staff: Actor, request_id: str, **fields: Any) -> str:
    body = {"requestId": request_id, "kind": "RISK_OF_HARM", "justification": WHY, **fields}
    done = (await staff.data(RECORD, {"i": body}))["recordNoticeException"]
    assert done["userErrors"] == [], done
    return str(done["exception"]["id"])


async def notices(container: Container) -> list[Notice]:
    async with container.db.reader() as s:
        return list((await s.scalars(select(Notice).order_by(Notice.due_at))).all())


async def exception_row(container: Container, exception_id: str) -> NoticeException:
    async with container.db.reader() as s:
        found = await s.get(NoticeException, uuid.UUID(exception_id))
    assert found is not None
    return found


async def test_due_notices_soonest_first_and_held_ones_with_the_reason(
    container: Container, world: World, staff: Actor, clock: FixedClock
) -> None:
    first = await released(world, staff)
    clock.advance(timedelta(days=2))
    second = await released(world, staff)
    kept = await released(world, staff)
    await held(staff, kept, kind="COURT_ORDER_OR_LAW", reference="BESCHLUSS-4711",
               endsOn=(clock.now() + timedelta(days=60)).date().isoformat())  # fmt: skip
    async with signed_in(container, "notices") as b:
        page = await b.http.get(PAGE)
    assert page.status_code == 200, page.text
    due = page.text.split('id="due"', 1)[1].split('id="held"', 1)[0]
    assert due.index(f"/console/requests/{first}") < due.index(f"/console/requests/{second}")
    assert f"/console/requests/{kept}" not in due
    assert "due in 29 days" in text_of(page) and "due in 31 days" in text_of(page)
    held_part = page.text.split('id="held"', 1)[1].split('id="failed"', 1)[0]
    assert f'href="/console/requests/{kept}"' in held_part
    assert WHY in held_part
    shown = text_of(page)
    assert "Court order or law (BESCHLUSS-4711)" in shown
    assert "No delivery has failed." in shown and "No exception is due for re-review." in shown


async def test_failed_deliveries_show_their_attempts_and_last_error(
    container: Container, world: World, staff: Actor, clock: FixedClock
) -> None:
    request_id = await released(world, staff)

    class Broken:
        name = "broken"

        async def deliver(self, notice: Any, idempotency_key: str) -> None:
            raise ConnectionError("mail relay down")

    worker = NoticeWorker(
        container.uow, clock, container.plugins, [Broken()], WorkerSettings(max_attempts=1)
    )
    clock.advance(timedelta(days=32))
    assert (await worker.run_once(OPERATOR)).failed == 1
    async with signed_in(container, "notices") as b:
        page = await b.http.get(PAGE)
    failed = page.text.split('id="failed"', 1)[1].split('id="review"', 1)[0]
    assert f"/console/requests/{request_id}" in failed and "mail relay down" in failed
    assert "<td>1</td>" in failed
    assert "No notice is due." in text_of(page)


async def test_exceptions_due_for_re_review_are_confirmed_or_lifted(
    container: Container, world: World, staff: Actor, clock: FixedClock
) -> None:
    confirmed_request = await released(world, staff)
    lifted_request = await released(world, staff)
    to_confirm = await held(staff, confirmed_request)
    to_lift = await held(staff, lifted_request, justification="the gang may be warned")
    clock.advance(timedelta(days=91))
    async with signed_in(container, "notices") as b:
        page = await b.http.get(PAGE)
        review = page.text.split('id="review"', 1)[1]
        assert f'data-exception="{to_confirm}"' in review and "overdue by 24 h" in review
        assert f"/console/requests/{lifted_request}" in review

        lift = {"exception_id": to_lift, "justification": "the trial is over", "action": "lift"}
        assert_refused_form(await b.http.post(f"{PAGE}/lift", data=lift))
        r = await post(b, f"{PAGE}/lift", {**lift, "justification": " "}, page=PAGE)
        assert r.status_code == 400 and 'class="error"' in r.text
        assert (await exception_row(container, to_lift)).lifted_at is None

        r = await post(b, f"{PAGE}/lift", lift, page=PAGE)
        assert r.status_code == 303, r.text
        after = text_of(await b.http.get(r.headers["location"]))
        assert "The exception was lifted" in after
        assert (await exception_row(container, to_lift)).lifted_at == clock.now()

        confirm = {
            "exception_id": to_confirm,
            "justification": "still dangerous",
            "action": "confirm",
        }
        before = (await exception_row(container, to_confirm)).review_due_at
        assert_refused_form(await b.http.post(f"{PAGE}/confirm", data=confirm))
        assert (await exception_row(container, to_confirm)).review_due_at == before
        r = await post(b, f"{PAGE}/confirm", confirm, page=PAGE)
        assert r.status_code == 303, r.text
        after_page = await b.http.get(r.headers["location"])
    assert "The exception was confirmed; it comes up for re-review again in 90 days" in text_of(
        after_page
    )
    assert "No exception is due for re-review." in text_of(after_page)
    statuses = {str(n.request_id): n.status for n in await notices(container)}
    assert statuses[from_base64(confirmed_request)[1]] == "suppressed"
    assert statuses[from_base64(lifted_request)[1]] != "suppressed"
