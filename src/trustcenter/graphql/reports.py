"""The transparency report over GraphQL: published reports for everyone (no token needed),
building and publishing for staff with scope ``reports``, the statement for admins."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from trustcenter.db.models import ReportStatement as StatementRow
from trustcenter.db.models import TransparencyReport as ReportRow
from trustcenter.domain.errors import DomainError
from trustcenter.graphql.errors import UserError, user_errors
from trustcenter.graphql.nodes import ctx
from trustcenter.services import reports as service


@strawberry.type(description="The figures of one country and category, or of a total.")
class ReportFigures:
    country: str | None = strawberry.field(description="ISO 3166-1; null in totals.")
    category: str | None = strawberry.field(
        description="The category code, upper case as everywhere in the API (ACCOUNT, PRODUCT, "
        "TRANSACTION, EMERGENCY or a plugin's, such as PRESERVATION); null in the worldwide "
        "total."
    )
    requests: int
    challenged_or_rejected: int
    with_data: int
    with_data_pct: float | None
    accounts_specified: int
    products_specified: int
    median_days_to_respond: float | None


def _figures(d: dict[str, Any]) -> ReportFigures:
    return ReportFigures(
        country=d.get("country"),
        # reports built under method 2026.1 stored lower-case codes; the API reads them alike
        category=d["category"].upper() if d.get("category") else None,
        requests=d["requests"],
        challenged_or_rejected=d["challenged_or_rejected"],
        with_data=d["with_data"],
        with_data_pct=d["with_data_pct"],
        accounts_specified=d["accounts_specified"],
        products_specified=d["products_specified"],
        median_days_to_respond=d["median_days_to_respond"],
    )


@strawberry.type(description="A country or region left out of every figure, and why.")
class ReportExclusion:
    country: str = strawberry.field(description="ISO 3166-1.")
    reason: str | None = strawberry.field(
        description="Why it is left out, as the report prints it; null only in reports built "
        "under method 2026.1, which recorded no reasons."
    )


@strawberry.type(description="The public statement as last confirmed by an admin.")
class ReportStatementType:
    text: str
    confirmed_at: datetime


@strawberry.type(name="TransparencyReport", description="One version of a year's report.")
class TransparencyReportType:
    row: strawberry.Private[ReportRow]

    @strawberry.field
    def year(self) -> int:
        return self.row.year

    @strawberry.field(description="1 for the first publication; each correction adds one.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field(description="DRAFT or PUBLISHED (only staff see drafts).")
    def status(self) -> str:
        return self.row.status.upper()

    @strawberry.field(
        description="The counting method's version the figures were computed with "
        "(docs/transparency-method.md); a report keeps it for good."
    )
    def method_version(self) -> str:
        return self.row.method_version

    @strawberry.field(description="SHA-256 of the figures' canonical JSON.")
    def figures_sha256(self) -> str:
        return self.row.figures_sha256

    @strawberry.field
    def built_at(self) -> datetime:
        return self.row.built_at

    @strawberry.field
    def published_at(self) -> datetime | None:
        return self.row.published_at

    @strawberry.field(description="What this correction changed (null for the first version).")
    def changelog(self) -> str | None:
        return self.row.changelog

    @strawberry.field(description="The codes of the excluded countries (see excluded).")
    def excluded_countries(self) -> list[str]:
        return list(json.loads(self.row.figures)["excluded_countries"])

    @strawberry.field(
        description="Countries or regions left out of every figure, each with its reason "
        "(CN always)."
    )
    def excluded(self) -> list[ReportExclusion]:
        figures = json.loads(self.row.figures)
        if "exclusions" in figures:
            return [ReportExclusion(country=e["country"], reason=e["reason"])
                    for e in figures["exclusions"]]  # fmt: skip
        return [ReportExclusion(country=c, reason=None) for c in figures["excluded_countries"]]

    @strawberry.field(description="One row per country and category.")
    def rows(self) -> list[ReportFigures]:
        return [_figures(r) for r in json.loads(self.row.figures)["rows"]]

    @strawberry.field(description="Worldwide, per category.")
    def category_totals(self) -> list[ReportFigures]:
        return [_figures(r) for r in json.loads(self.row.figures)["totals"]["categories"]]

    @strawberry.field
    def worldwide(self) -> ReportFigures:
        return _figures(json.loads(self.row.figures)["totals"]["worldwide"])

    @strawberry.field
    def statement(self) -> ReportStatementType | None:
        if self.row.statement is None or self.row.statement_confirmed_at is None:
            return None
        return ReportStatementType(
            text=self.row.statement, confirmed_at=self.row.statement_confirmed_at
        )


@strawberry.input
class BuildTransparencyReportInput:
    year: int


@strawberry.input
class PublishTransparencyReportInput:
    year: int
    changelog: str | None = strawberry.field(
        default=None, description="Required for a correction: what changed."
    )


@strawberry.input
class ConfirmTransparencyStatementInput:
    text: str


@strawberry.type
class TransparencyReportPayload:
    report: TransparencyReportType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TransparencyStatementPayload:
    statement: ReportStatementType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def _report(work: Any) -> TransparencyReportPayload:
    try:
        row = await work
    except DomainError as error:
        return TransparencyReportPayload(user_errors=user_errors(error))
    return TransparencyReportPayload(report=TransparencyReportType(row=row))


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description="A published transparency report (public): the newest version, or the one "
        "asked for; null when the year has none."
    )
    async def transparency_report(
        self, info: Info, year: int, version: int | None = None
    ) -> TransparencyReportType | None:
        found = await service.published(ctx(info).app.db, year, version)
        return TransparencyReportType(row=found.row) if found else None

    @strawberry.field(description="Years with a published report, newest first (public).")
    async def transparency_report_years(self, info: Info) -> list[int]:
        return await service.published_years(ctx(info).app.db)

    @strawberry.field(description="The year's unpublished draft (scope reports).")
    async def transparency_report_draft(
        self, info: Info, year: int
    ) -> TransparencyReportType | None:
        c = ctx(info)
        row = await service.draft(c.app.db, c.principal, year)
        return TransparencyReportType(row=row) if row else None


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description="Compute the year's figures in the database as its draft (scope reports)."
    )
    async def build_transparency_report(
        self, info: Info, input: BuildTransparencyReportInput
    ) -> TransparencyReportPayload | None:
        c = ctx(info)
        excluded = await c.app.report_exclusions()
        return await _report(
            service.build_report(c.app.db, c.app.clock, c.principal, input.year, excluded)
        )

    @strawberry.mutation(
        description="Publish the year's draft as a new immutable version (scope reports)."
    )
    async def publish_transparency_report(
        self, info: Info, input: PublishTransparencyReportInput
    ) -> TransparencyReportPayload | None:
        c = ctx(info)
        return await _report(
            service.publish_report(c.app.db, c.app.clock, c.principal, input.year, input.changelog)
        )

    @strawberry.mutation(
        description="Confirm the public statement; the next draft carries it (scope admin)."
    )
    async def confirm_transparency_statement(
        self, info: Info, input: ConfirmTransparencyStatementInput
    ) -> TransparencyStatementPayload | None:
        c = ctx(info)
        try:
            row: StatementRow = await service.confirm_statement(
                c.app.db, c.app.clock, c.principal, input.text
            )
        except DomainError as error:
            return TransparencyStatementPayload(user_errors=user_errors(error))
        return TransparencyStatementPayload(
            statement=ReportStatementType(text=row.text, confirmed_at=row.confirmed_at)
        )
