"""The clarification thread and the audit trail of a request."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from trustcenter.graphql.enums import PrincipalKind
from trustcenter.graphql.nodes import ctx
from trustcenter.graphql.types_document import DocumentType, wrap_documents
from trustcenter.services.views import AuditEventView, DisclosureView, MessageView


@strawberry.type(name="Message", description="One message in a request's clarification thread.")
class MessageType:
    view: strawberry.Private[MessageView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field(description="Whether the agency or the company wrote it.")
    def author(self) -> PrincipalKind:
        return PrincipalKind(self.view.author_kind)

    @strawberry.field
    def body(self) -> str:
        return self.view.body

    @strawberry.field
    def created_at(self) -> datetime:
        return self.view.created_at

    @strawberry.field(description="Documents the agency attached to this message.")
    async def documents(self, info: Info) -> list[DocumentType]:
        return wrap_documents(await ctx(info).loaders.message_documents.load(self.view.id))


@strawberry.type(name="AuditEvent", description="One link of the hash-chained audit log.")
class AuditEventType:
    view: strawberry.Private[AuditEventView]

    @strawberry.field
    def seq(self) -> int:
        return self.view.seq

    @strawberry.field
    def occurred_at(self) -> datetime:
        return self.view.occurred_at

    @strawberry.field(
        description="person (a staff member in person), agency, staff (a staff machine "
        "client), operator or system."
    )
    def actor_kind(self) -> str:
        return self.view.actor_kind

    @strawberry.field(
        description="The staff member's id for a person, the client id for a client, cli:<user> "
        "for an operator."
    )
    def actor_id(self) -> str:
        return self.view.actor_id

    @strawberry.field(description="A person's name as it stood when they acted; null otherwise.")
    def actor_name(self) -> str | None:
        return self.view.actor_name

    @strawberry.field(
        description="What carried a person's action: session:<id> (signed in to the console) or "
        "client:<client id>; null for others."
    )
    def actor_via(self) -> str | None:
        return self.view.actor_via

    @strawberry.field(description="What happened, such as request.decided.")
    def action(self) -> str:
        return self.view.action

    @strawberry.field
    def data(self) -> JSON:
        return self.view.data  # type: ignore[no-any-return]

    @strawberry.field
    def hash(self) -> str:
        return self.view.hash

    @strawberry.field(
        description="The X-Request-ID of the HTTP request that caused the event, as the "
        "service's log lines of that request carry it; null for the command line and workers."
    )
    def correlation_id(self) -> str | None:
        return self.view.correlation_id


@strawberry.type(name="Disclosure", description="The package released to the agency.")
class DisclosureType:
    view: strawberry.Private[DisclosureView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field(description="SHA-256 of the package, hex: compare after downloading.")
    def sha256(self) -> str:
        return self.view.sha256

    @strawberry.field(description="Bytes.")
    def size(self) -> int:
        return self.view.size

    @strawberry.field(description="How many records the package holds (0: no responsive records).")
    def record_count(self) -> int:
        return self.view.record_count

    @strawberry.field(
        description="False when the package holds no record: the request was answered, but "
        "nothing responsive was found to disclose."
    )
    def has_records(self) -> bool:
        return self.view.record_count > 0

    @strawberry.field(description="What the package holds, in a sentence.")
    def summary(self) -> str:
        n = self.view.record_count
        if n == 0:
            return "No responsive records: the request was answered, nothing was disclosed."
        return f"{n} record{'s' if n != 1 else ''} disclosed."

    @strawberry.field
    def released_at(self) -> datetime:
        return self.view.released_at

    @strawberry.field(
        description="Where the requesting agency downloads it (bearer token with disclosures:read)."
    )
    def download_path(self) -> str:
        return f"/disclosures/{self.view.id}"
