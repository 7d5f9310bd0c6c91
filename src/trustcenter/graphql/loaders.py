"""DataLoaders, made anew for every GraphQL request so nothing leaks between principals.

Each loader batches the keys of one execution step into one query in its own short session,
so a page of 100 requests costs the same number of statements as a page of 10.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import (
    Account,
    Agency,
    AuditEvent,
    Disclosure,
    Document,
    Finding,
    LegalBasis,
    Message,
    Notice,
    NoticeException,
    Product,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.db.session import Database
from trustcenter.services import audit, document_rules, findings, notices, reads

K = TypeVar("K")


def _loader(
    fetch: Callable[[Sequence[K]], Awaitable[Mapping[Any, Any]]], default: Any = None
) -> DataLoader[K, Any]:
    async def load(keys: list[K]) -> list[Any]:
        found = await fetch(keys)
        return [found.get(_key(k), default) for k in keys]

    return DataLoader(load_fn=load)


def _key(k: Any) -> Any:
    return k.id if isinstance(k, Target) else k


class Loaders:
    def __init__(self, db: Database, principal: Principal, clock: Clock) -> None:
        p = principal
        self.request: DataLoader[uuid.UUID, Request | None] = _loader(
            lambda ids: reads.requests_by_ids(db, p, ids)
        )
        self.agency: DataLoader[uuid.UUID, Agency | None] = _loader(
            lambda ids: reads.agencies_by_ids(db, p, ids)
        )
        self.legal_basis: DataLoader[uuid.UUID, LegalBasis | None] = _loader(
            lambda ids: reads.legal_bases_by_ids(db, ids)
        )
        self.targets: DataLoader[uuid.UUID, list[Target]] = _loader(
            lambda ids: reads.targets_of(db, ids), default=[]
        )
        self.items: DataLoader[uuid.UUID, list[RequestedItem]] = _loader(
            lambda ids: reads.items_of(db, ids), default=[]
        )
        self.target: DataLoader[uuid.UUID, Any] = _loader(
            lambda ids: reads.children_by_ids(db, p, Target, ids)
        )
        self.item: DataLoader[uuid.UUID, Any] = _loader(
            lambda ids: reads.children_by_ids(db, p, RequestedItem, ids)
        )
        self.messages: DataLoader[uuid.UUID, list[Message]] = _loader(
            lambda ids: reads.messages_of(db, ids), default=[]
        )
        self.audit: DataLoader[uuid.UUID, list[AuditEvent]] = _loader(
            lambda ids: audit.trails(db, p, ids), default=[]
        )
        self.disclosure: DataLoader[uuid.UUID, Disclosure | None] = _loader(
            lambda ids: reads.disclosures_of(db, ids)
        )
        self.findings: DataLoader[uuid.UUID, list[Finding]] = _loader(
            lambda ids: findings.findings_of(db, p, ids), default=[]
        )
        self.notices: DataLoader[uuid.UUID, list[Notice]] = _loader(
            lambda ids: notices.notices_of(db, p, ids), default=[]
        )
        self.notice_hold: DataLoader[uuid.UUID, NoticeException | None] = _loader(
            lambda ids: notices.holds_of(db, clock, p, ids)
        )
        self.basis_documents: DataLoader[uuid.UUID, list[Document]] = _loader(
            lambda ids: document_rules.documents_by(db, "legal_basis_id", ids), default=[]
        )
        self.message_documents: DataLoader[uuid.UUID, list[Document]] = _loader(
            lambda ids: document_rules.documents_by(db, "message_id", ids), default=[]
        )
        self.subject: DataLoader[Target, Account | Product | None] = _loader(
            lambda targets: reads.subjects_of_targets(db, p, targets)
        )
