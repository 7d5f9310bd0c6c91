"""The notice worker: a notice reaches its user 31 days after the release, exactly once, in the
user's language, never while a lawful exception holds; failures are retried, then given up."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.helpers import OPERATOR, RELEASE, Actor, account_and_camera_owner, approve_all
from trustcenter.cli import main
from trustcenter.db.models import Account, AuditEvent, Notice, OutboxMessage
from trustcenter.plugins import hookimpl
from trustcenter.plugins.host import PluginHost
from trustcenter.plugins.manager import load
from trustcenter.services.notice_worker import NoticeWorker, WorkerSettings
from trustcenter.services.notices import notice_listing

NOTICES = """query($id: ID!) { request(id: $id) { notices {
  id status releasedAt dueAt deliveredAt deliveries exception { id kind } attempts lastError
} } }"""
RECORD = """mutation($i: RecordNoticeExceptionInput!) { recordNoticeException(input: $i) {
  exception { id } userErrors { field code message } } }"""
LIFT = """mutation($i: ChangeNoticeExceptionInput!) { liftNoticeException(input: $i) {
  exception { liftedAt } userErrors { field code } } }"""
AGENCY_NAME = "Landeskriminalamt Dezernat 11"
TARGETS = [
    {"identifierType": "EMAIL", "identifier": "owner@example.com", "infoTypes": ["A"]},
    {"identifierType": "SERIAL_NUMBER", "identifier": "CAM0000001", "infoTypes": ["B"]},
    {"identifierType": "EMAIL", "identifier": "nobody@example.com", "infoTypes": ["A"]},
]
#: what the submission says about the agency and its case: no notice may repeat any of it
CASE_DETAILS = [
    AGENCY_NAME,
    "AG-2026-113",  # the legal basis reference
    "Amtsgericht Tiergarten",
    "Weber",  # the officer
    "k.weber@polizei.example",
    "burglary",  # the reason given
    "nobody@example.com",
]
EXCEPTION = {"reference": "BESCHLUSS-4711", "justification": "the user may warn the gang"}
DUE = timedelta(days=31)


@dataclass
class Case:
    request_id: str
    staff: Actor
    agency: Actor


@pytest.fixture
async def users(container):
    """The account owner lives in the US (English), the camera owner in Germany (German)."""
    return await account_and_camera_owner(container, owner_region="US")


@pytest.fixture
async def case(users, world, clock) -> Case:
    """Submitted on 30 November 2026, released two days later (2 December, 09:00)."""
    agency_id = await world.agency("DE", name=AGENCY_NAME)
    agency = await world.agency_actor("DE", agency_id=agency_id)
    request = await agency.submit(targets=TARGETS)
    clock.advance(timedelta(days=2))
    staff = await world.staff_actor()
    await approve_all(staff, request["id"])
    done = await staff.data(RELEASE, {"i": {"requestId": request["id"]}})
    assert done["releaseDisclosure"]["userErrors"] == []
    await agency.fetch_token()
    return Case(request["id"], staff, agency)


async def later(clock, case: Case, delta: timedelta) -> None:
    """Move the clock; the tokens (15 minutes) are fetched again."""
    clock.advance(delta)
    await case.staff.fetch_token()
    await case.agency.fetch_token()


async def notices(case: Case) -> list[dict[str, Any]]:
    data = await case.staff.data(NOTICES, {"id": case.request_id})
    return data["request"]["notices"]  # type: ignore[no-any-return]


async def outbox(container) -> list[OutboxMessage]:
    async with container.db.reader() as s:
        return list((await s.scalars(select(OutboxMessage))).all())


async def record_exception(case: Case, kind: str, **fields: Any) -> str:
    body = {"requestId": case.request_id, "kind": kind, **EXCEPTION, **fields}
    payload = (await case.staff.data(RECORD, {"i": body}))["recordNoticeException"]
    assert payload["userErrors"] == []
    return payload["exception"]["id"]  # type: ignore[no-any-return]


async def lift_exception(case: Case, exception_id: str) -> None:
    lifted = await case.staff.data(
        LIFT, {"i": {"exceptionId": exception_id, "justification": "the risk is gone"}}
    )
    assert lifted["liftNoticeException"]["userErrors"] == []


async def audit_actions(container) -> list[str]:
    async with container.db.reader() as s:
        return list((await s.scalars(select(AuditEvent.action).order_by(AuditEvent.seq))).all())


async def assert_delivered_once(container, case: Case) -> list[OutboxMessage]:
    """Each notice DELIVERED once, one outbox row each, addressed to its account's e-mail."""
    shown = await notices(case)
    assert [(n["status"], n["deliveries"]) for n in shown] == [("DELIVERED", 1)] * 2
    assert all(n["deliveredAt"] and n["exception"] is None for n in shown)
    rows = await outbox(container)
    assert sorted(str(r.notice_id) for r in rows) == sorted(n["id"] for n in shown)
    async with container.db.reader() as s:
        emails = {i: e for i, e in await s.execute(select(Notice.id, Account.email).join(Account))}
    assert {r.recipient for r in rows} == {"owner@example.com", "cam@example.com"}
    assert all(r.recipient == emails[r.notice_id] for r in rows)
    return rows


def cli_json(container, *args: str) -> Any:
    """``trustcenter <args> --json`` against the test database (run in a thread: the command
    runs its own event loop)."""
    env = {
        "TRUSTCENTER_DATABASE_URL": container.settings.database_url,
        "TRUSTCENTER_DATABASE_SCHEMA": container.settings.database_schema,
        "TRUSTCENTER_PLUGINS": "",
        "TRUSTCENTER_ISSUER": None,
        "TRUSTCENTER_ENV": None,
    }
    result = CliRunner().invoke(main, [*args, "--json"], env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


class Broken:
    """A channel that refuses the first ``failures`` notices it is given (all, by default)."""

    name = "broken"

    def __init__(self, failures: int = 10**6) -> None:
        self.failures = failures
        self.calls = 0

    async def deliver(self, notice: Any, idempotency_key: str) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("mail relay down")


# --- the 31-day rule ------------------------------------------------------------------------


async def test_notices_go_out_31_days_after_release_exactly_once(case, container, clock):
    worker = container.notice_worker()
    await later(clock, case, timedelta(days=30))
    assert (await worker.run_once(OPERATOR)).delivered == 0
    await later(clock, case, DUE - timedelta(days=30, seconds=1))  # one second before due
    assert (await worker.run_once(OPERATOR)).delivered == 0
    assert await outbox(container) == []
    assert {n["status"] for n in await notices(case)} == {"SCHEDULED"}

    await later(clock, case, timedelta(seconds=1))
    assert (await worker.run_once(OPERATOR)).delivered == 2
    rows = await assert_delivered_once(container, case)
    assert {datetime.fromisoformat(n["deliveredAt"]) for n in await notices(case)} == {clock.now()}

    await later(clock, case, timedelta(days=5))
    assert (await worker.run_once(OPERATOR)).delivered == 0
    assert len(await outbox(container)) == len(rows) == 2
    assert (await audit_actions(container)).count("notices.delivered") == 1


async def test_each_user_is_told_in_their_language_only_what_concerns_them(case, container, clock):
    await later(clock, case, DUE)
    await container.notice_worker().run_once(OPERATOR)
    rows = {r.recipient: r for r in await outbox(container)}

    english = rows["owner@example.com"]
    assert english.language == "en"
    assert english.subject == "A government authority received information about you"
    for said in (
        "Requested on: 30 November 2026",
        "a law-enforcement agency",
        "Country of the authority: Germany",
        "Provided on: 2 December 2026",
        "account information",
    ):
        assert said in english.body
    assert "product information" not in english.body  # only B was asked about the camera

    german = rows["cam@example.com"]
    assert german.language == "de"
    assert german.subject == "Eine Behörde hat Informationen über Sie erhalten"
    for said in (
        "Angefordert am: 30. November 2026",
        "einer Strafverfolgungsbehörde",
        "Land der Behörde: Deutschland",
        "Herausgegeben am: 2. Dezember 2026",
        "Produktinformationen",
    ):
        assert said in german.body
    assert "Kontoinformationen" not in german.body

    for row, other in ((english, "cam@example.com"), (german, "owner@example.com")):
        for secret in [*CASE_DETAILS, other]:
            assert secret not in row.subject + row.body, (row.recipient, secret)


# --- exceptions -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["COURT_ORDER_OR_LAW", "RISK_OF_HARM", "CHILD_ABUSE"])
async def test_an_exception_holds_notices_back_until_lifted(case, container, clock, kind):
    worker = container.notice_worker()
    await later(clock, case, timedelta(days=10))
    exception_id = await record_exception(case, kind)
    await later(clock, case, timedelta(days=400))
    assert (await worker.run_once(OPERATOR)).delivered == 0
    assert await outbox(container) == []
    assert [(n["status"], n["exception"]) for n in await notices(case)] == [
        ("SUPPRESSED", {"id": exception_id, "kind": kind})
    ] * 2

    await lift_exception(case, exception_id)
    assert (await worker.run_once(OPERATOR)).delivered == 2
    rows = await assert_delivered_once(container, case)
    for row in rows:  # the notice says nothing of the exception
        assert EXCEPTION["reference"] not in row.body
        assert EXCEPTION["justification"] not in row.body


async def test_a_court_order_with_an_end_date_resumes_the_day_after(case, container, clock):
    worker = container.notice_worker()
    await later(clock, case, timedelta(days=1))
    await record_exception(case, "COURT_ORDER_OR_LAW", endsOn="2027-03-31")
    clock.set(datetime(2027, 3, 31, 23, 59, tzinfo=UTC))  # the order's last day
    await later(clock, case, timedelta())
    result = await worker.run_once(OPERATOR)
    assert (result.resumed, result.delivered) == (0, 0)
    assert await outbox(container) == []
    assert {n["status"] for n in await notices(case)} == {"SUPPRESSED"}

    await later(clock, case, timedelta(minutes=1))  # 1 April 2027, 00:00: no staff action
    result = await worker.run_once(OPERATOR)
    assert (result.resumed, result.delivered) == (2, 2)
    assert "notices.resumed" in await audit_actions(container)
    await assert_delivered_once(container, case)
    assert (await worker.run_once(OPERATOR)).delivered == 0
    assert len(await outbox(container)) == 2


async def test_an_exception_recorded_after_the_due_date_still_holds(case, container, clock):
    await later(clock, case, DUE + timedelta(hours=3))  # due, but no worker ran yet
    await record_exception(case, "RISK_OF_HARM")
    assert (await container.notice_worker().run_once(OPERATOR)).delivered == 0
    assert await outbox(container) == []
    assert {n["status"] for n in await notices(case)} == {"SUPPRESSED"}


# --- failures -------------------------------------------------------------------------------


async def test_a_failing_channel_is_retried_with_back_off_then_given_up(case, container, clock):
    channel = Broken()
    settings = WorkerSettings(max_attempts=3, backoff=timedelta(minutes=1))
    worker = NoticeWorker(container.uow, clock, container.plugins, [channel], settings)
    await later(clock, case, DUE)
    result = await worker.run_once(OPERATOR)
    assert (result.delivered, result.retrying, channel.calls) == (0, 2, 2)
    for n in await notices(case):
        assert (n["status"], n["attempts"], n["deliveries"]) == ("SCHEDULED", 1, 0)
        assert "mail relay down" in n["lastError"]

    await later(clock, case, timedelta(seconds=59))  # the back-off (1 minute) not yet over
    await worker.run_once(OPERATOR)
    assert channel.calls == 2
    assert {n["attempts"] for n in await notices(case)} == {1}

    await later(clock, case, timedelta(seconds=1))
    await worker.run_once(OPERATOR)
    assert channel.calls == 4
    await later(clock, case, timedelta(minutes=1))  # the second back-off is 2 minutes
    await worker.run_once(OPERATOR)
    assert channel.calls == 4
    await later(clock, case, timedelta(minutes=1))
    result = await worker.run_once(OPERATOR)
    assert (result.failed, channel.calls) == (2, 6)
    for n in await notices(case):
        assert (n["status"], n["attempts"], n["deliveries"]) == ("FAILED", 3, 0)
        assert n["lastError"] and n["deliveredAt"] is None

    await later(clock, case, timedelta(days=30))
    await worker.run_once(OPERATOR)
    assert channel.calls == 6  # given up: never tried again
    assert "notices.failed" in await audit_actions(container)
    listed = await notice_listing(container, OPERATOR, "failed")
    assert len(listed) == 2 and {r["status"] for r in listed} == {"failed"}


async def test_failed_notices_are_listed_by_the_cli(case, container, clock):
    settings = WorkerSettings(max_attempts=1)
    worker = NoticeWorker(container.uow, clock, container.plugins, [Broken()], settings)
    await later(clock, case, DUE)
    await worker.run_once(OPERATOR)
    ids = sorted(n["id"] for n in await notices(case))
    listed = await asyncio.to_thread(cli_json, container, "notices", "list", "--status", "failed")
    assert sorted(r["id"] for r in listed) == ids
    async with container.db.reader() as s:
        request_id = str((await s.scalars(select(Notice.request_id))).first())
    for row in listed:
        assert row["request_id"] == request_id
        assert (row["jurisdiction"], row["status"]) == ("DE", "failed")
        assert (row["exception"], row["deliveries"]) == (None, 0)
        released = datetime.fromisoformat(row["released_at"])
        assert released == datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
        assert datetime.fromisoformat(row["due_at"]) == released + DUE
    scheduled = await asyncio.to_thread(
        cli_json, container, "notices", "list", "--status", "scheduled"
    )
    assert scheduled == []


async def test_a_channel_that_fails_once_delivers_on_the_retry(case, container, clock):
    channel = Broken(failures=2)  # both notices fail the first time
    settings = WorkerSettings(max_attempts=3, backoff=timedelta(minutes=1))
    worker = NoticeWorker(container.uow, clock, container.plugins, [channel], settings)
    await later(clock, case, DUE)
    await worker.run_once(OPERATOR)
    await later(clock, case, timedelta(minutes=1))
    assert (await worker.run_once(OPERATOR)).delivered == 2
    for n in await notices(case):
        assert (n["status"], n["deliveries"], n["attempts"]) == ("DELIVERED", 1, 2)
        assert n["lastError"] is None
    await later(clock, case, timedelta(days=1))
    await worker.run_once(OPERATOR)
    assert channel.calls == 4


# --- plugins, access, operators -------------------------------------------------------------


class NoticeSpy:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    @hookimpl
    def trustcenter_after_notice(self, request_id: str, status: str) -> None:
        self.calls.append((request_id, status))


async def test_plugins_hear_of_each_delivered_notice_once(case, container, clock):
    spy = NoticeSpy()
    container.plugins = PluginHost(*load("", extra=[("spy", spy)]))
    channel = Broken(failures=2)  # the first attempt fails: a retry is no event
    settings = WorkerSettings(backoff=timedelta(minutes=1))
    worker = NoticeWorker(container.uow, clock, container.plugins, [channel], settings)
    await later(clock, case, DUE)
    await worker.run_once(OPERATOR)
    assert (channel.calls, spy.calls) == (2, [])
    await later(clock, case, timedelta(minutes=1))
    await worker.run_once(OPERATOR)
    await later(clock, case, timedelta(days=1))
    await worker.run_once(OPERATOR)
    async with container.db.reader() as s:
        request_id = str((await s.scalars(select(Notice.request_id))).first())
    assert spy.calls == [(request_id, "delivered")] * 2


async def test_only_staff_read_notices_and_their_exceptions(case):
    await record_exception(case, "CHILD_ABUSE")
    assert {n["exception"]["kind"] for n in await notices(case)} == {"CHILD_ABUSE"}

    own = await case.agency.data(
        "query($id: ID!) { request(id: $id) { status } }", {"id": case.request_id}
    )
    assert own["request"]["status"]  # the agency reads its own request ...
    r = await case.agency.gql(NOTICES, {"id": case.request_id})
    body = r.json()
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # ... but not the notices
    assert not (body.get("data") or {}).get("request")
    assert "CHILD_ABUSE" not in r.text and "child_abuse" not in r.text


async def test_the_cli_lists_the_exception_holding_a_notice(case, container, clock):
    exception_id = await record_exception(case, "RISK_OF_HARM")
    held = await asyncio.to_thread(cli_json, container, "notices", "list")
    assert [(r["status"], r["exception"]) for r in held] == [("suppressed", "risk_of_harm")] * 2

    await lift_exception(case, exception_id)
    free = await asyncio.to_thread(cli_json, container, "notices", "list")
    assert [(r["status"], r["exception"]) for r in free] == [("scheduled", None)] * 2

    await later(clock, case, DUE)
    await container.notice_worker().run_once(OPERATOR)
    done = await asyncio.to_thread(cli_json, container, "notices", "list", "--status", "delivered")
    assert [(r["exception"], r["deliveries"]) for r in done] == [(None, 1)] * 2
    await record_exception(case, "CHILD_ABUSE")  # too late: nothing is held back any more
    done = await asyncio.to_thread(cli_json, container, "notices", "list")
    assert [(r["status"], r["exception"]) for r in done] == [("delivered", None)] * 2
