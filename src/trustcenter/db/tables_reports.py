"""Transparency reports: drafts, published versions (immutable), and the public statement."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from trustcenter.db.base import Base, UUIDPk


class TransparencyReport(UUIDPk, Base):
    """One version of one year's report. A draft is rebuilt at will; publishing freezes it, and
    the database refuses to change or delete a published row (a correction is a new version)."""

    __tablename__ = "transparency_reports"
    __table_args__ = (UniqueConstraint("year", "version", name="uq_report_version"),)

    year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    #: draft or published
    status: Mapped[str] = mapped_column(String(16))
    method_version: Mapped[str] = mapped_column(String(16))
    #: the figures as canonical JSON (rows per country and category, totals)
    figures: Mapped[str] = mapped_column(Text)
    figures_sha256: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime]
    built_by: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime | None]
    published_by: Mapped[str | None] = mapped_column(String(128))
    #: what a correction changed (every version after the first has one)
    changelog: Mapped[str | None] = mapped_column(Text)
    #: the public statement as last confirmed when the draft was built, and when
    statement: Mapped[str | None] = mapped_column(Text)
    statement_confirmed_at: Mapped[datetime | None]


class ReportStatement(UUIDPk, Base):
    """The dated statement ("never built a backdoor …"); the newest confirmation is current."""

    __tablename__ = "report_statements"

    text: Mapped[str] = mapped_column(Text)
    confirmed_at: Mapped[datetime]
    confirmed_by: Mapped[str] = mapped_column(String(128))


class ReportFact(Base):
    """One narrow row per request: what the request's counted unit adds to the report of the
    year it was received in (``db.report_facts`` keeps it, in the transaction of every change
    that affects it). A unit merged by rule 1 is counted once, on the row of its
    first-received request (``counted``); its other requests' rows say which unit they belong
    to (``unit_key``) and count nothing. A year's figures are one GROUP BY over these rows."""

    __tablename__ = "report_facts"
    __table_args__ = (
        Index("ix_report_facts_unit", "year", "unit_key"),
        # the medians' middle buckets: read from the index alone (where the table is vacuumed)
        Index("ix_report_facts_median", "year", "day", "counted", "country", "category", "days"),
    )

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    #: the year (UTC) the request was received in
    year: Mapped[int] = mapped_column(Integer)
    country: Mapped[str] = mapped_column(String(2))
    #: the unit's category: its first-received request's
    category: Mapped[str] = mapped_column(String(32))
    #: the legal-basis key of a unit merged by rule 1; None: the request is a unit of its own
    unit_key: Mapped[str | None] = mapped_column(Text)
    #: whether this row counts the unit (a merged unit's first-received request; every other
    #: unit's only request)
    counted: Mapped[bool] = mapped_column(Boolean)
    #: the unit's figures: answered with a record (0/1), challenged or denied (0/1), distinct
    #: accounts and products specified, days from first receipt to first answer
    with_data: Mapped[int] = mapped_column(SmallInteger)
    challenged: Mapped[int] = mapped_column(SmallInteger)
    accounts: Mapped[int] = mapped_column(Integer)
    products: Mapped[int] = mapped_column(Integer)
    days: Mapped[float | None] = mapped_column(Float)
    #: ``days`` as a whole number (the median's histogram: GROUP BY it, then read the exact days
    #: of the one or two buckets holding the middle)
    day: Mapped[int | None] = mapped_column(Integer)
