"""Staff as people: their accounts and their signed-in sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk


class StaffMember(UUIDPk, Base):
    """A person on the staff. ``email`` is the sign-in name, stored lower-case. The password is
    an Argon2id hash (none: the person signs in through single sign-on only, or has not been
    given one); the TOTP secret is sealed under ``TRUSTCENTER_SECRET_KEY`` when it is set."""

    __tablename__ = "staff_members"

    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: roles, space-separated (``domain.staff.Role``)
    roles: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    password_hash: Mapped[str | None] = mapped_column(Text)
    totp_secret: Mapped[str | None] = mapped_column(Text)
    #: when the second factor was confirmed (None: it is enrolled at the next sign-in)
    totp_enrolled_at: Mapped[datetime | None]
    #: the last TOTP time step accepted, so a code is never accepted twice
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    #: the single sign-on provider's subject (``iss`` and ``sub``), once the person used it
    oidc_subject: Mapped[str | None] = mapped_column(String(512), unique=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    last_sign_in_at: Mapped[datetime | None]


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a
    copy of the table opens no session. ``public_id`` names the session in the audit trail."""

    __tablename__ = "staff_sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    staff_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("staff_members.id"), index=True)
    #: ``domain.staff.SessionStage``
    stage: Mapped[str] = mapped_column(String(16))
    #: ``domain.staff.SignInMethod``
    method: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    #: the session ends at the first of these: idle too long, or too old
    idle_expires_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    address: Mapped[str | None] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(300))
