"""Reading and writing agencies, their clients' vendors and agency-side settings."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select

from trustcenter.db.models import Agency, Vendor, VendorAttestation
from trustcenter.db.repositories import Repository


class AgencyRepository(Repository):
    """Agencies, their clients' vendors and agency-side settings."""

    async def get(self, agency_id: uuid.UUID) -> Agency | None:
        """The agency, if it exists."""
        return await self._session.get(Agency, agency_id)

    async def lock(self, agency_id: uuid.UUID) -> Agency | None:
        """The agency, locked for this transaction (changes to it, or to what it may have only
        so much of, one after the other)."""
        query = select(Agency).where(Agency.id == agency_id).with_for_update()
        return (await self._session.scalars(query)).first()

    async def all(self) -> list[Agency]:
        """Every agency, by country and name."""
        query = select(Agency).order_by(Agency.country, Agency.name)
        return list(await self._session.scalars(query))

    async def vendor(self, vendor_id: uuid.UUID) -> Vendor | None:
        """The vendor, if it exists."""
        return await self._session.get(Vendor, vendor_id)

    async def vendor_named(self, name: str) -> uuid.UUID | None:
        """The id of the vendor with this exact name, if any."""
        return await self._session.scalar(select(Vendor.id).where(Vendor.name == name))

    async def vendors_with_latest_expiry(self) -> list[tuple[Vendor, datetime | None]]:
        """Every vendor by name, with the latest expiry of its attestations (None: none)."""
        latest = (
            select(
                VendorAttestation.vendor_id, func.max(VendorAttestation.expires_at).label("until")
            )
            .group_by(VendorAttestation.vendor_id)
            .subquery()
        )
        rows = await self._session.execute(
            select(Vendor, latest.c.until)
            .outerjoin(latest, latest.c.vendor_id == Vendor.id)
            .order_by(Vendor.name)
        )
        return [(vendor, until) for vendor, until in rows]
