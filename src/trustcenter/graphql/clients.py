"""OAuth clients over GraphQL, the admin side: list them, revoke one, rotate its secret."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry import relay
from strawberry.types import Info

from trustcenter.db.models import OAuthClient
from trustcenter.domain.errors import DomainError
from trustcenter.graphql.errors import UserError, user_errors
from trustcenter.graphql.mutations_review import node_uuid
from trustcenter.graphql.nodes import ctx
from trustcenter.graphql.types_access import AgencyType
from trustcenter.services.clients import list_clients, revoke_client, rotate_secret

_MISSING = uuid.UUID(int=0)  # an id no agency has: an empty list, like any unseen id


@strawberry.type(name="OAuthClient", description="A machine client of the API.")
class ClientType:
    row: strawberry.Private[OAuthClient]

    @strawberry.field
    def client_id(self) -> str:
        return self.row.client_id

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="The agency it acts for; null for a staff client.")
    async def agency(self, info: Info) -> AgencyType | None:
        if self.row.agency_id is None:
            return None
        row = await ctx(info).loaders.agency.load(self.row.agency_id)
        return AgencyType(row=row) if row is not None else None

    @strawberry.field
    def scopes(self) -> list[str]:
        return self.row.scopes.split()

    @strawberry.field(description='How it authenticates: "client_secret" or "private_key_jwt".')
    def auth_method(self) -> str:
        return self.row.auth_method

    @strawberry.field
    def created_at(self) -> datetime:
        return self.row.created_at

    @strawberry.field(description="When it was revoked; null while it may call.")
    def revoked_at(self) -> datetime | None:
        return self.row.revoked_at

    @strawberry.field(description="When its secret was last rotated.")
    def secret_rotated_at(self) -> datetime | None:
        return self.row.secret_rotated_at

    @strawberry.field(description="Until when the secret before the last rotation still works.")
    def previous_secret_valid_until(self) -> datetime | None:
        return self.row.previous_secret_until


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
    @strawberry.field(description="OAuth clients, revoked ones too, oldest first (scope admin).")
    async def clients(
        self, info: Info, agency_id: relay.GlobalID | None = None
    ) -> list[ClientType]:
        c = ctx(info)
        agency = (node_uuid(agency_id, "Agency") or _MISSING) if agency_id is not None else None
        rows = await list_clients(c.app.db, agency_id=agency, principal=c.principal)
        return [ClientType(row=row) for row in rows]


@strawberry.type
class ClientMutation:
    @strawberry.mutation(
        description="Revoke a client for good: it gets no more tokens and the tokens it holds "
        "stop working at once (scope admin)."
    )
    async def revoke_client(self, info: Info, input: RevokeClientInput) -> ClientPayload | None:
        c = ctx(info)
        try:
            row = await revoke_client(c.app.db, c.app.clock, input.client_id, principal=c.principal)
        except DomainError as error:
            return ClientPayload(user_errors=user_errors(error))
        return ClientPayload(client=ClientType(row=row))

    @strawberry.mutation(
        description="Give a client a new secret, returned once; the previous secret keeps "
        "working for graceSeconds (scope admin)."
    )
    async def rotate_client_secret(
        self, info: Info, input: RotateClientSecretInput
    ) -> RotateClientSecretPayload | None:
        c = ctx(info)
        try:
            done = await rotate_secret(
                c.app.db,
                c.app.clock,
                input.client_id,
                grace_seconds=input.grace_seconds,
                principal=c.principal,
            )
        except DomainError as error:
            return RotateClientSecretPayload(user_errors=user_errors(error))
        return RotateClientSecretPayload(
            client=ClientType(row=done.client), client_secret=done.client_secret
        )
