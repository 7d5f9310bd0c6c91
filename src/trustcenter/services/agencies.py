"""Agencies: created and verified by admins (CLI or API), listed for staff."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from trustcenter.auth.principal import Principal
from trustcenter.db.models import Agency
from trustcenter.domain.audit import Actor
from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.jurisdiction import (
    VerificationChange,
    checked_agency,
    checked_verification,
    require_evidence,
    stored_grants,
)
from trustcenter.domain.submission import MAX_TEXT
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts


async def create_agency(
    app: AppParts,
    principal: Principal,
    *,
    name: str,
    kind: AgencyKind,
    country: str,
    region: str | None = None,
    contact_email: str | None = None,
) -> Agency:
    """An admin registers an agency; it stays pending until verified."""
    authorize(principal, "create_agency")
    clock = app.clock
    details = checked_agency(name, country, region, contact_email)
    agency = Agency(
        name=details.name,
        kind=kind.value,
        country=details.country,
        region=details.region,
        contact_email=details.contact_email,
        verification=VerificationState.PENDING.value,
        created_at=clock.now(),
    )
    async with app.uow() as uow:
        uow.add(agency)
        await uow.flush()
        await uow.audit.record(
            clock,
            actor_of(principal),
            "agency.created",
            ("agency", agency.id),
            data={"name": agency.name, "kind": agency.kind, "country": agency.country},
        )
    return agency


async def set_verification(
    app: AppParts,
    principal: Principal,
    agency_id: uuid.UUID,
    state: VerificationState,
    *,
    jurisdictions: Sequence[str] | None = None,
    verified_by: str | None = None,
    evidence: str | None = None,
) -> Agency:
    """Verify, suspend or reset an agency. Verifying records who verified it (``verified_by``,
    else the acting client or operator) and, with ``jurisdictions``, the codes it may submit
    for beyond its own country and that country's subdivisions — replacing earlier grants;
    granting beyond the own country needs the ``evidence`` that justifies it. Without
    ``jurisdictions`` earlier grants stay. Nothing changes when any of it is wrong."""
    authorize(principal, "verify_agency")
    change = checked_verification(state, jurisdictions, verified_by, evidence)
    return await _change_verification(app, actor_of(principal), agency_id, change)


async def _change_verification(
    app: AppParts,
    actor: Actor,
    agency_id: uuid.UUID,
    change: VerificationChange,
    noted: Mapping[str, object] | None = None,
) -> Agency:
    """Apply the checked change and audit it (with ``noted`` added to the event's data)."""
    clock = app.clock
    async with app.uow() as uow:
        agency = await uow.agencies.get(agency_id)
        if agency is None:
            raise DomainError.single("id", "no such agency", ErrorCode.NOT_FOUND)
        if noted is not None and agency.verification == change.state.value:
            raise DomainError.single(
                "agencyId", f"the agency is {agency.verification} already", ErrorCode.CONFLICT
            )
        require_evidence(agency.country, change)
        data = _apply_verification(agency, change, actor, clock.now()) | dict(noted or {})
        await uow.clients.move_auth_epoch()  # its clients' standing changes with it
        await uow.audit.record(
            clock,
            actor,
            f"agency.{change.state.value}",
            ("agency", agency.id),
            data=data,
        )
    return agency


def _apply_verification(
    agency: Agency, change: VerificationChange, actor: Actor, now: datetime
) -> dict[str, object]:
    """Write the checked change onto the agency row; return what the audit event records."""
    before = agency.verification
    agency.verification = change.state.value
    verified = change.state is VerificationState.VERIFIED
    agency.verified_at = now if verified else None
    data: dict[str, object] = {"from": before, "to": change.state.value}
    if verified:
        granted = (
            change.grants
            if change.grants is not None
            else stored_grants(agency.granted_jurisdictions)
        )
        agency.verified_by = change.verified_by or actor.id
        if change.grants is not None:
            agency.granted_jurisdictions = " ".join(change.grants)
        if change.grants is not None or change.evidence is not None:
            agency.verification_evidence = change.evidence
        data |= {
            "jurisdictions": granted,
            "verified_by": agency.verified_by,
            "evidence": agency.verification_evidence,
        }
    return data


async def verify_agency(
    app: AppParts,
    principal: Principal,
    agency_id: uuid.UUID,
    *,
    jurisdictions: Sequence[str] | None = None,
    verified_by: str | None = None,
    evidence: str | None = None,
) -> Agency:
    """An admin verifies an agency through the API; the verifying person is the name given,
    else the staff client acting."""
    authorize(principal, "verify_agency")
    try:
        change = checked_verification(
            VerificationState.VERIFIED,
            jurisdictions,
            verified_by or principal.client_id,
            evidence,
        )
        return await _change_verification(app, actor_of(principal), agency_id, change)
    except DomainError as error:
        raise DomainError(
            [replace(p, field="agencyId") if p.field == "id" else p for p in error.problems]
        ) from None


async def suspend_agency(
    app: AppParts, principal: Principal, agency_id: uuid.UUID, *, reason: str
) -> Agency:
    """An admin suspends an agency through the API, saying why (the reason is audited): its
    clients get no more tokens and the tokens they hold stop working at once (every call looks
    its client's agency up). Suspending an agency that is suspended already changes nothing."""
    authorize(principal, "suspend_agency")
    why = reason.strip()
    if not why or len(why) > MAX_TEXT:
        raise DomainError.single(
            "reason", f"say why, in at most {MAX_TEXT} characters", ErrorCode.INVALID_INPUT
        )
    change = checked_verification(VerificationState.SUSPENDED, None, None, None)
    try:
        return await _change_verification(
            app, actor_of(principal), agency_id, change, {"reason": why}
        )
    except DomainError as error:
        raise DomainError(
            [replace(p, field="agencyId") if p.field == "id" else p for p in error.problems]
        ) from None


async def list_agencies(
    app: AppParts, principal: Principal, *, verification: VerificationState | None = None
) -> list[Agency]:
    """Every agency (only those in ``verification``, when given), by country and name
    (admins)."""
    authorize(principal, "list_agencies")
    async with app.uow.read() as uow:
        rows = await uow.agencies.all()
    if verification is None:
        return rows
    return [a for a in rows if a.verification == verification.value]
