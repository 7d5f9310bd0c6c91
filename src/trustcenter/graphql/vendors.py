"""Vendors over GraphQL: staff read them; admins register them and record attestations."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from trustcenter.domain import enums as d
from trustcenter.graphql.access_text import described
from trustcenter.graphql.enums import InfoType
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.services.vendors import create_vendor, list_vendors, record_attestation
from trustcenter.services.view_records import VendorView, vendor_view


@strawberry.type(name="Vendor", description="A third party holding some of the data.")
class VendorType:
    view: strawberry.Private[VendorView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="The information types it holds.")
    def info_types(self) -> list[InfoType]:  # type: ignore[valid-type]
        return list(self.view.info_types)

    @strawberry.field(description="Its contract binds it to the same standards.")
    def same_standards_clause(self) -> bool:
        return self.view.same_standards_clause

    @strawberry.field(description="Until when its newest attestation holds.")
    def attested_until(self) -> datetime | None:
        return self.view.attested_until

    @strawberry.field(description="Why its data may not be disclosed now; null when it may.")
    def blocked_because(self) -> str | None:
        return self.view.blocked_because


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


async def _vendors(info: Info) -> list[VendorView]:
    c = ctx(info)
    now = c.app.clock.now()
    return [vendor_view(status, now) for status in await list_vendors(c.app, c.principal)]


async def _vendor(info: Info, vendor_id: uuid.UUID) -> VendorType | None:
    found = [v for v in await _vendors(info) if v.id == vendor_id]
    return VendorType(view=found[0]) if found else None


@strawberry.type
class VendorQuery:
    @strawberry.field(
        description=described("list_vendors", "Every vendor and whether its data may be used.")
    )
    async def vendors(self, info: Info) -> list[VendorType]:
        return [VendorType(view=v) for v in await _vendors(info)]


@strawberry.type
class VendorMutation:
    @strawberry.mutation(description=described("create_vendor", "Register a vendor."))
    async def create_vendor(self, info: Info, input: CreateVendorInput) -> VendorPayload | None:
        c = ctx(info)

        async def created(vendor: Any) -> VendorPayload:
            return VendorPayload(vendor=await _vendor(info, vendor.id))

        return await payload(
            VendorPayload,
            lambda: create_vendor(
                c.app,
                c.principal,
                name=input.name,
                info_types=[d.InfoType(t) for t in input.info_types],
                same_standards_clause=input.same_standards_clause,
            ),
            created,
        )

    @strawberry.mutation(
        description=described("record_vendor_attestation", "Record a vendor's attestation.")
    )
    async def record_vendor_attestation(
        self, info: Info, input: RecordVendorAttestationInput
    ) -> VendorPayload | None:
        c = ctx(info)
        vendor_id = parse_id(input.vendor_id) or MISSING

        async def recorded(_: Any) -> VendorPayload:
            return VendorPayload(vendor=await _vendor(info, vendor_id))

        return await payload(
            VendorPayload,
            lambda: record_attestation(
                c.app,
                c.principal,
                vendor_id,
                reference=input.reference,
                expires_at=input.expires_at,
                note=input.note,
            ),
            recorded,
        )
