"""Vendors over GraphQL: staff read them; admins register them and record attestations."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from trustcenter.auth.scopes import ADMIN, REVIEW
from trustcenter.domain import enums as d
from trustcenter.domain.errors import DomainError
from trustcenter.graphql.enums import InfoType
from trustcenter.graphql.errors import UserError, user_errors
from trustcenter.graphql.nodes import ctx
from trustcenter.services.access import require_any_scope
from trustcenter.services.vendors import (
    VendorStatus,
    create_vendor,
    list_vendors,
    record_attestation,
)


@strawberry.type(name="Vendor", description="A third party holding some of the data.")
class VendorType:
    status: strawberry.Private[VendorStatus]
    now: strawberry.Private[datetime]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.status.vendor.id))

    @strawberry.field
    def name(self) -> str:
        return self.status.vendor.name

    @strawberry.field(description="The information types it holds.")
    def info_types(self) -> list[InfoType]:  # type: ignore[valid-type]
        return [d.InfoType(t) for t in self.status.vendor.info_types.split()]

    @strawberry.field(description="Its contract binds it to the same standards.")
    def same_standards_clause(self) -> bool:
        return self.status.vendor.same_standards_clause

    @strawberry.field(description="Until when its newest attestation holds.")
    def attested_until(self) -> datetime | None:
        return self.status.valid_until

    @strawberry.field(description="Why its data may not be disclosed now; null when it may.")
    def blocked_because(self) -> str | None:
        return self.status.blocks(self.now)


@strawberry.input
class CreateVendorInput:
    name: str
    info_types: list[InfoType]  # type: ignore[valid-type]
    same_standards_clause: bool


@strawberry.input
class RecordVendorAttestationInput:
    vendor_id: strawberry.ID
    reference: str = strawberry.field(description="The signed attestation's reference.")
    expires_at: datetime
    note: str | None = None


@strawberry.type
class VendorPayload:
    vendor: VendorType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _vendor(info: Info, vendor_id: uuid.UUID) -> VendorType | None:
    c = ctx(info)
    for status in await list_vendors(c.app.db):
        if status.vendor.id == vendor_id:
            return VendorType(status=status, now=c.app.clock.now())
    return None


@strawberry.type
class VendorQuery:
    @strawberry.field(description="Every vendor and whether its data may be used (staff).")
    async def vendors(self, info: Info) -> list[VendorType]:
        c = ctx(info)
        require_any_scope(c.principal, frozenset({REVIEW, ADMIN}), "review or admin")
        now = c.app.clock.now()
        return [VendorType(status=s, now=now) for s in await list_vendors(c.app.db)]


@strawberry.type
class VendorMutation:
    @strawberry.mutation(description="Register a vendor (scope admin).")
    async def create_vendor(self, info: Info, input: CreateVendorInput) -> VendorPayload | None:
        c = ctx(info)
        try:
            vendor = await create_vendor(
                c.app.db,
                c.app.clock,
                name=input.name,
                info_types=[d.InfoType(t) for t in input.info_types],
                same_standards_clause=input.same_standards_clause,
                principal=c.principal,
            )
        except DomainError as error:
            return VendorPayload(user_errors=user_errors(error))
        return VendorPayload(vendor=await _vendor(info, vendor.id))

    @strawberry.mutation(description="Record a vendor's attestation (scope admin).")
    async def record_vendor_attestation(
        self, info: Info, input: RecordVendorAttestationInput
    ) -> VendorPayload | None:
        c = ctx(info)
        try:
            vendor_id = uuid.UUID(str(input.vendor_id))
        except ValueError:
            vendor_id = uuid.UUID(int=0)
        try:
            await record_attestation(
                c.app.db,
                c.app.clock,
                vendor_id,
                reference=input.reference,
                expires_at=input.expires_at,
                note=input.note,
                principal=c.principal,
            )
        except DomainError as error:
            return VendorPayload(user_errors=user_errors(error))
        return VendorPayload(vendor=await _vendor(info, vendor_id))
