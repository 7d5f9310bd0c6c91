"""The rules documents follow once uploaded: attached once, by the agency that uploaded them,
before they expire; and no approval of a request whose legal basis needs its document before
the company holds one.

``attach`` and ``refuse_approval_without_document`` run inside the calling use case's
transaction (submission, answering a question, deciding)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import Document, Request
from trustcenter.db.uow import UnitOfWork, UnitOfWorks
from trustcenter.domain.decisions import APPROVING
from trustcenter.domain.document_types import attachment_problems, check_attach_count
from trustcenter.domain.enums import DecisionOutcome
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.plugins.host import PluginHost
from trustcenter.services.audit import actor_of
from trustcenter.services.plugin_views import view_of_request


async def attach(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    ids: Sequence[uuid.UUID],
    field: str,
    *,
    request_id: uuid.UUID,
    legal_basis_id: uuid.UUID | None = None,
    message_id: uuid.UUID | None = None,
) -> list[Document]:
    """Attach the principal's agency's uploads to a request's legal basis or to a message.

    Another agency's document is 'no such document', exactly like a missing one. A document
    already attached (to any request) or past its day is refused; attaching keeps it for good.
    """
    if not ids:
        return []
    check_attach_count(ids, field)
    rows = await uow.documents.lock_of_agency(ids, principal.agency_id)
    found = {d.id: d for d in rows}
    now = clock.now()
    problems = attachment_problems(ids, found, now, field)
    if problems:
        raise DomainError(problems)
    await _mark_attached(uow, principal, ids, field, now, request_id, legal_basis_id, message_id)
    await uow.audit.record(
        clock,
        actor_of(principal),
        "documents.attached",
        ("request", request_id),
        request_id=request_id,
        data={
            "documents": [str(i) for i in ids],
            "sha256": [found[i].sha256 for i in ids],
            "to": "message" if message_id else "legal_basis",
            "message": str(message_id) if message_id else None,
        },
    )
    return [found[i] for i in ids]


async def _mark_attached(
    uow: UnitOfWork,
    principal: Principal,
    ids: Sequence[uuid.UUID],
    field: str,
    now: datetime,
    request_id: uuid.UUID,
    legal_basis_id: uuid.UUID | None,
    message_id: uuid.UUID | None,
) -> None:
    """Attach the checked uploads for good: conditional on still being unattached, so two
    submissions racing for one upload cannot both attach it, whatever the isolation (the row
    locks taken when they were read make the loser wait and re-read)."""
    done = await uow.documents.attach_unattached(
        ids, principal.agency_id, now, request_id, legal_basis_id, message_id
    )
    if done != len(ids):
        raise DomainError.single(
            field,
            "a document named here was attached to another request at the same moment; a "
            "document is attached once",
            ErrorCode.DOCUMENT_ALREADY_ATTACHED,
        )


async def holds_document(uow: UnitOfWork, request: Request) -> bool:
    """Whether the company holds the request's legal document: an upload attached to the
    request (its legal basis or an answer), or the legacy base64 document of its legal basis."""
    if await uow.documents.any_attached_to(request.id):
        return True
    return await uow.documents.legacy_digest(request.legal_basis_id) is not None


async def refuse_approval_without_document(
    uow: UnitOfWork,
    host: PluginHost,
    request: Request,
    outcomes: Iterable[DecisionOutcome],
) -> None:
    """An APPROVE or NARROW on a request whose legal-basis kind needs its document (every kind
    but an emergency declaration, unless the jurisdiction's plugin says otherwise) is refused
    while the company holds none."""
    if not any(o in APPROVING for o in outcomes):
        return
    if await holds_document(uow, request):
        return
    if not await host.document_required(await view_of_request(uow, request)):
        return
    kind = await uow.documents.legal_basis_kind(request.legal_basis_id)
    raise DomainError.single(
        "decisions",
        f"the legal basis ({str(kind).upper()}) must be read before anything is approved, and "
        "no document of it was received; ask the agency to answer with the document",
        ErrorCode.DOCUMENT_REQUIRED,
    )


async def documents_by(
    work: UnitOfWorks, column: str, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Document]]:
    """Attached documents per legal basis (``column="legal_basis_id"``) or per message
    (``"message_id"``), oldest first. Callers reach them only through a request they see."""
    out: dict[uuid.UUID, list[Document]] = {i: [] for i in ids}
    async with work.read() as uow:
        for row in await uow.documents.attached_to(column, ids):
            out[getattr(row, column)].append(row)
    return out
