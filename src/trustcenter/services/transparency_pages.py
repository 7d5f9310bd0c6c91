"""The public transparency pages' reads: published versions only, for anyone and with no token,
as views (the pages never see a database row)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from trustcenter.auth.principal import Principal
from trustcenter.db.models import TransparencyReport
from trustcenter.services import reports
from trustcenter.services.access import authorize

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts


@dataclass(frozen=True, slots=True)
class PublishedVersion:
    """One published version of a year's report, as stored when it was published."""

    year: int
    version: int
    published_at: datetime | None
    changelog: str | None
    figures_sha256: str
    #: the public statement as last confirmed when the version was built, and when
    statement: str | None
    statement_confirmed_at: datetime | None
    #: the figures as canonical JSON
    figures_json: str

    @property
    def figures(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.figures_json)
        return document


def _view(row: TransparencyReport) -> PublishedVersion:
    return PublishedVersion(
        year=row.year,
        version=row.version,
        published_at=row.published_at,
        changelog=row.changelog,
        figures_sha256=row.figures_sha256,
        statement=row.statement,
        statement_confirmed_at=row.statement_confirmed_at,
        figures_json=row.figures,
    )


async def published(
    app: AppParts, principal: Principal, year: int, version: int | None = None
) -> PublishedVersion | None:
    """The newest published version of ``year`` (or the one asked for); None if there is none."""
    authorize(principal, "read_published_report")
    found = await reports.published(app, principal, year, version)
    return _view(found.row) if found is not None else None


async def versions(app: AppParts, principal: Principal, year: int) -> list[PublishedVersion]:
    """Every published version of ``year``, oldest first."""
    authorize(principal, "read_published_report")
    return [_view(row) for row in await reports.versions(app, principal, year)]


async def newest_per_year(
    app: AppParts, principal: Principal
) -> tuple[list[int], list[PublishedVersion]]:
    """The years with a published report, newest first, and each one's newest version."""
    authorize(principal, "read_published_report")
    years = await reports.published_years(app, principal)
    newest = [
        found for year in years if (found := await published(app, principal, year)) is not None
    ]
    return years, newest
