"""The built-in notice channel: the outbox table, exactly one row per notice."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from trustcenter.db.models import OutboxMessage
from trustcenter.plugins import NoticeView


def notice() -> NoticeView:
    return NoticeView(uuid.uuid4(), uuid.uuid4(), "user@example.com", "en", "Subject", "Body")


async def rows(container) -> list[OutboxMessage]:
    async with container.db.reader() as session:
        return list((await session.scalars(select(OutboxMessage))).all())


async def test_the_outbox_is_a_built_in_channel(container):
    channels = container.plugins.notice_channels(container.db)
    assert list(channels) == ["outbox"]


async def test_a_notice_is_written_once_however_often_it_is_retried(container):
    channel = container.plugins.notice_channels(container.db)["outbox"]
    sent = notice()
    await channel.deliver(sent, "notice-1")
    await channel.deliver(sent, "notice-1")
    await asyncio.gather(*(channel.deliver(sent, "notice-1") for _ in range(10)))
    [row] = await rows(container)
    assert (row.recipient, row.subject, row.body, row.notice_id) == (
        "user@example.com",
        "Subject",
        "Body",
        sent.id,
    )
    await channel.deliver(notice(), "notice-2")
    async with container.db.reader() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 2
