"""Reading and writing requests imported from an earlier system."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert, select

from trustcenter.db.models import Agency, Request
from trustcenter.db.repositories import Repository
from trustcenter.domain.history import Imported


class HistoryRepository(Repository):
    """Requests imported from an earlier system."""

    async def imported(self, external_ids: Sequence[str]) -> list[Imported]:
        """The requests stored under these external ids, with their agency's name and country."""
        rows = await self._session.execute(
            select(
                Request.id,
                Request.external_id,
                Request.payload_sha256,
                Request.status,
                Request.received_at,
                Agency.name,
                Agency.country,
            )
            .join(Agency, Agency.id == Request.agency_id)
            .where(Request.external_id.in_(external_ids))
        )
        return [
            Imported(
                r.id,
                r.external_id,
                r.payload_sha256,
                r.status,
                r.received_at,
                (r.name, r.country),
            )
            for r in rows
        ]

    async def agencies_named(self, names: Sequence[str]) -> list[tuple[uuid.UUID, str, str]]:
        """(id, name, country) of the agencies with these names, oldest first."""
        rows = await self._session.execute(
            select(Agency.id, Agency.name, Agency.country)
            .where(Agency.name.in_(names))
            .order_by(Agency.created_at, Agency.id)
        )
        return [(r.id, r.name, r.country) for r in rows]

    async def insert_agencies(self, rows: Sequence[dict[str, Any]]) -> None:
        """Store these agencies (column values) in one multi-row INSERT."""
        table: Table = Agency.__table__  # type: ignore[assignment]
        await self._session.execute(insert(table), list(rows))
