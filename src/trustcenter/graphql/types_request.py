"""Requests and what hangs off them: legal basis, officer, targets, requested items."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Iterable
from datetime import date, datetime
from typing import Annotated, Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.domain.decisions import Reading
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
from trustcenter.graphql.nodes import ViewFields, answers, ctx, load_nodes, node_id, plain
from trustcenter.graphql.plugins import FindingType
from trustcenter.graphql.types_access import AgencyType
from trustcenter.graphql.types_document import DocumentType, wrap_documents
from trustcenter.graphql.types_notice import NoticeExceptionType, NoticeType
from trustcenter.graphql.types_review import AssigneeType, InternalNoteType, ReleaseApprovalType
from trustcenter.graphql.types_thread import AuditEventType, DisclosureType, MessageType
from trustcenter.graphql.types_userdata import AccountType, ProductType, wrap_subject
from trustcenter.services import visible
from trustcenter.services.views import ItemView, LegalBasisView, RequestView, TargetView

SubjectType = Annotated[AccountType | ProductType, strawberry.union("Subject")]


@strawberry.type(description="The legal instrument a request relies on.")
class LegalBasis(ViewFields):
    view: strawberry.Private[LegalBasisView]
    kind: LegalBasisKind = plain()
    reference: str = plain()
    issued_by: str = plain()
    issuer_role: IssuerRole | None = plain()  # type: ignore[valid-type]
    issued_at: date = plain()
    expires_at: date | None = plain()
    non_disclosure_until: date | None = plain("End of a non-disclosure (gag) clause, if any.")
    document_sha256: str | None = plain(
        "SHA-256 of the document sent inline (base64, deprecated), hex; uploaded "
        "documents are listed in documents."
    )
    document_size: int | None = plain()

    @strawberry.field(
        description="The documents attached to the legal basis (POST /documents, documentIds)."
    )
    async def documents(self, info: Info) -> list[DocumentType]:
        return wrap_documents(await ctx(info).loaders.basis_documents.load(self.view.id))


@strawberry.type(description="The officer on whose behalf the request was sent.")
class Officer:
    name: str
    title: str
    email: str
    phone: str


@strawberry.type(name="RequestedItem", description="One target x one information type.")
class RequestedItemType(ViewFields, relay.Node):
    view: strawberry.Private[ItemView]
    node_type: ClassVar[str] = "RequestedItem"
    _id: relay.GlobalID = node_id()
    info_type: InfoType = plain()  # type: ignore[valid-type]
    range_from: date | None = plain("Start of the requested time range.", name="from")
    range_to: date | None = plain("End of the requested time range.", name="to")

    @classmethod
    def resolve_id(cls, root: RequestedItemType, *, info: Info) -> str:
        return str(root.view.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(ctx(info).loaders.item, node_ids, cls.wrap, required)

    @classmethod
    def wrap(cls, view: ItemView | None) -> RequestedItemType:
        return cls(view=view)  # type: ignore[arg-type]

    def _reading(self, info: Info) -> Reading:
        c = ctx(info)
        return visible.item_decision(c.principal, self.view, c.app.plugins.reason_vocabulary())

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

    # below the fields with a resolver, as in the schema (plain fields come first)
    @strawberry.field(description="NARROW: the approved range's start.")
    def approved_from(self) -> date | None:
        return self.view.approved_from

    @strawberry.field(description="NARROW: the approved range's end.")
    def approved_to(self) -> date | None:
        return self.view.approved_to

    @strawberry.field(description="NARROW: the only fields that may be provided.")
    def approved_fields(self) -> list[str] | None:
        fields = self.view.approved_fields
        return list(fields) if fields is not None else None

    @strawberry.field
    def decided_at(self) -> datetime | None:
        return self.view.decided_at

    @strawberry.field
    async def target(self, info: Info) -> TargetType | None:
        view = await ctx(info).loaders.target.load(self.view.target_id)
        return TargetType(view=view) if view is not None else None


@strawberry.type(name="Target", description="An account, product or order a request names.")
class TargetType(ViewFields, relay.Node):
    view: strawberry.Private[TargetView]
    node_type: ClassVar[str] = "Target"
    _id: relay.GlobalID = node_id()

    @classmethod
    def resolve_id(cls, root: TargetType, *, info: Info) -> str:
        return str(root.view.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(ctx(info).loaders.target, node_ids, cls.wrap, required)

    @classmethod
    def wrap(cls, view: TargetView | None) -> TargetType:
        return cls(view=view)  # type: ignore[arg-type]

    identifier_type: IdentifierType = plain()  # type: ignore[valid-type]
    identifier: str = plain("The identifier, normalised (e-mail lower case, phone E.164).")

    @strawberry.field
    async def items(self, info: Info) -> list[RequestedItemType]:
        items = await ctx(info).loaders.items.load(self.view.request_id)
        return [RequestedItemType(view=i) for i in items if i.target_id == self.view.id]

    @strawberry.field(
        description="Staff only: the account or product the company holds for "
        "this identifier, or null when it holds none."
    )
    async def subject(self, info: Info) -> SubjectType | None:
        return wrap_subject(await ctx(info).loaders.subject.load(self.view))


async def _agency(loader: Any, agency_id: uuid.UUID) -> AgencyType:
    return AgencyType(view=await loader.load(agency_id))


@strawberry.type(name="Request", description="A government request for user data.")
class RequestType(ViewFields, relay.Node):
    view: strawberry.Private[RequestView]
    node_type: ClassVar[str] = "Request"
    _id: relay.GlobalID = node_id()
    status: RequestStatus = plain()  # type: ignore[valid-type]
    category: Category = plain()
    jurisdiction: str = plain("ISO 3166 code of the jurisdiction whose law applies.")
    emergency: bool = plain()
    emergency_description: str | None = plain()
    reason: str = plain()
    received_at: datetime = plain()
    deadline: datetime = plain("When the company's response is due.")
    hold_until: datetime | None = plain("Until when the named data is preserved (PRESERVATION).")
    hold_extensions: int = plain("How often the hold has been extended.")
    version: int = plain("Increases with every change; send it back with decisions.")
    #: the agency, when a list read it for its whole page (``queries.Query.requests``)
    agency_known: strawberry.Private[AgencyType | None] = None

    @classmethod
    def resolve_id(cls, root: RequestType, *, info: Info) -> str:
        return str(root.view.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(ctx(info).loaders.request, node_ids, cls.wrap, required)

    @classmethod
    def wrap(cls, view: RequestView | None) -> RequestType:
        return cls(view=view)  # type: ignore[arg-type]

    @strawberry.field
    def officer(self) -> Officer:
        r = self.view
        return Officer(
            name=r.officer_name, title=r.officer_title, email=r.officer_email, phone=r.officer_phone
        )

    @strawberry.field(graphql_type=AgencyType, metadata=answers("agency_known"))
    def agency(self, info: Info) -> AgencyType | Awaitable[AgencyType]:
        # a list that fetched its page's agencies hands them in: no await per row
        if self.agency_known is not None:
            return self.agency_known
        return _agency(ctx(info).loaders.agency, self.view.agency_id)

    @strawberry.field
    async def legal_basis(self, info: Info) -> LegalBasis:
        return LegalBasis(view=await ctx(info).loaders.legal_basis.load(self.view.legal_basis_id))

    @strawberry.field
    async def targets(self, info: Info) -> list[TargetType]:
        return [TargetType(view=t) for t in await ctx(info).loaders.targets.load(self.view.id)]

    @strawberry.field
    async def items(self, info: Info) -> list[RequestedItemType]:
        return [RequestedItemType(view=i) for i in await ctx(info).loaders.items.load(self.view.id)]

    @strawberry.field(description="Staff: the plugin rules' findings, most severe first.")
    async def findings(self, info: Info) -> list[FindingType]:
        return [FindingType(view=f) for f in await ctx(info).loaders.findings.load(self.view.id)]

    @strawberry.field(description="Staff: the delayed notices owed to the affected users.")
    async def notices(self, info: Info) -> list[NoticeType]:
        return [NoticeType(view=n) for n in await ctx(info).loaders.notices.load(self.view.id)]

    @strawberry.field(
        description="Staff: every lawful exception recorded to hold this request's notices "
        "back, lifted ones too, oldest first (each with its re-review date; its id lifts or "
        "confirms it)."
    )
    async def notice_exceptions(self, info: Info) -> list[NoticeExceptionType]:
        rows = await ctx(info).loaders.notice_exceptions.load(self.view.id)
        return [NoticeExceptionType(view=e) for e in rows]

    @strawberry.field(description="The released package, once there is one.")
    async def disclosure(self, info: Info) -> DisclosureType | None:
        view = await ctx(info).loaders.disclosure.load(self.view.id)
        return DisclosureType(view=view) if view is not None else None

    @strawberry.field(description="The clarification thread, oldest first.")
    async def messages(self, info: Info) -> list[MessageType]:
        return [MessageType(view=m) for m in await ctx(info).loaders.messages.load(self.view.id)]

    @strawberry.field(description="Staff with the audit scope: every recorded step, in order.")
    async def audit_trail(self, info: Info) -> list[AuditEventType]:
        return [AuditEventType(view=e) for e in await ctx(info).loaders.audit.load(self.view.id)]

    @strawberry.field(
        description="Staff: the reviewer whose queue the request is in; null when it is in "
        "nobody's (and always for agencies)."
    )
    async def assigned_to(self, info: Info) -> AssigneeType | None:
        if self.view.assigned_to is None:
            return None
        view = await ctx(info).loaders.assignee.load(self.view.assigned_to)
        return AssigneeType(view=view) if view is not None else None

    @strawberry.field(
        description="Staff: when it was put in the assignee's queue (null for agencies)."
    )
    def assigned_at(self, info: Info) -> datetime | None:
        return self.view.assigned_at if ctx(info).principal.is_staff else None

    @strawberry.field(
        description="Staff: the approvals of its release (four eyes), oldest first: before the "
        "release those given at the current version, after it those it went out on. Empty "
        "for agencies."
    )
    async def release_approvals(self, info: Info) -> list[ReleaseApprovalType]:
        views = await ctx(info).loaders.release_approvals.load(self.view.id)
        return [ReleaseApprovalType(view=a) for a in views]

    @strawberry.field(
        description="Staff: how many people must agree before it is released: 1, or 2 (four "
        "eyes) where the deployment or its jurisdiction's plugin asks for it. Null for "
        "agencies."
    )
    async def approvals_needed(self, info: Info) -> int | None:
        needed: int | None = await ctx(info).loaders.approvals_needed.load(self.view.id)
        return needed

    @strawberry.field(
        description="Staff who read requests (review, audit or admin): the internal notes, "
        "oldest first. Never an agency's: refused (FORBIDDEN) to any other caller."
    )
    async def internal_notes(self, info: Info) -> list[InternalNoteType]:
        notes = await ctx(info).loaders.internal_notes.load(self.view.id)
        return [InternalNoteType(view=n) for n in notes]

    @strawberry.field(description="What you may do next from the current status.")
    def next_operations(self, info: Info) -> list[RequestOperation]:  # type: ignore[valid-type]
        return visible.next_operations(ctx(info).principal, self.view.status)

    @strawberry.field(description="The request this one revises, if any.")
    async def revision_of(self, info: Info) -> RequestType | None:
        if self.view.revision_of_id is None:
            return None
        view = await ctx(info).loaders.request.load(self.view.revision_of_id)
        return RequestType(view=view) if view is not None else None
