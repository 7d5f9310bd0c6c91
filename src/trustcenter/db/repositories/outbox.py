"""The outbox of the embedded notice channel: one row per notice it accepted.

``SqlOutbox`` is the writer the plugin host hands to the built-in ``outbox`` channel (the
plugin API's ``OutboxWriter``), so the channel itself never touches the database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from trustcenter.db.models import OutboxMessage
from trustcenter.db.session import Database


class OutboxNotice(Protocol):
    """What a notice carries into the outbox (the plugin API's ``NoticeView`` has it)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def request_id(self) -> uuid.UUID: ...
    @property
    def recipient(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def body(self) -> str: ...


class SqlOutbox:
    """The ``notice_outbox`` table: each notice written once, in its own write transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def put(self, notice: OutboxNotice, idempotency_key: str) -> None:
        """Store the notice once: a retry with the same key finds the first row and succeeds."""
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
