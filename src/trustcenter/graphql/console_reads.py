"""Staff reads the console needs, each a root field of the public schema: the audit chain's
verification, the preview of a release, and user notices by status."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import cast

import strawberry
from strawberry import relay
from strawberry.scalars import JSON
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.enums import DecisionOutcome, IdentifierType, InfoType, NoticeStatus
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.types_notice import NoticeType
from trustcenter.graphql.types_request import RequestType
from trustcenter.services import audit, notices, release_preview
from trustcenter.services.release_preview import PreviewItem, PreviewVendor
from trustcenter.services.view_records import notice_view


@strawberry.type(description="The audit chain recomputed from its first event to its head.")
class AuditVerification:
    checked: int = strawberry.field(description="Events read (up to the first broken one).")
    intact: bool = strawberry.field(description="True when every event and the head hold.")
    broken_at_seq: int | None = strawberry.field(
        description="The first event at which the chain no longer holds; null when intact."
    )
    broken_reason: str | None = strawberry.field(description="Why it does not hold there.")
    head_seq: int = strawberry.field(
        description="The sequence number recorded as the newest event's (0: no events)."
    )
    head_hash: str | None = strawberry.field(
        description="The hash recorded for the newest event; null while the log is empty."
    )


def _start(day: date | None) -> datetime | None:
    return datetime.combine(day, time(), UTC) if day is not None else None


@strawberry.type(description="One item as the release would package it.")
class ReleasePreviewItem:
    view: strawberry.Private[PreviewItem]

    @strawberry.field(description="The item's id (as RequestedItem.id).")
    def item_id(self) -> relay.GlobalID:
        return relay.GlobalID("RequestedItem", str(self.view.item_id))

    @strawberry.field
    def identifier_type(self) -> IdentifierType:  # type: ignore[valid-type]
        return self.view.identifier_type

    @strawberry.field(description="The target's identifier, normalised.")
    def identifier(self) -> str:
        return self.view.identifier

    @strawberry.field
    def info_type(self) -> InfoType:  # type: ignore[valid-type]
        return self.view.info_type

    @strawberry.field(description="APPROVE or NARROW: the decision it is released on.")
    def outcome(self) -> DecisionOutcome:  # type: ignore[valid-type]
        return self.view.outcome

    @strawberry.field(description="The fields each record keeps.")
    def fields(self) -> list[str] | None:
        return list(self.view.fields)

    @strawberry.field(
        description="The first moment covered (00:00 UTC of the first day); null: unbounded "
        "or a type without a time field."
    )
    def range_from(self) -> datetime | None:
        return _start(self.view.range_from)

    @strawberry.field(
        description="The end of the range, exclusive (00:00 UTC of the day after the last "
        "day covered); null: unbounded or a type without a time field."
    )
    def range_to(self) -> datetime | None:
        last = self.view.range_to
        return _start(last + timedelta(days=1)) if last is not None else None

    @strawberry.field(name="from", description="The first day covered, as the package says.")
    def first_day(self) -> date | None:
        return self.view.range_from

    @strawberry.field(name="to", description="The last day covered, as the package says.")
    def last_day(self) -> date | None:
        return self.view.range_to

    @strawberry.field(description="How many records the package would hold for it.")
    def record_count(self) -> int:
        return self.view.record_count

    @strawberry.field(
        description="The first records (firstRecords of them at most), exactly as the "
        "package would hold them."
    )
    def first_records(self) -> JSON:
        return cast(JSON, [dict(r) for r in self.view.first_records])


@strawberry.type(description="A vendor holding some of the data the release would use.")
class ReleasePreviewVendor:
    view: strawberry.Private[PreviewVendor]

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="The release's information types the vendor holds.")
    def info_types(self) -> list[InfoType]:  # type: ignore[valid-type]
        return [InfoType(t) for t in self.view.info_types]

    @strawberry.field(description="When its newest attestation expires; null: none recorded.")
    def attested_until(self) -> datetime | None:
        return self.view.attested_until

    @strawberry.field(
        description="Why its data may not be used now (stopping the release); null when it may."
    )
    def blocked_because(self) -> str | None:
        return self.view.blocked_because


@strawberry.type(
    description="What releasing the request would package now, and what would stop it. "
    "Nothing is sealed, stored or changed."
)
class ReleasePreview:
    request: RequestType
    items: list[ReleasePreviewItem] = strawberry.field(
        description="Per target, per item, in the package's order: the approved and narrowed "
        "items (D only for premium accounts)."
    )
    vendors: list[ReleasePreviewVendor]
    refusals: list[str] = strawberry.field(
        description="What would stop a release now, as the release would say it (status, "
        "block findings not overridden, vendors, plugins, approvals still needed); empty: "
        "it would go ahead."
    )


@strawberry.type
class ConsoleQuery:
    @strawberry.field(
        description=described(
            "verify_audit",
            "Recompute the audit chain's hashes from the first event to the recorded head; "
            "the first broken event when it does not hold.",
        )
    )
    async def audit_verification(self, info: Info) -> AuditVerification:
        c = ctx(info)
        result = await audit.verify(c.app, c.principal)
        broken, head = result.broken, result.head
        return AuditVerification(
            checked=result.checked,
            intact=broken is None,
            broken_at_seq=broken.seq if broken else None,
            broken_reason=broken.reason if broken else None,
            head_seq=head[0] if head else 0,
            head_hash=head[1] if head else None,
        )

    @strawberry.field(
        description=described(
            "preview_release",
            "Exactly what releaseDisclosure would package now — per item the record count and "
            "the first records, per vendor its attestation — and what would stop it; seals, "
            "stores and changes nothing (audited with counts).",
        )
    )
    async def release_preview(
        self, info: Info, request_id: relay.GlobalID, first_records: int = 3
    ) -> ReleasePreview:
        c = ctx(info)
        key = parse_id(request_id, "Request") or MISSING
        done = await release_preview.preview_release(c.app, c.principal, key, first_records)
        c.loaders.request.prime(done.request.id, done.request)
        return ReleasePreview(
            request=RequestType(view=done.request),
            items=[ReleasePreviewItem(view=i) for i in done.items],
            vendors=[ReleasePreviewVendor(view=v) for v in done.vendors],
            refusals=list(done.refusals),
        )

    @strawberry.field(
        description=described(
            "read_notices",
            "User notices in one status, the next due first (first: at most 500).",
        )
    )
    async def notices(
        self,
        info: Info,
        status: NoticeStatus,
        first: int = 50,
    ) -> list[NoticeType]:
        c = ctx(info)
        rows = await notices.notices_in(c.app, c.principal, status, first)
        return [NoticeType(view=notice_view(n)) for n in rows]
