"""Agencies over GraphQL, the admin side: listing, creating, verifying (granting
jurisdictions) and suspending them."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.enums import AgencyKind, VerificationState
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.graphql.types_access import AgencyType
from trustcenter.services.agencies import (
    create_agency,
    list_agencies,
    suspend_agency,
    verify_agency,
)
from trustcenter.services.views import agency_view


@strawberry.input
class CreateAgencyInput:
    name: str
    kind: AgencyKind  # type: ignore[valid-type]
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 code, such as DE.")
    region: str | None = strawberry.field(
        default=None, description="ISO 3166-2 subdivision, when sub-national (such as US-CA)."
    )
    contact_email: str | None = None


@strawberry.input
class SuspendAgencyInput:
    agency_id: relay.GlobalID
    reason: str = strawberry.field(description="Why; kept in the audit.")


@strawberry.input
class VerifyAgencyInput:
    agency_id: relay.GlobalID
    jurisdictions: list[str] | None = strawberry.field(
        default=None,
        description="ISO 3166 codes it may submit for beyond its own country and that "
        "country's subdivisions (a granted country covers its subdivisions); replaces earlier "
        "grants. Leave out to keep them.",
    )
    evidence: str | None = strawberry.field(
        default=None,
        description="Why the agency may act there (the law or agreement); required when a "
        "granted code lies outside its own country.",
    )
    verified_by: str | None = strawberry.field(
        default=None, description="The verifying person's name; default: your client id."
    )


@strawberry.type
class AgencyPayload:
    agency: AgencyType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AgencyQuery:
    @strawberry.field(
        description=described(
            "list_agencies",
            "Every agency (only those in the given verification state, when one is given), "
            "by country and name.",
        )
    )
    async def agencies(
        self,
        info: Info,
        verification: VerificationState | None = None,  # type: ignore[valid-type]
    ) -> list[AgencyType]:
        c = ctx(info)
        rows = await list_agencies(c.app, c.principal, verification=verification)
        return [AgencyType(view=agency_view(row, c.principal)) for row in rows]


def _agency_payload(info: Info) -> Any:
    """What a change of an agency answers: the agency as it is now, primed for the query."""
    c = ctx(info)

    def done(row: Any) -> AgencyPayload:
        view = agency_view(row, c.principal)
        c.loaders.agency.prime(view.id, view)
        return AgencyPayload(agency=AgencyType(view=view))

    return done


@strawberry.type
class AgencyMutation:
    @strawberry.mutation(
        description=described(
            "create_agency",
            "Register an agency; it stays pending (its clients may not submit) until verified.",
        )
    )
    async def create_agency(self, info: Info, input: CreateAgencyInput) -> AgencyPayload | None:
        c = ctx(info)
        return await payload(
            AgencyPayload,
            lambda: create_agency(
                c.app,
                c.principal,
                name=input.name,
                kind=input.kind,
                country=input.country,
                region=input.region,
                contact_email=input.contact_email,
            ),
            _agency_payload(info),
        )

    @strawberry.mutation(
        description=described(
            "suspend_agency",
            "Suspend an agency, saying why: its clients get no more tokens and the tokens they "
            "hold stop working at once. Verifying it again lifts the suspension.",
        )
    )
    async def suspend_agency(self, info: Info, input: SuspendAgencyInput) -> AgencyPayload | None:
        c = ctx(info)
        agency_id = parse_id(input.agency_id, "Agency") or MISSING
        return await payload(
            AgencyPayload,
            lambda: suspend_agency(c.app, c.principal, agency_id, reason=input.reason),
            _agency_payload(info),
        )

    @strawberry.mutation(
        description=described(
            "verify_agency",
            "Verify an agency and record the jurisdictions granted to it, with the verifying "
            "person and the evidence, in the audit.",
        )
    )
    async def verify_agency(self, info: Info, input: VerifyAgencyInput) -> AgencyPayload | None:
        c = ctx(info)
        agency_id = parse_id(input.agency_id, "Agency") or MISSING
        return await payload(
            AgencyPayload,
            lambda: verify_agency(
                c.app,
                c.principal,
                agency_id,
                jurisdictions=input.jurisdictions,
                verified_by=input.verified_by,
                evidence=input.evidence,
            ),
            _agency_payload(info),
        )
