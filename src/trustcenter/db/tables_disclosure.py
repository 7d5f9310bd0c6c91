"""Released disclosure packages (encrypted in chunks) and the vendors holding data."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk


class ReleaseApproval(UUIDPk, Base):
    """Four eyes: who asked for a request's release and who approved it. An approval holds for
    the request's version it was given at (a change to the decisions voids it)."""

    __tablename__ = "release_approvals"
    __table_args__ = (
        UniqueConstraint("request_id", "version", "actor_id", name="uq_release_approvals_once"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    #: the request's version the approval was given at
    version: Mapped[int] = mapped_column(Integer)
    #: the audit's actor id and name of the person (or client) who approved
    actor_id: Mapped[str] = mapped_column(String(128))
    actor_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Disclosure(UUIDPk, Base):
    """The one package released for a request. Its plaintext exists only while it is written
    and while it is streamed to the agency; at rest it is AES-GCM chunks."""

    __tablename__ = "disclosures"

    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("requests.id"), unique=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("agencies.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    record_count: Mapped[int] = mapped_column(BigInteger)
    chunk_count: Mapped[int] = mapped_column(Integer)
    key_id: Mapped[str] = mapped_column(String(64))
    released_at: Mapped[datetime]
    released_by: Mapped[str] = mapped_column(String(128))


class DisclosureChunk(Base):
    __tablename__ = "disclosure_chunks"

    disclosure_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("disclosures.id", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    nonce: Mapped[bytes] = mapped_column(LargeBinary)
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)


class Vendor(UUIDPk, Base):
    """A third party holding some of the data (cloud storage, payments, support desk)."""

    __tablename__ = "vendors"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: the information types it holds, as letters separated by spaces ("C E")
    info_types: Mapped[str] = mapped_column(String(16))
    same_standards_clause: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class VendorAttestation(UUIDPk, Base):
    """The vendor's written confirmation that it follows the same standards, until expiry."""

    __tablename__ = "vendor_attestations"

    vendor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("vendors.id"), index=True)
    reference: Mapped[str] = mapped_column(String(200))
    attested_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
