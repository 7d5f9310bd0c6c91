"""The append-only audit log and the pointer to its newest event."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, Sequence, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base

#: numbers events as writers insert them (PostgreSQL; SQLite numbers its rows itself)
EVENT_NUMBERS = Sequence("audit_events_seq_seq")


class AuditEvent(Base):
    """One audited fact. Writers insert it unsealed: numbered by the database, hashed over its
    own content, no chain position and no previous hash. The sealer then sets those three
    once (``position``, ``prev_hash``, ``hash``); database triggers refuse every other update
    and every deletion."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # the sealer's batch: the unsealed events in number order
        Index(
            "ix_audit_events_unsealed",
            "seq",
            postgresql_where=text("position IS NULL"),
            sqlite_where=text("position IS NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), EVENT_NUMBERS, primary_key=True
    )
    occurred_at: Mapped[datetime]
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(128))
    #: a person's name when they acted, and the session or client that carried it
    actor_name: Mapped[str | None] = mapped_column(String(200))
    actor_via: Mapped[str | None] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    data: Mapped[str] = mapped_column(Text)
    #: the previous event's chain hash once sealed; empty before
    prev_hash: Mapped[str] = mapped_column(String(64))
    #: the event's own content hash until it is sealed, then its chain hash
    hash: Mapped[str] = mapped_column(String(64))
    #: the event's place in the chain, set when it is sealed (NULL: not sealed yet)
    position: Mapped[int | None] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), index=True, unique=True
    )
    #: the X-Request-ID of the HTTP request that caused the event (NULL outside one)
    correlation_id: Mapped[str | None] = mapped_column(String(128))


class AuditHead(Base):
    """A single row: the newest sealed event's chain position and hash. Only the sealer locks
    it (writers never touch it); it also reveals events removed from the end of the chain."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    hash: Mapped[str] = mapped_column(String(64))
