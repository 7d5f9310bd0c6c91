"""Vendors holding some of the data, and their attestations that they follow the same
standards. Data a vendor holds is not disclosed while its attestation is missing or expired."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from trustcenter.auth.principal import Principal
from trustcenter.db.models import Vendor, VendorAttestation
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.enums import InfoType
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.submission import MAX_NAME
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts


async def create_vendor(
    app: AppParts,
    principal: Principal,
    *,
    name: str,
    info_types: Iterable[InfoType],
    same_standards_clause: bool,
) -> Vendor:
    """Register a vendor (admin)."""
    authorize(principal, "create_vendor")
    clock = app.clock
    types = sorted({t.value for t in info_types})
    problems: list[Problem] = []
    if not name.strip() or len(name.strip()) > MAX_NAME:
        problems.append(
            Problem("name", f"is required, at most {MAX_NAME} characters", ErrorCode.INVALID_INPUT)
        )
    if not types:
        problems.append(
            Problem(
                "infoTypes", "name the information types the vendor holds", ErrorCode.INVALID_INPUT
            )
        )
    if problems:
        raise DomainError(problems)
    vendor = Vendor(
        name=name.strip(),
        info_types=" ".join(types),
        same_standards_clause=same_standards_clause,
        created_at=clock.now(),
    )
    async with app.uow() as uow:
        if await uow.agencies.vendor_named(vendor.name):
            raise DomainError.single("name", "a vendor with this name exists", ErrorCode.CONFLICT)
        uow.add(vendor)
        await uow.flush()
        await uow.audit.record(
            clock,
            actor_of(principal),
            "vendor.created",
            ("vendor", vendor.id),
            data={
                "name": vendor.name,
                "info_types": types,
                "same_standards_clause": same_standards_clause,
            },
        )
    return vendor


async def record_attestation(
    app: AppParts,
    principal: Principal,
    vendor_id: uuid.UUID,
    *,
    reference: str,
    expires_at: datetime,
    note: str | None = None,
) -> VendorAttestation:
    """Record the vendor's confirmation that it follows the same standards, until expiry."""
    authorize(principal, "record_vendor_attestation")
    actor, clock = actor_of(principal), app.clock
    now = clock.now()
    if not reference.strip():
        raise DomainError.single("reference", "is required", ErrorCode.INVALID_INPUT)
    if expires_at.tzinfo is None:
        raise DomainError.single(
            "expiresAt", "needs a time zone offset, such as Z", ErrorCode.INVALID_INPUT
        )
    if expires_at <= now:
        raise DomainError.single("expiresAt", "must be in the future", ErrorCode.INVALID_INPUT)
    async with app.uow() as uow:
        vendor = await uow.agencies.vendor(vendor_id)
        if vendor is None:
            raise DomainError.single("vendorId", "no such vendor", ErrorCode.NOT_FOUND)
        attestation = VendorAttestation(
            vendor_id=vendor.id,
            reference=reference.strip(),
            attested_at=now,
            expires_at=expires_at,
            recorded_by=actor.id,
            note=note,
        )
        uow.add(attestation)
        await uow.flush()
        await uow.audit.record(
            clock,
            actor,
            "vendor.attested",
            ("vendor", vendor.id),
            data={"reference": attestation.reference, "expires_at": expires_at.isoformat()},
        )
    return attestation


@dataclass(frozen=True, slots=True)
class VendorStatus:
    vendor: Vendor
    valid_until: datetime | None

    def blocks(self, now: datetime) -> str | None:
        """Why this vendor's data may not be used now, or None."""
        if not self.vendor.same_standards_clause:
            return "its contract has no clause binding it to the same standards"
        if self.valid_until is None:
            return "it has no attestation on record"
        if self.valid_until <= now:
            return f"its attestation expired on {self.valid_until:%Y-%m-%d}"
        return None


async def vendor_statuses(uow: UnitOfWork) -> list[VendorStatus]:
    """Every vendor by name, with when its newest attestation expires."""
    return [VendorStatus(v, until) for v, until in await uow.agencies.vendors_with_latest_expiry()]


async def list_vendors(app: AppParts, principal: Principal) -> list[VendorStatus]:
    """Every vendor with its newest attestation (staff reviewing or administering)."""
    authorize(principal, "list_vendors")
    async with app.uow.read() as uow:
        return await vendor_statuses(uow)


async def blocking_vendors(
    uow: UnitOfWork, info_types: set[str], now: datetime
) -> list[tuple[VendorStatus, list[str], str]]:
    """The vendors whose data a disclosure of ``info_types`` would use and may not."""
    out = []
    for status in await vendor_statuses(uow):
        held = sorted(set(status.vendor.info_types.split()) & info_types)
        reason = status.blocks(now)
        if held and reason:
            out.append((status, held, reason))
    return out
