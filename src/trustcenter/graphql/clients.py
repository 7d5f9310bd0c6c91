"""OAuth clients over GraphQL, the admin side: list them, create one, revoke one, rotate its
secret."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.domain.errors import DomainError
from trustcenter.graphql.access_text import described
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.graphql.types_access import AgencyType
from trustcenter.services.clients import (
    NewClient,
    create_client,
    list_clients,
    revoke_client,
    rotate_secret,
)
from trustcenter.services.view_records import ClientView, client_view


@strawberry.type(name="OAuthClient", description="A machine client of the API.")
class ClientType:
    view: strawberry.Private[ClientView]

    @strawberry.field
    def client_id(self) -> str:
        return self.view.client_id

    @strawberry.field
    def name(self) -> str:
        return self.view.name

    @strawberry.field(description="The agency it acts for; null for a staff client.")
    async def agency(self, info: Info) -> AgencyType | None:
        if self.view.agency_id is None:
            return None
        view = await ctx(info).loaders.agency.load(self.view.agency_id)
        return AgencyType(view=view) if view is not None else None

    @strawberry.field
    def scopes(self) -> list[str]:
        return list(self.view.scopes)

    @strawberry.field(description='How it authenticates: "client_secret" or "private_key_jwt".')
    def auth_method(self) -> str:
        return self.view.auth_method

    @strawberry.field
    def created_at(self) -> datetime:
        return self.view.created_at

    @strawberry.field(description="When it was revoked; null while it may call.")
    def revoked_at(self) -> datetime | None:
        return self.view.revoked_at

    @strawberry.field(description="When its secret was last rotated.")
    def secret_rotated_at(self) -> datetime | None:
        return self.view.secret_rotated_at

    @strawberry.field(description="Until when the secret before the last rotation still works.")
    def previous_secret_valid_until(self) -> datetime | None:
        return self.view.previous_secret_until


@strawberry.input
class CreateClientInput:
    agency_id: relay.GlobalID | None = strawberry.field(
        default=None,
        description="The agency the client acts for; null for a staff client (automation).",
    )
    name: str = strawberry.field(description="A label for the client.")
    scopes: list[str] = strawberry.field(
        description="Agency clients: requests:submit, requests:read, disclosures:read, "
        "webhooks:manage; staff "
        "clients: review, notices, reports, audit, admin."
    )


@strawberry.type
class CreateClientPayload:
    client: ClientType | None = None
    client_secret: str | None = strawberry.field(
        default=None,
        description="Its secret; shown only in this answer and never stored in clear.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeClientInput:
    client_id: str


@strawberry.input
class RotateClientSecretInput:
    client_id: str
    grace_seconds: int = strawberry.field(
        default=0,
        description="Seconds the previous secret keeps working (0: it stops at once; at most "
        "604800, 7 days).",
    )


@strawberry.type
class ClientPayload:
    client: ClientType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RotateClientSecretPayload:
    client: ClientType | None = None
    client_secret: str | None = strawberry.field(
        default=None, description="The new secret; shown only in this answer."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class ClientQuery:
    @strawberry.field(
        description=described("list_clients", "OAuth clients, revoked ones too, oldest first.")
    )
    async def clients(
        self, info: Info, agency_id: relay.GlobalID | None = None
    ) -> list[ClientType]:
        c = ctx(info)
        # an id no agency has gives an empty list, like any unseen id
        agency = (parse_id(agency_id, "Agency") or MISSING) if agency_id is not None else None
        rows = await list_clients(c.app, c.principal, agency_id=agency)
        return [ClientType(view=client_view(row)) for row in rows]


@strawberry.type
class ClientMutation:
    @strawberry.mutation(
        description=described(
            "create_client",
            "Create an OAuth client for an agency, or a staff client for automation; its "
            "secret is answered once.",
        )
    )
    async def create_client(
        self, info: Info, input: CreateClientInput
    ) -> CreateClientPayload | None:
        c = ctx(info)
        agency = (
            (parse_id(input.agency_id, "Agency") or MISSING)
            if input.agency_id is not None
            else None
        )

        async def create() -> NewClient:
            try:
                return await create_client(
                    c.app, c.principal, scopes=input.scopes, agency_id=agency, name=input.name
                )
            except DomainError as error:
                raise DomainError(
                    [
                        replace(p, field="agencyId") if p.field == "agency" else p
                        for p in error.problems
                    ]
                ) from None

        return await payload(
            CreateClientPayload,
            create,
            lambda new: CreateClientPayload(
                client=ClientType(view=new.view), client_secret=new.client_secret
            ),
        )

    @strawberry.mutation(
        description=described(
            "revoke_client",
            "Revoke a client for good: it gets no more tokens and the tokens it holds stop "
            "working at once.",
        )
    )
    async def revoke_client(self, info: Info, input: RevokeClientInput) -> ClientPayload | None:
        c = ctx(info)
        return await payload(
            ClientPayload,
            lambda: revoke_client(c.app, c.principal, input.client_id),
            lambda row: ClientPayload(client=ClientType(view=client_view(row))),
        )

    @strawberry.mutation(
        description=described(
            "rotate_client_secret",
            "Give a client a new secret, returned once; the previous secret keeps working for "
            "graceSeconds.",
        )
    )
    async def rotate_client_secret(
        self, info: Info, input: RotateClientSecretInput
    ) -> RotateClientSecretPayload | None:
        c = ctx(info)
        return await payload(
            RotateClientSecretPayload,
            lambda: rotate_secret(
                c.app, c.principal, input.client_id, grace_seconds=input.grace_seconds
            ),
            lambda done: RotateClientSecretPayload(
                client=ClientType(view=client_view(done.client)), client_secret=done.client_secret
            ),
        )
