"""Uploaded legal documents as GraphQL shows them (the bytes are served by GET /documents/{id})."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from trustcenter.graphql.nodes import ctx
from trustcenter.services.views import DocumentView


@strawberry.type(
    name="Document",
    description="A legal document the agency uploaded (PDF, PNG or JPEG), stored encrypted.",
)
class DocumentType:
    view: strawberry.Private[DocumentView]

    @strawberry.field(description="The id POST /documents answered with (a UUID).")
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field(description="SHA-256 of the document's bytes, hex.")
    def sha256(self) -> str:
        return self.view.sha256

    @strawberry.field(description="Bytes.")
    def size(self) -> int:
        return self.view.size

    @strawberry.field(description="application/pdf, image/png or image/jpeg, read from the bytes.")
    def content_type(self) -> str:
        return self.view.content_type

    @strawberry.field(
        description="Where reviewers and the uploading agency read it (GET, bearer token)."
    )
    def url(self, info: Info) -> str:
        return f"{ctx(info).app.settings.issuer}/documents/{self.view.id}"

    @strawberry.field
    def uploaded_at(self) -> datetime:
        return self.view.uploaded_at


def wrap_documents(views: list[DocumentView]) -> list[DocumentType]:
    return [DocumentType(view=v) for v in views]
