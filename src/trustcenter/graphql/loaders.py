"""DataLoaders, made anew for every GraphQL request so nothing leaks between principals.

Each loader batches the keys of one execution step into one read of ``services.reads`` in its
own short session, so a page of 100 requests costs the same number of statements as a page of
10. Every read is made as the request's principal, and the service applies what it may see
(parts of a request included). They hold views (``services.views``), never rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.dataloader import DataLoader

from trustcenter.auth.principal import Principal
from trustcenter.services import approvals, notes, reads
from trustcenter.services.view_records import (
    ApprovalView,
    AssigneeView,
    FindingView,
    InternalNoteView,
    NoticeExceptionView,
    NoticeView,
)
from trustcenter.services.views import (
    AccountView,
    AgencyView,
    AuditEventView,
    DisclosureView,
    DocumentView,
    ItemView,
    LegalBasisView,
    MessageView,
    ProductView,
    RequestView,
    TargetView,
)

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts

K = TypeVar("K")


def _loader(
    fetch: Callable[[Sequence[K]], Awaitable[Mapping[Any, Any]]], default: Any = None
) -> DataLoader[K, Any]:
    async def load(keys: list[K]) -> list[Any]:
        found = await fetch(keys)
        return [found.get(_key(k), default) for k in keys]

    return DataLoader(load_fn=load)


def _key(k: Any) -> Any:
    return k.id if isinstance(k, TargetView) else k


class Loaders:
    """Every loader reads as the principal: the services apply its visibility to each batch."""

    def __init__(self, app: AppParts, principal: Principal) -> None:
        def read(
            fetch: Callable[[AppParts, Principal, Sequence[Any]], Awaitable[Mapping[Any, Any]]],
            default: Any = None,
        ) -> DataLoader[Any, Any]:
            return _loader(lambda keys: fetch(app, principal, keys), default)

        self.request: DataLoader[uuid.UUID, RequestView | None] = read(reads.requests_by_ids)
        self.agency: DataLoader[uuid.UUID, AgencyView | None] = read(reads.agencies_by_ids)
        self.legal_basis: DataLoader[uuid.UUID, LegalBasisView | None] = read(
            reads.legal_bases_by_ids
        )
        self.targets: DataLoader[uuid.UUID, list[TargetView]] = read(reads.targets_of, [])
        self.items: DataLoader[uuid.UUID, list[ItemView]] = read(reads.items_of, [])
        self.target: DataLoader[uuid.UUID, TargetView | None] = read(reads.targets_by_ids)
        self.item: DataLoader[uuid.UUID, ItemView | None] = read(reads.items_by_ids)
        self.messages: DataLoader[uuid.UUID, list[MessageView]] = read(reads.messages_of, [])
        self.audit: DataLoader[uuid.UUID, list[AuditEventView]] = read(reads.audit_trails, [])
        self.disclosure: DataLoader[uuid.UUID, DisclosureView | None] = read(reads.disclosures_of)
        self.findings: DataLoader[uuid.UUID, list[FindingView]] = read(reads.findings_of, [])
        self.notices: DataLoader[uuid.UUID, list[NoticeView]] = read(reads.notices_of, [])
        self.notice_hold: DataLoader[uuid.UUID, NoticeExceptionView | None] = read(
            reads.notice_holds
        )
        self.notice_exceptions: DataLoader[uuid.UUID, list[NoticeExceptionView]] = read(
            reads.notice_exceptions_of, []
        )
        self.basis_documents: DataLoader[uuid.UUID, list[DocumentView]] = read(
            reads.documents_of_bases, []
        )
        self.message_documents: DataLoader[uuid.UUID, list[DocumentView]] = read(
            reads.documents_of_messages, []
        )
        self.subject: DataLoader[TargetView, AccountView | ProductView | None] = read(
            reads.subjects_of_targets
        )
        # the reviewers' own records: staff read them, agencies none (notes: refused)
        self.assignee: DataLoader[uuid.UUID, AssigneeView | None] = read(notes.assignees)
        self.internal_notes: DataLoader[uuid.UUID, list[InternalNoteView]] = read(
            notes.notes_of, []
        )
        self.release_approvals: DataLoader[uuid.UUID, list[ApprovalView]] = read(
            approvals.approvals_of, []
        )
        self.approvals_needed: DataLoader[uuid.UUID, int | None] = read(
            approvals.approvers_needed_of
        )
