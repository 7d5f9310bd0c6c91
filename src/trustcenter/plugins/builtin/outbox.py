"""The embedded notice channel: notices go to the ``notice_outbox`` table, which staff read."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trustcenter.db.models import OutboxMessage
from trustcenter.db.session import Database
from trustcenter.plugins import NoticeView, hookimpl


class OutboxChannel:
    name = "outbox"

    def __init__(self, db: Database) -> None:
        self._db = db

    async def deliver(self, notice: NoticeView, idempotency_key: str) -> None:
        """Accept the notice once: a retry with the same key finds the first row and succeeds."""
        async with self._db.reader() as session:
            found = await session.scalar(
                select(OutboxMessage.id).where(OutboxMessage.idempotency_key == idempotency_key)
            )
        if found is not None:
            return
        try:
            async with self._db.transaction() as session:
                session.add(
                    OutboxMessage(
                        idempotency_key=idempotency_key,
                        notice_id=notice.id,
                        request_id=notice.request_id,
                        recipient=notice.recipient,
                        language=notice.language,
                        subject=notice.subject,
                        body=notice.body,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            return  # a concurrent retry of the same notice got there first: delivered once


@hookimpl(trylast=True)
def trustcenter_notice_channels(db: Any) -> list[OutboxChannel]:
    return [OutboxChannel(db)] if db is not None else []
