"""Agencies over GraphQL, the admin side: verifying an agency and granting jurisdictions."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.graphql.types_access import AgencyType
from trustcenter.services.agencies import verify_agency
from trustcenter.services.views import agency_view


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
        description=described(
            "verify_agency",
            "Verify an agency and record the jurisdictions granted to it, with the verifying "
            "person and the evidence, in the audit.",
        )
    )
    async def verify_agency(self, info: Info, input: VerifyAgencyInput) -> AgencyPayload | None:
        c = ctx(info)
        agency_id = parse_id(input.agency_id, "Agency") or MISSING

        def verified(row: Any) -> AgencyPayload:
            view = agency_view(row, c.principal)
            c.loaders.agency.prime(view.id, view)
            return AgencyPayload(agency=AgencyType(view=view))

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
            verified,
        )
