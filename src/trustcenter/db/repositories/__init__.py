"""Queries over the tables, one module per aggregate. Each repository is handed the session of
one unit of work (``trustcenter.db.uow``) and reads and writes inside its transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ScalarSelect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession


class Repository:
    """Reads and writes inside the transaction of the unit of work that made it."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def _core(self) -> AsyncConnection:
        """The unit's connection, for Core statements on a hot path: without the session's
        execution around each one (its ORM bookkeeping cost a submit's INSERTs about a tenth
        of their CPU). What the session holds unwritten is flushed first, as its own
        ``execute`` would have (autoflush), so a statement still sees the unit's changes."""
        return await core_connection(self._session)


async def core_connection(session: AsyncSession) -> AsyncConnection:
    """:meth:`Repository._core` for a session (the module-level writers take one)."""
    if session.new or session.dirty or session.deleted:
        await session.flush()
    return await session.connection()


@dataclass(frozen=True, slots=True)
class Rider:
    """A value one repository needs, read along with another repository's statement that runs
    anyway, to spare a statement of its own (``AuditRepository.number_rider``, carried by
    ``WebhookEndpointRepository.agency``). The repository that offers it owns its meaning: the
    carrying one adds ``column`` to its select and hands the value read to ``take`` (once, and
    only if the select found a row), knowing nothing of either."""

    #: an uncorrelated scalar sub-select: one value, however many rows the select gives
    column: ScalarSelect[Any]
    take: Callable[[Any], None]
