"""Queries over the tables, one module per aggregate. Each repository is handed the session of
one unit of work (``trustcenter.db.uow``) and reads and writes inside its transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class Repository:
    """Reads and writes inside the transaction of the unit of work that made it."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
