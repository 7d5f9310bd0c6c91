"""Submitting a request: checked, normalised, stored whole in one transaction, exactly once."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, replace

from sqlalchemy.exc import IntegrityError

from trustcenter.auth.principal import Principal, PrincipalKind
from trustcenter.auth.scopes import REQUESTS_SUBMIT
from trustcenter.clock import Clock
from trustcenter.db.models import Agency, Finding, LegalBasis, Request, RequestedItem, Target
from trustcenter.db.repositories import requests as repo
from trustcenter.db.session import Database
from trustcenter.domain.enums import LegalBasisKind, VerificationState
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.jurisdiction import cross_border_refusal, stored_grants, within_grant
from trustcenter.domain.lifecycle import Operation, RequestStatus
from trustcenter.domain.rules import BUILTIN_CATEGORIES, category_hint_problem
from trustcenter.domain.submission import SubmissionDraft, validate_submission
from trustcenter.plugins.api import RequestView
from trustcenter.plugins.host import PluginHost, builtin_host
from trustcenter.services.access import AccessDenied, require_scope
from trustcenter.services.audit import actor_of, record
from trustcenter.services.changes import apply, lock_request
from trustcenter.services.document_rules import attach as attach_documents
from trustcenter.services.plugin_views import view_of_draft


@dataclass(frozen=True, slots=True)
class Submitted:
    request: Request
    replayed: bool


def _not_verified() -> DomainError:
    return DomainError.single(
        "agency",
        "the agency is not verified yet; requests are accepted once the company has verified it",
        ErrorCode.AGENCY_NOT_VERIFIED,
    )


async def _replay(db: Database, agency_id: object, key: str, fingerprint: str) -> Submitted | None:
    async with db.reader() as session:
        existing = await repo.by_idempotency_key(session, agency_id, key)  # type: ignore[arg-type]
    if existing is None:
        return None
    if existing.payload_sha256 != fingerprint:
        raise DomainError.single(
            "idempotencyKey",
            "this key was already used for a different request; use a new key",
            ErrorCode.CONFLICT,
        )
    return Submitted(existing, replayed=True)


async def _check_jurisdiction(host: PluginHost, view: RequestView, agency: Agency) -> None:
    """An agency submits for its own country (and its subdivisions) and the jurisdictions
    granted at verification; anything else is cross-border and needs a legal-basis kind the
    requested jurisdiction's rules accept from abroad."""
    if within_grant(view.jurisdiction, agency.country, stored_grants(agency.granted_jurisdictions)):
        return
    if not await host.accepts_from_abroad(view):
        raise DomainError(
            [cross_border_refusal(view.jurisdiction, agency.country, view.legal_basis.kind)]
        )


async def _category(host: PluginHost, draft: SubmissionDraft, unclassified: RequestView) -> str:
    """The request's category. The policy's own categories are the product's classification
    (SPEC section 6), the agency's value only a hint that must agree; a plugin's category
    (PRESERVATION) is explicit and its plugin validates it."""
    given = draft.category.upper() if draft.category else None
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


async def submit_request(
    db: Database,
    clock: Clock,
    principal: Principal,
    draft: SubmissionDraft,
    *,
    revises: uuid.UUID | None = None,
    plugins: PluginHost | None = None,
) -> Submitted:
    """Store a new request; with ``revises``, as the revision of an earlier one of the same
    agency, which becomes SUPERSEDED in the same transaction."""
    require_scope(principal, REQUESTS_SUBMIT)
    if principal.kind is not PrincipalKind.AGENCY or principal.agency_id is None:
        raise AccessDenied(REQUESTS_SUBMIT)
    if not principal.agency_verified:
        raise _not_verified()
    now = clock.now()
    draft, problems = validate_submission(draft, now.date())
    if problems:
        raise DomainError(problems)
    fingerprint = draft.fingerprint()
    key = draft.idempotency_key
    if key:
        replay = await _replay(db, principal.agency_id, key, fingerprint)
        if replay:
            return replay
    host = plugins or builtin_host()
    try:
        async with db.transaction() as session:
            agency = await session.get(Agency, principal.agency_id)
            if agency is None or agency.verification != VerificationState.VERIFIED.value:
                raise _not_verified()
            kinds = {k.value for k in LegalBasisKind} | host.legal_basis_kinds
            if str(draft.legal_basis.kind) not in kinds:
                raise DomainError.single(
                    "legalBasis.kind",
                    f"{str(draft.legal_basis.kind).upper()} is not a kind of "
                    f"legal basis here; known: {', '.join(sorted(k.upper() for k in kinds))}",
                    ErrorCode.UNKNOWN_LEGAL_BASIS_KIND,
                )
            given = draft.category.upper() if draft.category else None
            if given is not None and given not in host.categories:
                raise DomainError.single(
                    "category",
                    f"{given} is not a category here; known: {', '.join(sorted(host.categories))}",
                    ErrorCode.UNKNOWN_CATEGORY,
                )
            category = await _category(host, draft, view_of_draft(draft, agency, now, None))
            view = view_of_draft(draft, agency, now, category)
            await _check_jurisdiction(host, view, agency)
            plugin_problems = await host.validate(view)
            if plugin_problems:
                raise DomainError(
                    [Problem(p.field, p.message, ErrorCode.INVALID_INPUT) for p in plugin_problems]
                )
            deadline = await host.response_deadline(view)
            hold_until = await host.hold_until(view)
            previous = None
            if revises is not None:
                previous = await lock_request(session, principal, revises, None, agency_only=True)
            basis = draft.legal_basis
            legal_basis = LegalBasis(
                kind=str(basis.kind),
                reference=basis.reference.strip(),
                issued_by=basis.issued_by.strip(),
                issuer_role=basis.issuer_role.value if basis.issuer_role else None,
                issued_at=basis.issued_at,
                expires_at=basis.expires_at,
                non_disclosure_until=basis.non_disclosure_until,
                document=basis.document,
                document_sha256=hashlib.sha256(basis.document).hexdigest()
                if basis.document
                else None,
                document_size=len(basis.document) if basis.document else None,
                created_at=now,
            )
            session.add(legal_basis)
            await session.flush()
            request = Request(
                agency_id=agency.id,
                client_id=principal.client_pk,
                legal_basis_id=legal_basis.id,
                jurisdiction=draft.jurisdiction,
                country=agency.country,
                category=category.lower(),
                status=RequestStatus.RECEIVED.value,
                emergency=draft.emergency,
                emergency_description=draft.emergency_description if draft.emergency else None,
                reason=draft.reason.strip(),
                officer_name=draft.officer.name.strip(),
                officer_title=draft.officer.title.strip(),
                officer_email=draft.officer.email,
                officer_phone=draft.officer.phone.strip(),
                received_at=now,
                deadline=deadline,
                updated_at=now,
                version=1,
                revision_of_id=previous.id if previous else None,
                hold_until=hold_until,
                hold_extensions=0,
                idempotency_key=key,
                payload_sha256=fingerprint,
            )
            session.add(request)
            await session.flush()
            await attach_documents(
                session,
                clock,
                principal,
                basis.document_ids,
                "legalBasis.documentIds",
                request_id=request.id,
                legal_basis_id=legal_basis.id,
            )
            for position, t in enumerate(draft.targets):
                target = Target(
                    request_id=request.id,
                    position=position,
                    identifier_type=t.identifier_type.value,
                    identifier=t.identifier,
                )
                session.add(target)
                await session.flush()
                for info in t.info_types:
                    session.add(
                        RequestedItem(
                            request_id=request.id,
                            target_id=target.id,
                            info_type=info.value,
                            range_from=t.range_from,
                            range_to=t.range_to,
                        )
                    )
            await record(
                session,
                clock,
                actor_of(principal),
                "request.submitted",
                ("request", request.id),
                request_id=request.id,
                data={
                    "category": category.lower(),
                    "jurisdiction": draft.jurisdiction,
                    "emergency": draft.emergency,
                    "targets": len(draft.targets),
                    "items": sum(len(t.info_types) for t in draft.targets),
                    "legal_basis_kind": str(basis.kind),
                    "idempotency_key": key,
                    "revision_of": str(previous.id) if previous else None,
                },
            )
            view = replace(view, id=request.id)
            for plugin, finding in await host.findings(view):
                session.add(
                    Finding(
                        request_id=request.id,
                        plugin=plugin,
                        severity=finding.severity.value,
                        code=finding.code,
                        message=finding.message,
                        citation=finding.citation,
                        created_at=now,
                    )
                )
            await host.after_submit(view)
            if previous is not None:
                await apply(
                    session,
                    clock,
                    principal,
                    previous,
                    Operation.SUPERSEDE,
                    "request.superseded",
                    {"revision": str(request.id)},
                )
    except IntegrityError:
        # A concurrent retry with the same idempotency key won the race: answer with its result.
        if key:
            replay = await _replay(db, principal.agency_id, key, fingerprint)
            if replay:
                return replay
        raise
    return Submitted(request, replayed=False)
