"""Who may talk to the service: agencies, their OAuth clients, and the token signing keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk


class Agency(UUIDPk, Base):
    __tablename__ = "agencies"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    country: Mapped[str] = mapped_column(String(2), index=True)
    region: Mapped[str | None] = mapped_column(String(8))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    #: status e-mails to the officer and the contact address (the agency may turn them off)
    status_emails: Mapped[bool] = mapped_column(default=True, server_default="1")
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
    #: how the client authenticates at the token endpoint: "client_secret" (HTTP Basic or the
    #: form, never both) or "private_key_jwt" (RFC 7523 assertions signed with its own key)
    auth_method: Mapped[str] = mapped_column(
        String(32), default="client_secret", server_default="client_secret"
    )
    #: the client's public keys for private_key_jwt: inline JWKS (JSON) or where to fetch them
    jwks: Mapped[str | None] = mapped_column(Text)
    jwks_uri: Mapped[str | None] = mapped_column(String(500))
    #: after a rotation the previous secret stays valid until this moment (grace period)
    previous_secret_sha256: Mapped[str | None] = mapped_column(String(64))
    previous_secret_until: Mapped[datetime | None]
    secret_rotated_at: Mapped[datetime | None]


class RevokedToken(Base):
    """An access token revoked before its expiry (RFC 7009), by its ``jti``; kept until the
    token would have expired anyway."""

    __tablename__ = "revoked_tokens"

    jti: Mapped[str] = mapped_column(String(128), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime]


class UsedClientAssertion(Base):
    """A private_key_jwt assertion already used (RFC 7523 ``jti``): a replay is refused, across
    every process; kept until the assertion expires."""

    __tablename__ = "used_client_assertions"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    jti: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ClientAuthFailures(Base):
    """Failed client authentications counted per claimed client id and minute, so the audit
    gets at most one ``oauth.client_auth_failed`` event a minute per client id, with a count."""

    __tablename__ = "client_auth_failures"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    audited_at: Mapped[datetime | None]


class SigningKey(Base):
    """An asymmetric key that signs access tokens; retired keys stay published until their
    tokens have expired, which lets keys rotate without logging anyone out."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    private_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class AuthEpoch(Base):
    """A single row: a number that moves, in the same transaction, with every change that can
    take a token's standing away or change what it grants — a token revoked, a client
    revoked, an agency's verification changed. A process that remembers who its callers'
    tokens speak for asks it on every request and looks a token up again once it moved
    (``services.principals``)."""

    __tablename__ = "auth_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    epoch: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
