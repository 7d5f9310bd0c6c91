"""Transparency reports: build a draft from the database, publish it as an immutable version,
read published versions (public), and keep the dated statement.

``principal`` None means an operator at the CLI; otherwise the scope ``reports`` is needed to
build or publish and ``admin`` to confirm the statement."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import ADMIN, REPORTS
from trustcenter.clock import Clock
from trustcenter.db.models import ReportStatement, TransparencyReport
from trustcenter.db.repositories.audit import record
from trustcenter.db.repositories.report import compute
from trustcenter.db.session import Database
from trustcenter.domain.audit import Actor
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.report import METHOD_VERSION, canonical, figures_sha256, shape
from trustcenter.domain.report_policy import (
    Exclusion,
    publishing_refusals,
    settle_exclusions,
    year_end,
)
from trustcenter.services.access import require_scope
from trustcenter.services.audit import actor_of

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_STATEMENT = 4000


def _actor(principal: Principal | None, scope: str) -> Actor:
    if principal is None:
        return Actor.operator()
    require_scope(principal, scope)
    return actor_of(principal)


def _check_year(year: int, clock: Clock) -> None:
    if not FIRST_YEAR <= year <= clock.now().year:
        raise DomainError.single(
            "year", f"must be between {FIRST_YEAR} and this year", ErrorCode.INVALID_INPUT
        )


@dataclass(frozen=True, slots=True)
class PublishedReport:
    row: TransparencyReport

    @property
    def figures(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.row.figures)
        return document


async def build_report(
    db: Database,
    clock: Clock,
    principal: Principal | None,
    year: int,
    excluded: Collection[Exclusion | str],
    on_step: Callable[[str], None] | None = None,
) -> TransparencyReport:
    """Compute ``year``'s figures in the database and store them as the year's draft (a draft
    built before is replaced; published versions are never touched).

    ``excluded``: the exclusions from configuration and plugins; CN is added whatever they say,
    and any other without a written reason (a bare code) stops the build."""
    actor = _actor(principal, REPORTS)
    _check_year(year, clock)
    exclusions = settle_exclusions(excluded)
    step = on_step or (lambda _name: None)
    async with db.reader() as session:
        step("figures")
        raw = await compute(session, year, [e.country for e in exclusions])
    document = shape(year, raw, exclusions)
    step("store")
    try:
        draft = await _store_draft(db, clock, actor, year, document)
    except IntegrityError as error:  # another build of the year was stored meanwhile
        raise DomainError.single(
            "year",
            f"another build of {year} was stored at the same moment; build again",
            ErrorCode.CONFLICT,
        ) from error
    step("done")
    return draft


async def _store_draft(
    db: Database, clock: Clock, actor: Actor, year: int, document: dict[str, Any]
) -> TransparencyReport:
    async with db.transaction() as session:
        newest = await session.scalar(
            select(func.max(TransparencyReport.version)).where(
                TransparencyReport.year == year, TransparencyReport.status == "published"
            )
        )
        await session.execute(
            delete(TransparencyReport).where(
                TransparencyReport.year == year, TransparencyReport.status == "draft"
            )
        )
        statement = await _current_statement(session)
        draft = TransparencyReport(
            year=year,
            version=(newest or 0) + 1,
            status="draft",
            method_version=METHOD_VERSION,
            figures=canonical(document).decode(),
            figures_sha256=figures_sha256(document),
            built_at=clock.now(),
            built_by=actor.id,
            statement=statement.text if statement else None,
            statement_confirmed_at=statement.confirmed_at if statement else None,
        )
        session.add(draft)
        await session.flush()
        await record(
            session,
            clock,
            actor,
            "report.built",
            ("transparency_report", draft.id),
            data={"year": year, "version": draft.version, "figures_sha256": draft.figures_sha256},
        )
    return draft


async def publish_report(
    db: Database,
    clock: Clock,
    principal: Principal | None,
    year: int,
    changelog: str | None = None,
) -> TransparencyReport:
    """Publish the year's draft as the next version: only once the year has ended (UTC) and
    with the statement confirmed after it ended (carried by the draft). A correction (any
    version after the first) needs a changelog saying what changed; identical figures are not
    published twice."""
    actor = _actor(principal, REPORTS)
    _check_year(year, clock)
    async with db.transaction() as session:
        draft = await session.scalar(
            select(TransparencyReport)
            .where(TransparencyReport.year == year, TransparencyReport.status == "draft")
            .with_for_update()
        )
        now = clock.now()
        if draft is None:
            missing = [p for p in publishing_refusals(year, now, now) if p.field == "year"]
            raise DomainError(
                [*missing, Problem("year", f"no draft for {year}: build it first",
                                   ErrorCode.NOT_FOUND)]
            )  # fmt: skip
        refusals = publishing_refusals(year, now, draft.statement_confirmed_at)
        if refusals:
            raise DomainError(await _explained(session, year, draft, refusals))
        previous = await _newest_published(session, year)
        note = (changelog or "").strip() or None
        if previous is not None:
            if previous.figures_sha256 == draft.figures_sha256 and (
                previous.statement == draft.statement
            ):
                raise DomainError.single(
                    "year",
                    f"version {previous.version} already has these figures",
                    ErrorCode.CONFLICT,
                )
            if note is None:
                raise DomainError.single(
                    "changelog",
                    "a correction needs a changelog saying what changed",
                    ErrorCode.INVALID_INPUT,
                )
        draft.status, draft.published_at, draft.published_by = "published", clock.now(), actor.id
        draft.changelog = note
        await record(
            session,
            clock,
            actor,
            "report.published",
            ("transparency_report", draft.id),
            data={
                "year": year,
                "version": draft.version,
                "figures_sha256": draft.figures_sha256,
                "changelog": note,
            },
        )
    return draft


async def _explained(
    session: Any, year: int, draft: TransparencyReport, refusals: list[Problem]
) -> list[Problem]:
    """The refusals, saying so when the statement was confirmed only after the draft was built
    (the draft carries the statement as it was when built)."""
    current = await _current_statement(session)
    if current is None or current.confirmed_at < year_end(year):
        return refusals
    return [
        Problem(
            p.field,
            f"the statement was confirmed on {current.confirmed_at:%Y-%m-%d}, after this draft "
            f"of {year} was built: build the report again to carry it",
            p.code,
        )
        if p.code is ErrorCode.STATEMENT_NOT_CONFIRMED
        else p
        for p in refusals
    ]


async def _newest_published(session: Any, year: int) -> TransparencyReport | None:
    found: TransparencyReport | None = await session.scalar(
        select(TransparencyReport)
        .where(TransparencyReport.year == year, TransparencyReport.status == "published")
        .order_by(TransparencyReport.version.desc())
        .limit(1)
    )
    return found


async def published(db: Database, year: int, version: int | None = None) -> PublishedReport | None:
    """Public: the newest published version of ``year`` (or the one asked for)."""
    async with db.reader() as session:
        if version is None:
            row = await _newest_published(session, year)
        else:
            row = await session.scalar(
                select(TransparencyReport).where(
                    TransparencyReport.year == year,
                    TransparencyReport.version == version,
                    TransparencyReport.status == "published",
                )
            )
    return PublishedReport(row) if row else None


async def versions(db: Database, year: int) -> list[TransparencyReport]:
    """Public: every published version of ``year``, oldest first."""
    async with db.reader() as session:
        rows = await session.scalars(
            select(TransparencyReport)
            .where(TransparencyReport.year == year, TransparencyReport.status == "published")
            .order_by(TransparencyReport.version)
        )
        return list(rows.all())


async def published_years(db: Database) -> list[int]:
    """Public: the years with a published report, newest first."""
    async with db.reader() as session:
        rows = await session.scalars(
            select(TransparencyReport.year)
            .distinct()
            .where(TransparencyReport.status == "published")
            .order_by(TransparencyReport.year.desc())
        )
        return list(rows.all())


async def draft(db: Database, principal: Principal | None, year: int) -> TransparencyReport | None:
    _actor(principal, REPORTS)
    async with db.reader() as session:
        found: TransparencyReport | None = await session.scalar(
            select(TransparencyReport).where(
                TransparencyReport.year == year, TransparencyReport.status == "draft"
            )
        )
        return found


async def _current_statement(session: Any) -> ReportStatement | None:
    found: ReportStatement | None = await session.scalar(
        select(ReportStatement).order_by(ReportStatement.confirmed_at.desc()).limit(1)
    )
    return found


async def confirm_statement(
    db: Database, clock: Clock, principal: Principal | None, text: str
) -> ReportStatement:
    """An admin confirms (or rewords) the public statement; the next draft carries it with the
    date of this confirmation."""
    actor = _actor(principal, ADMIN)
    text = text.strip()
    if not text or len(text) > MAX_STATEMENT:
        raise DomainError.single(
            "text", f"must be 1 to {MAX_STATEMENT} characters", ErrorCode.INVALID_INPUT
        )
    async with db.transaction() as session:
        statement = ReportStatement(text=text, confirmed_at=clock.now(), confirmed_by=actor.id)
        session.add(statement)
        await session.flush()
        await record(
            session,
            clock,
            actor,
            "report.statement_confirmed",
            ("report_statement", statement.id),
            data={"text": text},
        )
    return statement
