"""Requests and what hangs off them: legal basis, officer, targets, requested items."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.db.models import LegalBasis as LegalBasisRow
from trustcenter.db.models import Request as RequestRow
from trustcenter.db.models import RequestedItem as ItemRow
from trustcenter.db.models import Target as TargetRow
from trustcenter.domain import enums as d
from trustcenter.domain.decisions import Reading
from trustcenter.domain.lifecycle import RequestStatus as _Status
from trustcenter.graphql.enums import (
    Category,
    DecisionOutcome,
    IdentifierType,
    InfoType,
    IssuerRole,
    LegalBasisKind,
    ReasonCode,
    RequestOperation,
    RequestStatus,
)
from trustcenter.graphql.nodes import ctx, load_nodes
from trustcenter.graphql.plugins import FindingType
from trustcenter.graphql.types_access import AgencyType
from trustcenter.graphql.types_document import DocumentType, wrap_documents
from trustcenter.graphql.types_notice import NoticeType
from trustcenter.graphql.types_thread import AuditEventType, DisclosureType, MessageType
from trustcenter.graphql.types_userdata import AccountType, ProductType, wrap_subject
from trustcenter.services import visible

SubjectType = Annotated[AccountType | ProductType, strawberry.union("Subject")]


@strawberry.type(description="The legal instrument a request relies on.")
class LegalBasis:
    row: strawberry.Private[LegalBasisRow]

    @strawberry.field
    def kind(self) -> LegalBasisKind:
        return LegalBasisKind(self.row.kind.upper())

    @strawberry.field
    def reference(self) -> str:
        return self.row.reference

    @strawberry.field
    def issued_by(self) -> str:
        return self.row.issued_by

    @strawberry.field
    def issuer_role(self) -> IssuerRole | None:  # type: ignore[valid-type]
        return d.IssuerRole(self.row.issuer_role) if self.row.issuer_role else None

    @strawberry.field
    def issued_at(self) -> date:
        return self.row.issued_at

    @strawberry.field
    def expires_at(self) -> date | None:
        return self.row.expires_at

    @strawberry.field(description="End of a non-disclosure (gag) clause, if any.")
    def non_disclosure_until(self) -> date | None:
        return self.row.non_disclosure_until

    @strawberry.field(
        description="SHA-256 of the document sent inline (base64, deprecated), hex; uploaded "
        "documents are listed in documents."
    )
    def document_sha256(self) -> str | None:
        return self.row.document_sha256

    @strawberry.field
    def document_size(self) -> int | None:
        return self.row.document_size

    @strawberry.field(
        description="The documents attached to the legal basis (POST /documents, documentIds)."
    )
    async def documents(self, info: Info) -> list[DocumentType]:
        return wrap_documents(await ctx(info).loaders.basis_documents.load(self.row.id))


@strawberry.type(description="The officer on whose behalf the request was sent.")
class Officer:
    name: str
    title: str
    email: str
    phone: str


@strawberry.type(name="RequestedItem", description="One target x one information type.")
class RequestedItemType(relay.Node):
    row: strawberry.Private[ItemRow]

    @classmethod
    def resolve_id(cls, root: RequestedItemType, *, info: Info) -> str:
        return str(root.row.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(ctx(info).loaders.item, node_ids, cls.wrap, required)

    @classmethod
    def wrap(cls, row: ItemRow | None) -> RequestedItemType:
        return cls(row=row)  # type: ignore[arg-type]

    @strawberry.field
    def info_type(self) -> InfoType:  # type: ignore[valid-type]
        return d.InfoType(self.row.info_type)

    @strawberry.field(name="from", description="Start of the requested time range.")
    def range_from(self) -> date | None:
        return self.row.range_from

    @strawberry.field(name="to", description="End of the requested time range.")
    def range_to(self) -> date | None:
        return self.row.range_to

    def _reading(self, info: Info) -> Reading:
        c = ctx(info)
        return visible.item_decision(c.principal, self.row, c.app.plugins.reason_vocabulary())

    @strawberry.field(
        description="A reviewer's decision, once a person made one (never automatic)."
    )
    def outcome(self, info: Info) -> DecisionOutcome | None:  # type: ignore[valid-type]
        return self._reading(info).outcome

    @strawberry.field(
        description="Why it was not approved as asked. Agencies read NO_RESPONSIVE_DATA for an "
        "item that yields nothing because of the account's state, whatever the reason."
    )
    def reason_code(self, info: Info) -> ReasonCode | None:
        code = self._reading(info).reason_code
        return ReasonCode(code) if code else None

    @strawberry.field(description="The reviewer's explanation (agencies: as for reasonCode).")
    def explanation(self, info: Info) -> str | None:
        return self._reading(info).explanation

    @strawberry.field(description="NARROW: the approved range's start.")
    def approved_from(self) -> date | None:
        return self.row.approved_from

    @strawberry.field(description="NARROW: the approved range's end.")
    def approved_to(self) -> date | None:
        return self.row.approved_to

    @strawberry.field(description="NARROW: the only fields that may be provided.")
    def approved_fields(self) -> list[str] | None:
        return self.row.approved_fields.split() if self.row.approved_fields is not None else None

    @strawberry.field
    def decided_at(self) -> datetime | None:
        return self.row.decided_at

    @strawberry.field
    async def target(self, info: Info) -> TargetType | None:
        row = await ctx(info).loaders.target.load(self.row.target_id)
        return TargetType(row=row) if row is not None else None


@strawberry.type(name="Target", description="An account, product or order a request names.")
class TargetType(relay.Node):
    row: strawberry.Private[TargetRow]

    @classmethod
    def resolve_id(cls, root: TargetType, *, info: Info) -> str:
        return str(root.row.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(ctx(info).loaders.target, node_ids, cls.wrap, required)

    @classmethod
    def wrap(cls, row: TargetRow | None) -> TargetType:
        return cls(row=row)  # type: ignore[arg-type]

    @strawberry.field
    def identifier_type(self) -> IdentifierType:  # type: ignore[valid-type]
        return d.IdentifierType(self.row.identifier_type)

    @strawberry.field(description="The identifier, normalised (e-mail lower case, phone E.164).")
    def identifier(self) -> str:
        return self.row.identifier

    @strawberry.field
    async def items(self, info: Info) -> list[RequestedItemType]:
        rows = await ctx(info).loaders.items.load(self.row.request_id)
        return [RequestedItemType(row=r) for r in rows if r.target_id == self.row.id]

    @strawberry.field(
        description="Staff only: the account or product the company holds for "
        "this identifier, or null when it holds none."
    )
    async def subject(self, info: Info) -> SubjectType | None:
        return wrap_subject(await ctx(info).loaders.subject.load(self.row))


@strawberry.type(name="Request", description="A government request for user data.")
class RequestType(relay.Node):
    row: strawberry.Private[RequestRow]

    @classmethod
    def resolve_id(cls, root: RequestType, *, info: Info) -> str:
        return str(root.row.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(ctx(info).loaders.request, node_ids, cls.wrap, required)

    @classmethod
    def wrap(cls, row: RequestRow | None) -> RequestType:
        return cls(row=row)  # type: ignore[arg-type]

    @strawberry.field
    def status(self) -> RequestStatus:  # type: ignore[valid-type]
        return _Status(self.row.status)

    @strawberry.field
    def category(self) -> Category:
        return Category(self.row.category.upper())

    @strawberry.field(description="ISO 3166 code of the jurisdiction whose law applies.")
    def jurisdiction(self) -> str:
        return self.row.jurisdiction

    @strawberry.field
    def emergency(self) -> bool:
        return self.row.emergency

    @strawberry.field
    def emergency_description(self) -> str | None:
        return self.row.emergency_description

    @strawberry.field
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field
    def received_at(self) -> datetime:
        return self.row.received_at

    @strawberry.field(description="When the company's response is due.")
    def deadline(self) -> datetime:
        return self.row.deadline

    @strawberry.field(description="Until when the named data is preserved (PRESERVATION).")
    def hold_until(self) -> datetime | None:
        return self.row.hold_until

    @strawberry.field(description="How often the hold has been extended.")
    def hold_extensions(self) -> int:
        return self.row.hold_extensions

    @strawberry.field(description="Increases with every change; send it back with decisions.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field
    def officer(self) -> Officer:
        r = self.row
        return Officer(
            name=r.officer_name, title=r.officer_title, email=r.officer_email, phone=r.officer_phone
        )

    @strawberry.field
    async def agency(self, info: Info) -> AgencyType:
        row = await ctx(info).loaders.agency.load(self.row.agency_id)
        return AgencyType(row=row)

    @strawberry.field
    async def legal_basis(self, info: Info) -> LegalBasis:
        return LegalBasis(row=await ctx(info).loaders.legal_basis.load(self.row.legal_basis_id))

    @strawberry.field
    async def targets(self, info: Info) -> list[TargetType]:
        return [TargetType(row=t) for t in await ctx(info).loaders.targets.load(self.row.id)]

    @strawberry.field
    async def items(self, info: Info) -> list[RequestedItemType]:
        return [RequestedItemType(row=i) for i in await ctx(info).loaders.items.load(self.row.id)]

    @strawberry.field(description="Staff: the plugin rules' findings, most severe first.")
    async def findings(self, info: Info) -> list[FindingType]:
        return [FindingType(row=f) for f in await ctx(info).loaders.findings.load(self.row.id)]

    @strawberry.field(description="Staff: the delayed notices owed to the affected users.")
    async def notices(self, info: Info) -> list[NoticeType]:
        return [NoticeType(row=n) for n in await ctx(info).loaders.notices.load(self.row.id)]

    @strawberry.field(description="The released package, once there is one.")
    async def disclosure(self, info: Info) -> DisclosureType | None:
        row = await ctx(info).loaders.disclosure.load(self.row.id)
        return DisclosureType(row=row) if row is not None else None

    @strawberry.field(description="The clarification thread, oldest first.")
    async def messages(self, info: Info) -> list[MessageType]:
        return [MessageType(row=m) for m in await ctx(info).loaders.messages.load(self.row.id)]

    @strawberry.field(description="Staff with the audit scope: every recorded step, in order.")
    async def audit_trail(self, info: Info) -> list[AuditEventType]:
        return [AuditEventType(row=e) for e in await ctx(info).loaders.audit.load(self.row.id)]

    @strawberry.field(description="What you may do next from the current status.")
    def next_operations(self, info: Info) -> list[RequestOperation]:  # type: ignore[valid-type]
        return visible.next_operations(ctx(info).principal, _Status(self.row.status))

    @strawberry.field(description="The request this one revises, if any.")
    async def revision_of(self, info: Info) -> RequestType | None:
        if self.row.revision_of_id is None:
            return None
        row = await ctx(info).loaders.request.load(self.row.revision_of_id)
        return RequestType(row=row) if row is not None else None
