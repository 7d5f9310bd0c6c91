"""Transparency reports: drafts, published versions (immutable), and the public statement."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
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
