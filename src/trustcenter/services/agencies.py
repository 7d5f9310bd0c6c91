"""Agencies: created and verified by admins (CLI or API), listed for staff."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from trustcenter.clock import Clock
from trustcenter.db.models import Agency
from trustcenter.db.session import Database
from trustcenter.domain.audit import Actor
from trustcenter.domain.enums import AgencyKind, IdentifierType, VerificationState
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.submission import MAX_NAME, normalise_identifier, valid_region_code
from trustcenter.services.audit import record


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
    country = country.strip().upper()
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
        region = region.strip().upper()
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
) -> Agency:
    async with db.transaction() as session:
        agency = await session.get(Agency, agency_id)
        if agency is None:
            raise DomainError.single("id", "no such agency", ErrorCode.NOT_FOUND)
        before = agency.verification
        agency.verification = state.value
        agency.verified_at = clock.now() if state is VerificationState.VERIFIED else None
        await record(
            session,
            clock,
            actor or Actor.operator(),
            f"agency.{state.value}",
            ("agency", agency.id),
            data={"from": before, "to": state.value},
        )
    return agency


async def list_agencies(db: Database) -> list[Agency]:
    async with db.reader() as session:
        rows = await session.scalars(select(Agency).order_by(Agency.country, Agency.name))
        return list(rows)
