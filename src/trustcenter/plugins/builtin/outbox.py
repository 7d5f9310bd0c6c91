"""The embedded notice channel: notices go to the ``notice_outbox`` table, which staff read.

The channel never opens the database: it writes through the ``OutboxWriter`` the host hands to
the hook (``trustcenter.db.repositories.outbox.SqlOutbox``, wired by the composition root)."""

from __future__ import annotations

from trustcenter.plugins import NoticeView, OutboxWriter, hookimpl


class OutboxChannel:
    name = "outbox"

    def __init__(self, outbox: OutboxWriter) -> None:
        self._outbox = outbox

    async def deliver(self, notice: NoticeView, idempotency_key: str) -> None:
        """Accept the notice once: a retry with the same key finds the first row and succeeds."""
        await self._outbox.put(notice, idempotency_key)


@hookimpl(trylast=True)
def trustcenter_notice_channels(outbox: OutboxWriter | None) -> list[OutboxChannel]:
    return [OutboxChannel(outbox)] if outbox is not None else []
