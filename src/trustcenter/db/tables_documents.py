"""Legal-process documents an agency uploads (PDF, PNG, JPEG), encrypted at rest in chunks
like disclosure packages, and attached once to a legal basis or to a message."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk


class Document(UUIDPk, Base):
    __tablename__ = "documents"

    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("oauth_clients.id"))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(64))
    chunk_count: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime]
    #: an upload not attached by then is deleted
    expires_at: Mapped[datetime | None]
    attached_at: Mapped[datetime | None]
    request_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    legal_basis_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("legal_bases.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("request_messages.id", ondelete="CASCADE"), index=True
    )


class DocumentChunk(Base):
    __tablename__ = "document_chunks"

    document_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
