"""Agencies and the viewer (`me`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.graphql.enums import AgencyKind, PrincipalKind, VerificationState
from trustcenter.graphql.nodes import ViewFields, ctx, load_nodes, node_id, plain
from trustcenter.graphql.staff import StaffMemberType, staff_member
from trustcenter.services.staff import signed_in_member
from trustcenter.services.views import AgencyView


@strawberry.type(name="Agency", description="A government body that sends requests.")
class AgencyType(ViewFields, relay.Node):
    view: strawberry.Private[AgencyView]
    node_type: ClassVar[str] = "Agency"
    _id: relay.GlobalID = node_id()

    @classmethod
    def resolve_id(cls, root: AgencyType, *, info: Info) -> str:
        return str(root.view.id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(ctx(info).loaders.agency, node_ids, cls.wrap, required)

    @classmethod
    def wrap(cls, view: AgencyView | None) -> AgencyType:
        return cls(view=view)  # type: ignore[arg-type]

    name: str = plain()
    kind: AgencyKind = plain()  # type: ignore[valid-type]
    country: str = plain("ISO 3166-1 alpha-2 code of the agency's country or region.")
    region: str | None = plain("ISO 3166-2 subdivision, when the agency is sub-national.")
    verification: VerificationState = plain()  # type: ignore[valid-type]
    created_at: datetime = plain()
    #: a tuple in the view: GraphQL lists take any sequence
    granted_jurisdictions: list[str] = plain(
        "Codes granted at verification beyond the agency's own country and its "
        "subdivisions, which it may always submit for (a granted country covers its "
        "subdivisions). Staff and the agency itself read them."
    )
    verified_at: datetime | None = plain("When the agency was last verified; null unless verified.")
    verified_by: str | None = plain("Who verified the agency (staff only; null for agencies).")
    verification_evidence: str | None = plain(
        "The evidence the verifier saw when granting jurisdictions beyond the "
        "agency's own country, as recorded (staff only; null for agencies and when none was "
        "recorded)."
    )


@strawberry.type(description="The client behind the access token of this call.")
class Viewer:
    client_id: str
    kind: PrincipalKind
    scopes: list[str]
    agency_view: strawberry.Private[AgencyView | None]

    @strawberry.field(description="The agency the client belongs to; null for staff.")
    def agency(self) -> AgencyType | None:
        return AgencyType(view=self.agency_view) if self.agency_view is not None else None

    @strawberry.field(description="The person signed in; null for a machine client.")
    async def staff_member(self, info: Info) -> StaffMemberType | None:
        c = ctx(info)
        return staff_member(await signed_in_member(c.app, c.principal))
