"""Agencies over GraphQL, the admin side: verifying an agency and granting jurisdictions."""

from __future__ import annotations

import uuid

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.domain.errors import DomainError
from trustcenter.graphql.errors import UserError, user_errors
from trustcenter.graphql.mutations_review import node_uuid
from trustcenter.graphql.nodes import ctx
from trustcenter.graphql.types_access import AgencyType
from trustcenter.services.agencies import verify_agency

_MISSING = uuid.UUID(int=0)  # an id no agency has: "no such agency", like any unseen id


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
class AgencyMutation:
    @strawberry.mutation(
        description="Verify an agency and record the jurisdictions granted to it, with the "
        "verifying person and the evidence, in the audit (scope admin)."
    )
    async def verify_agency(self, info: Info, input: VerifyAgencyInput) -> AgencyPayload | None:
        c = ctx(info)
        agency_id = node_uuid(input.agency_id, "Agency") or _MISSING
        try:
            row = await verify_agency(
                c.app.db,
                c.app.clock,
                c.principal,
                agency_id,
                jurisdictions=input.jurisdictions,
                verified_by=input.verified_by,
                evidence=input.evidence,
            )
        except DomainError as error:
            return AgencyPayload(user_errors=user_errors(error))
        c.loaders.agency.prime(row.id, row)
        return AgencyPayload(agency=AgencyType(row=row))
