"""DataLoaders, made anew for every GraphQL request so nothing leaks between principals.

Each loader batches the keys of one execution step into one read of ``services.reads`` in its
own short session, so a page of 100 requests costs the same number of statements as a page of
10. Every read is made as the request's principal, and the service applies what it may see
(parts of a request included). They hold views (``services.views``), never rows.
"""

from __future__ import annotations

import functools
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
    """Every loader reads as the principal: the services apply its visibility to each batch.

    A loader is made when a resolver first asks for it (most requests use one or two of
    them): ``__getattr__`` makes it from :data:`_READS` and keeps it for the request."""

    request: DataLoader[uuid.UUID, RequestView | None]
    agency: DataLoader[uuid.UUID, AgencyView | None]
    legal_basis: DataLoader[uuid.UUID, LegalBasisView | None]
    targets: DataLoader[uuid.UUID, list[TargetView]]
    items: DataLoader[uuid.UUID, list[ItemView]]
    target: DataLoader[uuid.UUID, TargetView | None]
    item: DataLoader[uuid.UUID, ItemView | None]
    messages: DataLoader[uuid.UUID, list[MessageView]]
    audit: DataLoader[uuid.UUID, list[AuditEventView]]
    disclosure: DataLoader[uuid.UUID, DisclosureView | None]
    findings: DataLoader[uuid.UUID, list[FindingView]]
    notices: DataLoader[uuid.UUID, list[NoticeView]]
    notice_hold: DataLoader[uuid.UUID, NoticeExceptionView | None]
    notice_exceptions: DataLoader[uuid.UUID, list[NoticeExceptionView]]
    basis_documents: DataLoader[uuid.UUID, list[DocumentView]]
    message_documents: DataLoader[uuid.UUID, list[DocumentView]]
    subject: DataLoader[TargetView, AccountView | ProductView | None]
    # the reviewers' own records: staff read them, agencies none (notes: refused)
    assignee: DataLoader[uuid.UUID, AssigneeView | None]
    internal_notes: DataLoader[uuid.UUID, list[InternalNoteView]]
    release_approvals: DataLoader[uuid.UUID, list[ApprovalView]]
    approvals_needed: DataLoader[uuid.UUID, int | None]

    def __init__(self, app: AppParts, principal: Principal) -> None:
        self._app = app
        self._principal = principal
        #: the pages of requests a list read for this principal (``pages_read``)
        self._pages: list[Sequence[RequestView]] = []

    def pages_read(self, views: Sequence[RequestView]) -> None:
        """The request loader answers these views without a read, as if primed with them;
        looked at only when the request loader runs (a request asked for by id)."""
        self._pages.append(views)

    def __getattr__(self, name: str) -> DataLoader[Any, Any]:
        try:
            module, function, many = _READS[name]
        except KeyError:
            raise AttributeError(name) from None
        fetch: Callable[..., Awaitable[Mapping[Any, Any]]] = getattr(module, function)
        if name == "request":  # the pages, not the loaders: no cycle back to them
            fetch = functools.partial(_requests, self._pages)
        app, principal = self._app, self._principal
        # a list-valued loader answers a key it does not find with an empty list (its own)
        loader: DataLoader[Any, Any] = _loader(
            lambda keys: fetch(app, principal, keys), [] if many else None
        )
        setattr(self, name, loader)  # the next access finds it without this call
        return loader


async def _requests(
    pages: list[Sequence[RequestView]], app: AppParts, principal: Principal, keys: Sequence[Any]
) -> Any:
    """The request loader's batch: the views a page read already, the others read by id."""
    read = {v.id: v for page in pages for v in page}
    found = {k: read[k] for k in keys if k in read}
    missing = [k for k in keys if k not in read]
    if missing:
        found.update(await reads.requests_by_ids(app, principal, missing))
    return found


#: each loader's batch read (``fetch(app, principal, keys)``: the module and the function's
#: name, looked up when the loader is made) and whether it answers lists
_READS: dict[str, tuple[Any, str, bool]] = {
    "request": (reads, "requests_by_ids", False),
    "agency": (reads, "agencies_by_ids", False),
    "legal_basis": (reads, "legal_bases_by_ids", False),
    "targets": (reads, "targets_of", True),
    "items": (reads, "items_of", True),
    "target": (reads, "targets_by_ids", False),
    "item": (reads, "items_by_ids", False),
    "messages": (reads, "messages_of", True),
    "audit": (reads, "audit_trails", True),
    "disclosure": (reads, "disclosures_of", False),
    "findings": (reads, "findings_of", True),
    "notices": (reads, "notices_of", True),
    "notice_hold": (reads, "notice_holds", False),
    "notice_exceptions": (reads, "notice_exceptions_of", True),
    "basis_documents": (reads, "documents_of_bases", True),
    "message_documents": (reads, "documents_of_messages", True),
    "subject": (reads, "subjects_of_targets", False),
    "assignee": (notes, "assignees", False),
    "internal_notes": (notes, "notes_of", True),
    "release_approvals": (approvals, "approvals_of", True),
    "approvals_needed": (approvals, "approvers_needed_of", False),
}
