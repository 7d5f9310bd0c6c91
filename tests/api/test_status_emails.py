"""Status e-mails, on SQLite and PostgreSQL: when a request needs the agency's answer, is
decided, or has data ready, the officer named on it and the agency's contact address each get
one e-mail, in the agency's language, with the request's id, status and a link and nothing the
request says; written in the change's transaction, delivered by the worker through the notice
channels (here the SMTP channel against a local server) exactly once; the agency turns them
off."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from trustcenter_smtp.plugin import SmtpChannel, SmtpSettings

from tests.helpers import OPERATOR, RELEASE, Flow, World, submission
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import Account, OutboxMessage, StatusEmail
from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.services.agencies import create_agency, set_verification
from trustcenter.services.notice_worker import NoticeWorker, WorkerSettings
from trustcenter.testing import AGENCY_SCOPES

CONTACT = "lagezentrum@polizei.example"
OFFICER = submission()["officer"]["email"]
TARGET = [{"identifierType": "EMAIL", "identifier": "user@example.com", "infoTypes": ["A"]}]
OFF = """mutation { setStatusEmails(input: {enabled: false}) { enabled userErrors { code } } }"""


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


async def agency_flow(world: World, clock: FixedClock, country: str = "DE") -> Flow:
    c = world.container
    agency = await create_agency(
        c, OPERATOR, name="LKA", kind=AgencyKind.LAW_ENFORCEMENT, country=country,
        contact_email=CONTACT,
    )  # fmt: skip
    await set_verification(c, OPERATOR, agency.id, VerificationState.VERIFIED)
    actor = await world.agency_actor(
        country, agency_id=agency.id, scopes=[*AGENCY_SCOPES, "webhooks:manage"]
    )
    async with c.db.transaction() as s:
        s.add(Account(username="user", email="user@example.com", region="DE",
                      registered_at=datetime(2024, 1, 1, tzinfo=UTC)))  # fmt: skip
    return Flow(world, clock, actor, await world.staff_actor())


async def emails(container: Container) -> list[StatusEmail]:
    async with container.db.reader() as s:
        query = select(StatusEmail).order_by(StatusEmail.created_at, StatusEmail.recipient)
        return list(await s.scalars(query))


async def decided(flow: Flow) -> dict[str, Any]:
    req = await flow.submit(targets=TARGET)
    await flow.ok(flow.staff, "startReview", requestId=req["id"])
    await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Which month?")
    await flow.ok(flow.agency, "answerClarification", requestId=req["id"], message="June.")
    read = await flow.read(req["id"])
    await flow.decide(read, *[{"itemId": i["id"], "outcome": "APPROVE"} for i in read["items"]])
    return req


async def test_the_officer_and_the_contact_hear_once_in_the_agencys_language(
    world: World, clock: FixedClock, container: Container, inbox: tuple[Inbox, int]
) -> None:
    flow = await agency_flow(world, clock)
    req = await decided(flow)
    done = await flow.staff.data(RELEASE, {"i": {"requestId": req["id"]}})
    assert done["releaseDisclosure"]["userErrors"] == []
    rows = await emails(container)
    # received, started, answered: no e-mail; asked, decided, released: two each
    events = ["request.clarification_requested", "request.decided", "request.disclosure_ready"]
    assert sorted((r.event_type, r.recipient) for r in rows) == sorted(
        (event, address) for event in events for address in (CONTACT, OFFICER)
    )
    assert {r.language for r in rows} == {"de"} and {r.status for r in rows} == {"pending"}
    read = await flow.read(req["id"], flow.agency)
    said = [submission()["reason"], submission()["officer"]["name"], "user@example.com",
            "AG-2026-113", "Which month", "June"]  # fmt: skip
    for row in rows:
        assert read["id"] in row.body and container.settings.issuer + "/graphql" in row.body
        assert not [s for s in said if s in row.body or s in row.subject]

    box, port = inbox
    smtp = SmtpChannel(SmtpSettings("127.0.0.1", port, "trust@company.example", False,
                                    None, None, 10))  # fmt: skip
    worker = NoticeWorker(container.uow, clock, container.plugins, [smtp])
    first = await worker.run_with_emails(OPERATOR)
    assert first.emails == 6 and first.emails_failed == 0
    assert sorted(m["To"] for m in box.messages) == sorted([CONTACT, OFFICER] * 3)
    subjects = {m["Subject"] for m in box.messages}
    assert "Eine Anfrage wartet auf Ihre Antwort" in subjects
    assert all(m["Content-Language"] == "de" for m in box.messages)
    assert len({m["Message-ID"] for m in box.messages}) == 6
    again = await worker.run_with_emails(OPERATOR)
    assert again.emails == 0 and len(box.messages) == 6  # none sent twice
    assert {r.status for r in await emails(container)} == {"delivered"}


async def test_an_agency_that_turned_them_off_gets_none(
    world: World, clock: FixedClock, container: Container
) -> None:
    flow = await agency_flow(world, clock)
    assert (await flow.agency.data(OFF))["setStatusEmails"]["enabled"] is False
    await decided(flow)
    assert await emails(container) == []


async def test_english_without_a_template_and_retried_until_given_up(
    world: World, clock: FixedClock, container: Container
) -> None:
    flow = await agency_flow(world, clock, country="JP")
    req = await flow.submit(jurisdiction="JP", targets=TARGET)
    await flow.ok(flow.staff, "startReview", requestId=req["id"])
    await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Which month?")
    rows = await emails(container)
    assert len(rows) == 2 and {r.language for r in rows} == {"en"}
    assert rows[0].subject == "A request needs your answer"
    # the built-in outbox keeps user notices only: without an e-mail channel they wait
    assert (await container.notice_worker().run_with_emails(OPERATOR)).emails == 0
    async with container.db.reader() as s:
        assert list(await s.scalars(select(OutboxMessage))) == []
    assert {r.status for r in await emails(container)} == {"pending"}

    class Down:
        name = "down"

        async def deliver(self, notice: object, key: str) -> None:
            raise ConnectionRefusedError("no mail server")

    settings = WorkerSettings(max_attempts=2, backoff=timedelta(minutes=1))
    worker = NoticeWorker(container.uow, clock, container.plugins, [Down()], settings)
    assert (await worker.run_with_emails(OPERATOR)).emails_failed == 0  # retried later
    assert {r.status for r in await emails(container)} == {"pending"}
    clock.advance(timedelta(minutes=2))
    assert (await worker.run_with_emails(OPERATOR)).emails_failed == 2
    failed = await emails(container)
    assert {r.status for r in failed} == {"failed"} and {r.attempts for r in failed} == {2}
    assert all("no mail server" in (r.last_error or "") for r in failed)


async def test_an_email_about_the_agency_itself_is_sent_the_same_way(
    container: Container, clock: FixedClock, inbox: tuple[Inbox, int]
) -> None:
    """What the delivery worker writes when it disabled an endpoint (no request named)."""
    now = clock.now()
    async with container.db.transaction() as s:
        s.add(StatusEmail(
            request_id=None, agency_id=uuid.uuid4(), event_type="endpoint.disabled",
            recipient=CONTACT, language="en", subject="Your webhook endpoint was disabled",
            body="It failed for three days.\n", status="pending", attempts=0,
            available_at=now, created_at=now,
        ))  # fmt: skip
    box, port = inbox
    smtp = SmtpChannel(SmtpSettings("127.0.0.1", port, "trust@company.example", False,
                                    None, None, 10))  # fmt: skip
    worker = NoticeWorker(container.uow, clock, container.plugins, [smtp])
    assert (await worker.run_with_emails(OPERATOR)).emails == 1
    [message] = box.messages
    assert message["To"] == CONTACT and message["Subject"] == "Your webhook endpoint was disabled"
