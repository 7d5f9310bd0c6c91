"""Who may talk to the service: agencies, their OAuth clients, and the token signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk


class Agency(UUIDPk, Base):
    __tablename__ = "agencies"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2), index=True)
    region: Mapped[str | None] = mapped_column(String(8))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    verification: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime]
    verified_at: Mapped[datetime | None]
    #: jurisdictions granted beyond the agency's own country and its subdivisions, as codes
    #: separated by spaces ("EU-wide bodies", federal agencies); set when it is verified
    granted_jurisdictions: Mapped[str] = mapped_column(Text, default="", server_default="")
    #: who verified the agency and on what evidence (also in the audit)
    verified_by: Mapped[str | None] = mapped_column(String(200))
    verification_evidence: Mapped[str | None] = mapped_column(Text)


class OAuthClient(UUIDPk, Base):
    """A machine client. ``agency_id`` is null for staff clients. The secret is stored as a
    SHA-256 digest only: secrets are 256-bit random values, so a slow hash adds nothing."""

    __tablename__ = "oauth_clients"

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    agency_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    scopes: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class SigningKey(Base):
    """An asymmetric key that signs access tokens; retired keys stay published until their
    tokens have expired, which lets keys rotate without logging anyone out."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    private_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
