"""Against a real SMTP server (aiosmtpd) on this machine's loopback interface."""

from __future__ import annotations

import asyncio
import socket
import uuid
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from trustcenter_smtp import plugin
from trustcenter_smtp.plugin import SmtpChannel, SmtpNotConfigured, SmtpSettings

from trustcenter.plugins import NoticeView
from trustcenter.plugins.testing import assert_conforms


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def notice() -> NoticeView:
    return NoticeView(
        uuid.uuid4(),
        uuid.uuid4(),
        "user@example.com",
        "en",
        "A government request concerned your account",
        "On 2026-10-01 an authority from DE obtained account information.",
    )


def settings(port: int, sender: str = "privacy@company.example") -> SmtpSettings:
    return SmtpSettings("127.0.0.1", port, sender, False, None, None, 10)


def test_conforms_and_provides_the_channel(trustcenter_host):
    assert_conforms(plugin)
    assert "smtp" in trustcenter_host(plugin).notice_channels()


def test_delivers_the_notice(server):
    inbox, port = server
    asyncio.run(SmtpChannel(settings(port)).deliver(notice(), "notice-1:attempt"))
    [(sender, recipients, raw)] = inbox.messages
    assert sender == "privacy@company.example" and recipients == ["user@example.com"]
    message = message_from_bytes(raw)
    assert message["Subject"] == "A government request concerned your account"
    assert message["Content-Language"] == "en"
    assert "obtained account information" in message.get_payload()


def test_a_retry_carries_the_same_message_id(server):
    inbox, port = server
    channel = SmtpChannel(settings(port))
    asyncio.run(channel.deliver(notice(), "key-42"))
    asyncio.run(channel.deliver(notice(), "key-42"))
    asyncio.run(channel.deliver(notice(), "key-43"))
    ids = [message_from_bytes(raw)["Message-ID"] for _, _, raw in inbox.messages]
    assert ids[0] == ids[1] != ids[2]
    assert ids[0].endswith("@company.example>")


def test_an_unreachable_server_raises_so_the_worker_retries():
    with pytest.raises(Exception):  # noqa: B017 (any failure must surface)
        asyncio.run(SmtpChannel(settings(free_port())).deliver(notice(), "k"))


def test_without_a_sender_it_refuses_to_send(server):
    _, port = server
    with pytest.raises(SmtpNotConfigured):
        asyncio.run(SmtpChannel(settings(port, sender="")).deliver(notice(), "k"))
