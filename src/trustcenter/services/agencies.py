"""Agencies: created and verified by admins (CLI or API), listed for staff."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select

from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import ADMIN
from trustcenter.clock import Clock
from trustcenter.db.models import Agency
from trustcenter.db.session import Database
from trustcenter.domain.audit import Actor
from trustcenter.domain.enums import AgencyKind, IdentifierType, VerificationState
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.jurisdiction import beyond_own_country, parse_grants, stored_grants
from trustcenter.domain.submission import (
    MAX_NAME,
    MAX_TEXT,
    normalise_identifier,
    region_code,
    valid_region_code,
)
from trustcenter.services.access import require_scope
from trustcenter.services.audit import actor_of, record


async def create_agency(
    db: Database,
    clock: Clock,
    *,
    name: str,
    kind: AgencyKind,
    country: str,
    region: str | None = None,
    contact_email: str | None = None,
    actor: Actor | None = None,
) -> Agency:
    problems: list[Problem] = []
    country = region_code(country)
    if not name.strip():
        problems.append(Problem("name", "is required", ErrorCode.INVALID_INPUT))
    elif len(name.strip()) > MAX_NAME:
        problems.append(
            Problem("name", f"is longer than {MAX_NAME} characters", ErrorCode.INVALID_INPUT)
        )
    if len(country) != 2 or not valid_region_code(country):
        problems.append(
            Problem("country", "is not an ISO 3166-1 alpha-2 code", ErrorCode.INVALID_JURISDICTION)
        )
    if region is not None:
        region = region_code(region)
        if not region.startswith(f"{country}-") or not valid_region_code(region):
            problems.append(
                Problem(
                    "region",
                    f"is not an ISO 3166-2 subdivision of {country}",
                    ErrorCode.INVALID_JURISDICTION,
                )
            )
    email = None
    if contact_email:
        email = normalise_identifier(IdentifierType.EMAIL, contact_email)
        if email is None:
            problems.append(
                Problem("contactEmail", "is not an e-mail address", ErrorCode.INVALID_INPUT)
            )
    if problems:
        raise DomainError(problems)
    agency = Agency(
        name=name.strip(),
        kind=kind.value,
        country=country,
        region=region,
        contact_email=email,
        verification=VerificationState.PENDING.value,
        created_at=clock.now(),
    )
    async with db.transaction() as session:
        session.add(agency)
        await session.flush()
        await record(
            session,
            clock,
            actor or Actor.operator(),
            "agency.created",
            ("agency", agency.id),
            data={"name": agency.name, "kind": agency.kind, "country": agency.country},
        )
    return agency


async def set_verification(
    db: Database,
    clock: Clock,
    agency_id: uuid.UUID,
    state: VerificationState,
    actor: Actor | None = None,
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
    actor = actor or Actor.operator()
    problems: list[Problem] = []
    codes: list[str] | None = None
    if jurisdictions is not None:
        if state is not VerificationState.VERIFIED:
            problems.append(
                Problem(
                    "jurisdictions",
                    "jurisdictions are granted when verifying an agency",
                    ErrorCode.INVALID_INPUT,
                )
            )
        codes, invalid = parse_grants(jurisdictions)
        problems += invalid
    person = (verified_by or "").strip() or None
    if person is not None and len(person) > MAX_NAME:
        problems.append(
            Problem("verifiedBy", f"is longer than {MAX_NAME} characters", ErrorCode.INVALID_INPUT)
        )
    note = (evidence or "").strip() or None
    if note is not None and len(note) > MAX_TEXT:
        problems.append(
            Problem("evidence", f"is longer than {MAX_TEXT} characters", ErrorCode.INVALID_INPUT)
        )
    if problems:
        raise DomainError(problems)
    async with db.transaction() as session:
        agency = await session.get(Agency, agency_id)
        if agency is None:
            raise DomainError.single("id", "no such agency", ErrorCode.NOT_FOUND)
        granted = codes if codes is not None else stored_grants(agency.granted_jurisdictions)
        abroad = beyond_own_country(agency.country, granted)
        if codes is not None and abroad and note is None:
            raise DomainError.single(
                "evidence",
                f"granting {', '.join(abroad)} reaches beyond {agency.country}: state the "
                "evidence (the law or agreement that gives the agency that competence)",
                ErrorCode.INVALID_INPUT,
            )
        before = agency.verification
        agency.verification = state.value
        agency.verified_at = clock.now() if state is VerificationState.VERIFIED else None
        data: dict[str, object] = {"from": before, "to": state.value}
        if state is VerificationState.VERIFIED:
            agency.verified_by = person or actor.id
            if codes is not None:
                agency.granted_jurisdictions = " ".join(codes)
            if codes is not None or note is not None:
                agency.verification_evidence = note
            data |= {
                "jurisdictions": granted,
                "verified_by": agency.verified_by,
                "evidence": agency.verification_evidence,
            }
        await record(
            session,
            clock,
            actor,
            f"agency.{state.value}",
            ("agency", agency.id),
            data=data,
        )
    return agency


async def verify_agency(
    db: Database,
    clock: Clock,
    principal: Principal,
    agency_id: uuid.UUID,
    *,
    jurisdictions: Sequence[str] | None = None,
    verified_by: str | None = None,
    evidence: str | None = None,
) -> Agency:
    """An admin verifies an agency through the API; the verifying person is the name given,
    else the staff client acting."""
    require_scope(principal, ADMIN)
    try:
        return await set_verification(
            db,
            clock,
            agency_id,
            VerificationState.VERIFIED,
            actor_of(principal),
            jurisdictions=jurisdictions,
            verified_by=verified_by or principal.client_id,
            evidence=evidence,
        )
    except DomainError as error:
        raise DomainError(
            [replace(p, field="agencyId") if p.field == "id" else p for p in error.problems]
        ) from None


async def list_agencies(db: Database) -> list[Agency]:
    async with db.reader() as session:
        rows = await session.scalars(select(Agency).order_by(Agency.country, Agency.name))
        return list(rows)
