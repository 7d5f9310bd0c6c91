"""Transparency reports: build a draft from the database, publish it as an immutable version,
read published versions (public), and keep the dated statement.

Building, publishing and reading the draft need the scope ``reports``, confirming the statement
``admin`` (``services.access.RULES``); the command line acts as an operator with those."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import ReportStatement, TransparencyReport
from trustcenter.db.uow import Conflict, UnitOfWork, UnitOfWorks
from trustcenter.domain.audit import Actor
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.report import METHOD_VERSION, canonical, figures_sha256, shape
from trustcenter.domain.report_policy import (
    Exclusion,
    correction_changelog,
    no_draft_refusals,
    publishing_refusals,
    settle_exclusions,
    year_end,
)
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_STATEMENT = 4000


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
    app: AppParts,
    principal: Principal,
    year: int,
    excluded: Collection[Exclusion | str],
    on_step: Callable[[str], None] | None = None,
) -> TransparencyReport:
    """Compute ``year``'s figures in the database and store them as the year's draft (a draft
    built before is replaced; published versions are never touched).

    ``excluded``: the exclusions from configuration and plugins (``app.report_exclusions()``);
    CN is added whatever they say, and any other without a written reason (a bare code) stops
    the build."""
    authorize(principal, "build_report")
    work, clock, actor = app.uow, app.clock, actor_of(principal)
    _check_year(year, clock)
    exclusions = settle_exclusions(excluded)
    step = on_step or (lambda _name: None)
    async with work.read() as uow:
        step("figures")
        raw = await uow.reports.compute(year, [e.country for e in exclusions])
    document = shape(year, raw, exclusions)
    step("store")
    try:
        draft = await _store_draft(work, clock, actor, year, document)
    except Conflict as error:  # another build of the year was stored meanwhile
        raise DomainError.single(
            "year",
            f"another build of {year} was stored at the same moment; build again",
            ErrorCode.CONFLICT,
        ) from error
    step("done")
    return draft


async def rebuild_facts(app: AppParts, principal: Principal) -> int:
    """Recompute every request's report facts from the request tables, in one transaction
    (idempotent: the figures do not change when the facts were current). The number of facts.
    For an operator who changed request rows by hand, or to check the facts at scale."""
    authorize(principal, "build_report")
    async with app.uow() as uow:
        return await uow.reports.rebuild_facts()


async def _store_draft(
    work: UnitOfWorks, clock: Clock, actor: Actor, year: int, document: dict[str, Any]
) -> TransparencyReport:
    async with work() as uow:
        newest = await uow.reports.newest_published_version(year)
        await uow.reports.delete_drafts(year)
        statement = await uow.reports.current_statement()
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
        uow.add(draft)
        await uow.flush()
        await uow.audit.record(
            clock,
            actor,
            "report.built",
            ("transparency_report", draft.id),
            data={"year": year, "version": draft.version, "figures_sha256": draft.figures_sha256},
        )
    return draft


async def publish_report(
    app: AppParts, principal: Principal, year: int, changelog: str | None = None
) -> TransparencyReport:
    """Publish the year's draft as the next version: only once the year has ended (UTC) and
    with the statement confirmed after it ended (carried by the draft). A correction (any
    version after the first) needs a changelog saying what changed; identical figures are not
    published twice."""
    authorize(principal, "publish_report")
    clock, actor = app.clock, actor_of(principal)
    _check_year(year, clock)
    async with app.uow() as uow:
        draft = await uow.reports.lock_draft(year)
        now = clock.now()
        if draft is None:
            raise DomainError(no_draft_refusals(year, now))
        refusals = publishing_refusals(year, now, draft.statement_confirmed_at)
        if refusals:
            raise DomainError(await _explained(uow, year, draft, refusals))
        previous = await uow.reports.newest_published(year)
        note = correction_changelog(
            changelog,
            previous.version if previous is not None else None,
            previous is not None
            and previous.figures_sha256 == draft.figures_sha256
            and previous.statement == draft.statement,
        )
        draft.status, draft.published_at, draft.published_by = "published", clock.now(), actor.id
        draft.changelog = note
        await uow.audit.record(
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
    uow: UnitOfWork, year: int, draft: TransparencyReport, refusals: list[Problem]
) -> list[Problem]:
    """The refusals, saying so when the statement was confirmed only after the draft was built
    (the draft carries the statement as it was when built)."""
    current = await uow.reports.current_statement()
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


async def published(
    app: AppParts, principal: Principal, year: int, version: int | None = None
) -> PublishedReport | None:
    """Public: the newest published version of ``year`` (or the one asked for)."""
    authorize(principal, "read_published_report")
    return await _published(app.uow, year, version)


async def _published(work: UnitOfWorks, year: int, version: int | None) -> PublishedReport | None:
    async with work.read() as uow:
        if version is None:
            row = await uow.reports.newest_published(year)
        else:
            row = await uow.reports.published_version(year, version)
    return PublishedReport(row) if row else None


async def versions(app: AppParts, principal: Principal, year: int) -> list[TransparencyReport]:
    """Public: every published version of ``year``, oldest first."""
    authorize(principal, "read_published_report")
    async with app.uow.read() as uow:
        return await uow.reports.published_of(year)


async def published_years(app: AppParts, principal: Principal) -> list[int]:
    """Public: the years with a published report, newest first."""
    authorize(principal, "read_published_report")
    async with app.uow.read() as uow:
        return await uow.reports.published_years()


async def draft(app: AppParts, principal: Principal, year: int) -> TransparencyReport | None:
    """The year's unpublished draft, if one was built."""
    authorize(principal, "read_draft_report")
    async with app.uow.read() as uow:
        return await uow.reports.draft_of(year)


async def confirm_statement(app: AppParts, principal: Principal, text: str) -> ReportStatement:
    """An admin confirms (or rewords) the public statement; the next draft carries it with the
    date of this confirmation."""
    authorize(principal, "confirm_report_statement")
    clock, actor = app.clock, actor_of(principal)
    text = text.strip()
    if not text or len(text) > MAX_STATEMENT:
        raise DomainError.single(
            "text", f"must be 1 to {MAX_STATEMENT} characters", ErrorCode.INVALID_INPUT
        )
    async with app.uow() as uow:
        statement = ReportStatement(text=text, confirmed_at=clock.now(), confirmed_by=actor.id)
        uow.add(statement)
        await uow.flush()
        await uow.audit.record(
            clock,
            actor,
            "report.statement_confirmed",
            ("report_statement", statement.id),
            data={"text": text},
        )
    return statement
