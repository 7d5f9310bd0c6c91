"""Submitting a request (or revising one: a revision is a new submission): checked,
normalised, stored whole in one transaction, exactly once.

The rules are the domain's (``domain.submission``: input; ``domain.rules`` and the plugins:
category, deadline, hold; ``domain.new_request``: the new request as a value); the repository
turns the value into rows. This module orders the steps and holds the transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import Request
from trustcenter.db.repositories.webhook_endpoints import AgencyFacts
from trustcenter.db.uow import Conflict, UnitOfWork, UnitOfWorks
from trustcenter.domain.enums import VerificationState
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.jurisdiction import cross_border_refusal, stored_grants, within_grant
from trustcenter.domain.lifecycle import Operation
from trustcenter.domain.new_request import NewId, NewRequest, Sender, Terms, submitted
from trustcenter.domain.rules import BUILTIN_CATEGORIES, category_code, category_hint_problem
from trustcenter.domain.submission import (
    SubmissionDraft,
    checked_submission,
    known_basis_kinds,
    vocabulary_problem,
)
from trustcenter.domain.webhooks import EventType
from trustcenter.plugins.api import RequestView
from trustcenter.plugins.host import PluginHost
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.changes import apply, lock_request
from trustcenter.services.deps import AppParts
from trustcenter.services.document_rules import attach as attach_documents
from trustcenter.services.plugin_views import view_of_draft
from trustcenter.services.views import ItemView, TargetView, new_parts
from trustcenter.services.webhook_events import enqueue


@dataclass(frozen=True, slots=True)
class Submitted:
    request: Request
    replayed: bool
    #: a request just stored: its targets and items as reading them back would give them
    #: (a replay reads them: None)
    parts: tuple[list[TargetView], list[ItemView]] | None = None


def _not_verified() -> DomainError:
    return DomainError.single(
        "agency",
        "the agency is not verified yet; requests are accepted once the company has verified it",
        ErrorCode.AGENCY_NOT_VERIFIED,
    )


async def submit_request(
    app: AppParts, principal: Principal, draft: SubmissionDraft, *, new_id: NewId = uuid.uuid4
) -> Submitted:
    """Store a new request of the principal's agency. A retry under the same idempotency key
    answers with the first request."""
    authorize(principal, "submit_request")
    return await _submit(app, principal, draft, None, new_id)


async def revise(
    app: AppParts,
    principal: Principal,
    request_id: uuid.UUID,
    draft: SubmissionDraft,
    *,
    new_id: NewId = uuid.uuid4,
) -> Submitted:
    """Store ``draft`` as the revision of an earlier request of the same agency, which becomes
    SUPERSEDED in the same transaction; a revision is a new submission, and a retry under the
    same idempotency key answers with the first."""
    authorize(principal, "revise_request")
    return await _submit(app, principal, draft, request_id, new_id)


async def _submit(
    app: AppParts,
    principal: Principal,
    draft: SubmissionDraft,
    revises: uuid.UUID | None,
    new_id: NewId,
) -> Submitted:
    agency_id = principal.agency_id
    assert agency_id is not None  # authorize lets only an agency's client submit
    if not principal.agency_verified:
        raise _not_verified()
    work, clock, plugins = app.uow, app.clock, app.plugins
    now = clock.now()
    draft = checked_submission(draft, now.date())
    fingerprint, key = draft.fingerprint(), draft.idempotency_key
    if key and (replay := await _replay(work, agency_id, key, fingerprint)):
        return replay
    try:
        async with work() as uow:
            agency = await _verified_agency(uow, agency_id)
            terms, view = await _assess(plugins, draft, agency, now)
            previous = await _to_revise(uow, principal, revises)
            sender = Sender(agency.id, agency.country, principal.client_pk)
            revises_id = previous.id if previous else None
            new = submitted(draft, sender, terms, now, new_id, revises_id, fingerprint=fingerprint)
            request = await _store(uow, clock, principal, new, draft)
            await _after_submit(uow, plugins, replace(view, id=request.id), now)
            if previous is not None:
                await _supersede(uow, clock, principal, previous, request.id)
    except Conflict:
        # A concurrent retry with the same idempotency key won the race: answer with its result.
        if key and (replay := await _replay(work, agency_id, key, fingerprint)):
            return replay
        raise
    return Submitted(request, replayed=False, parts=new_parts(new))


async def _to_revise(
    uow: UnitOfWork, principal: Principal, revises: uuid.UUID | None
) -> Request | None:
    """The agency's own request the submission revises, locked; it must be one the lifecycle
    lets a revision supersede."""
    if revises is None:
        return None
    supersede = Operation.SUPERSEDE
    return await lock_request(uow, principal, revises, None, agency_only=True, operation=supersede)


async def _supersede(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    previous: Request,
    revision: uuid.UUID,
) -> None:
    data = {"revision": str(revision)}
    await apply(uow, clock, principal, previous, Operation.SUPERSEDE, "request.superseded", data)


async def _replay(
    work: UnitOfWorks, agency_id: uuid.UUID, key: str, fingerprint: str
) -> Submitted | None:
    async with work.read() as uow:
        existing = await uow.requests.by_idempotency_key(agency_id, key)
    if existing is None:
        return None
    if existing.payload_sha256 != fingerprint:
        raise DomainError.single(
            "idempotencyKey",
            "this key was already used for a different request; use a new key",
            ErrorCode.CONFLICT,
        )
    return Submitted(existing, replayed=True)


async def _verified_agency(uow: UnitOfWork, agency_id: uuid.UUID) -> AgencyFacts:
    """The agency, read with who hears of its events (so the submission's event costs no
    other read) and with the number of the transaction's first audit event (so recording it
    costs its INSERT only: ``AuditRepository.number_rider``)."""
    agency = await uow.webhook_endpoints.agency(agency_id, rider=uow.audit.number_rider())
    if agency is None or agency.verification != VerificationState.VERIFIED.value:
        raise _not_verified()
    return agency


async def _assess(
    host: PluginHost, draft: SubmissionDraft, agency: AgencyFacts, now: datetime
) -> tuple[Terms, RequestView]:
    """What the rules make of the draft: its kind and category known here, its category, the
    jurisdiction's acceptance and checks, the deadline and any hold; and the plugins' view."""
    problem = vocabulary_problem(draft, known_basis_kinds(host.legal_basis_kinds), host.categories)
    if problem is not None:
        raise DomainError([problem])
    category = await _category(host, draft, view_of_draft(draft, agency, now, None))
    view = view_of_draft(draft, agency, now, category)
    await _check_jurisdiction(host, view, agency)
    plugin_problems = await host.validate(view)
    if plugin_problems:
        raise DomainError(
            [Problem(p.field, p.message, ErrorCode.INVALID_INPUT) for p in plugin_problems]
        )
    terms = Terms(category, await host.response_deadline(view), await host.hold_until(view))
    return terms, view


async def _category(host: PluginHost, draft: SubmissionDraft, unclassified: RequestView) -> str:
    """The request's category. The policy's own categories are the product's classification
    (SPEC section 6), the agency's value only a hint that must agree; a plugin's category
    (PRESERVATION) is explicit and its plugin validates it."""
    given = category_code(draft.category) if draft.category else None
    if given is not None and given not in BUILTIN_CATEGORIES:
        return given
    classified = await host.classify(unclassified)
    problem = category_hint_problem(
        given,
        classified,
        draft.emergency,
        [(t.identifier_type, t.info_types) for t in draft.targets],
    )
    if problem is not None:
        raise DomainError([problem])
    return classified


async def _check_jurisdiction(host: PluginHost, view: RequestView, agency: AgencyFacts) -> None:
    """An agency submits for its own country (and its subdivisions) and the jurisdictions
    granted at verification; anything else is cross-border and needs a legal-basis kind the
    requested jurisdiction's rules accept from abroad."""
    if within_grant(view.jurisdiction, agency.country, stored_grants(agency.granted_jurisdictions)):
        return
    if not await host.accepts_from_abroad(view):
        raise DomainError(
            [cross_border_refusal(view.jurisdiction, agency.country, view.legal_basis.kind)]
        )


async def _store(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    new: NewRequest,
    draft: SubmissionDraft,
) -> Request:
    """The new request's rows, its uploaded documents attached, and its audit event."""
    request = await uow.requests.add_new(new)
    await attach_documents(
        uow,
        clock,
        principal,
        draft.legal_basis.document_ids,
        "legalBasis.documentIds",
        request_id=request.id,
        legal_basis_id=new.legal_basis.id,
    )
    summary = {
        "category": request.category,
        "jurisdiction": new.jurisdiction,
        "emergency": new.emergency,
        "targets": len(new.targets),
        "items": new.item_count,
        "legal_basis_kind": new.legal_basis.kind,
        "idempotency_key": new.idempotency_key,
        "revision_of": str(new.revision_of_id) if new.revision_of_id else None,
    }
    await uow.audit.record(
        clock,
        actor_of(principal),
        "request.submitted",
        ("request", request.id),
        request_id=request.id,
        data=summary,
    )
    await enqueue(uow, clock, request, EventType.RECEIVED)
    return request


async def _after_submit(
    uow: UnitOfWork, host: PluginHost, view: RequestView, now: datetime
) -> None:
    """The plugins' findings on the new request, stored for reviewers; then their
    ``after_submit``."""
    assert view.id is not None
    found = await host.findings(view)
    await uow.requests.add_findings(
        view.id,
        [(plugin, f.severity.value, f.code, f.message, f.citation) for plugin, f in found],
        now,
    )
    await host.after_submit(view)
