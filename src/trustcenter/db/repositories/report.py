"""The transparency report: its figures (from the report's facts, ``report_figures``), its
published editions and its statement. The counting rules are in
``docs/transparency-method.md``; the facts that apply them are kept by ``db.report_facts``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import delete, func, select

from trustcenter.db.models import ReportStatement, TransparencyReport
from trustcenter.db.report_facts import rebuild
from trustcenter.db.repositories import Repository
from trustcenter.db.repositories.report_figures import figures


class ReportRepository(Repository):
    """The report's figures, its published editions and what is excluded from them."""

    async def compute(
        self, year: int, excluded: Collection[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """Raw figures for ``year``: ``rows`` (country and category), ``categories`` (worldwide per
        category) and ``worldwide`` (one row when the year has requests), from the report's facts
        (``report_figures``)."""
        return await figures(self._session, year, excluded)

    async def rebuild_facts(self) -> int:
        """Every request's report facts again (``db.report_facts.rebuild``); how many."""
        return await self._session.run_sync(rebuild)

    async def newest_published_version(self, year: int) -> int | None:
        """The highest version number published for ``year``, None if none was."""
        newest: int | None = await self._session.scalar(
            select(func.max(TransparencyReport.version)).where(
                TransparencyReport.year == year, TransparencyReport.status == "published"
            )
        )
        return newest

    async def delete_drafts(self, year: int) -> None:
        """Delete ``year``'s unpublished drafts (published versions are untouched)."""
        await self._session.execute(
            delete(TransparencyReport).where(
                TransparencyReport.year == year, TransparencyReport.status == "draft"
            )
        )

    async def draft_of(self, year: int) -> TransparencyReport | None:
        """``year``'s unpublished draft, if one was built."""
        found: TransparencyReport | None = await self._session.scalar(
            select(TransparencyReport).where(
                TransparencyReport.year == year, TransparencyReport.status == "draft"
            )
        )
        return found

    async def lock_draft(self, year: int) -> TransparencyReport | None:
        """``year``'s unpublished draft, locked (FOR UPDATE) until the unit ends."""
        found: TransparencyReport | None = await self._session.scalar(
            select(TransparencyReport)
            .where(TransparencyReport.year == year, TransparencyReport.status == "draft")
            .with_for_update()
        )
        return found

    async def newest_published(self, year: int) -> TransparencyReport | None:
        """The newest published version of ``year``."""
        found: TransparencyReport | None = await self._session.scalar(
            select(TransparencyReport)
            .where(TransparencyReport.year == year, TransparencyReport.status == "published")
            .order_by(TransparencyReport.version.desc())
            .limit(1)
        )
        return found

    async def published_version(self, year: int, version: int) -> TransparencyReport | None:
        """Published ``version`` of ``year``, None if that version is not published."""
        found: TransparencyReport | None = await self._session.scalar(
            select(TransparencyReport).where(
                TransparencyReport.year == year,
                TransparencyReport.version == version,
                TransparencyReport.status == "published",
            )
        )
        return found

    async def published_of(self, year: int) -> list[TransparencyReport]:
        """Every published version of ``year``, oldest first."""
        rows = await self._session.scalars(
            select(TransparencyReport)
            .where(TransparencyReport.year == year, TransparencyReport.status == "published")
            .order_by(TransparencyReport.version)
        )
        return list(rows.all())

    async def published_years(self) -> list[int]:
        """The years with a published version, newest first."""
        rows = await self._session.scalars(
            select(TransparencyReport.year)
            .distinct()
            .where(TransparencyReport.status == "published")
            .order_by(TransparencyReport.year.desc())
        )
        return list(rows.all())

    async def current_statement(self) -> ReportStatement | None:
        """The most recently confirmed public statement."""
        found: ReportStatement | None = await self._session.scalar(
            select(ReportStatement).order_by(ReportStatement.confirmed_at.desc()).limit(1)
        )
        return found
