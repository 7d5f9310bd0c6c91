"""The transparency report over GraphQL: published reports for everyone (no token needed),
building and publishing for staff with scope ``reports``, the statement for admins."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import strawberry
from strawberry.types import Info

from trustcenter.domain.rules import category_code
from trustcenter.graphql.access_text import described
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import ctx
from trustcenter.graphql.payloads import payload
from trustcenter.services import reports as service
from trustcenter.services.view_records import ReportView, report_view, statement_view


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
        category=category_code(d["category"]) if d.get("category") else None,
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
    view: strawberry.Private[ReportView]

    @strawberry.field
    def year(self) -> int:
        return self.view.year

    @strawberry.field(description="1 for the first publication; each correction adds one.")
    def version(self) -> int:
        return self.view.version

    @strawberry.field(description="DRAFT or PUBLISHED (only staff see drafts).")
    def status(self) -> str:
        return self.view.status.upper()

    @strawberry.field(
        description="The counting method's version the figures were computed with "
        "(docs/transparency-method.md); a report keeps it for good."
    )
    def method_version(self) -> str:
        return self.view.method_version

    @strawberry.field(description="SHA-256 of the figures' canonical JSON.")
    def figures_sha256(self) -> str:
        return self.view.figures_sha256

    @strawberry.field
    def built_at(self) -> datetime:
        return self.view.built_at

    @strawberry.field
    def published_at(self) -> datetime | None:
        return self.view.published_at

    @strawberry.field(description="What this correction changed (null for the first version).")
    def changelog(self) -> str | None:
        return self.view.changelog

    @strawberry.field(description="The codes of the excluded countries (see excluded).")
    def excluded_countries(self) -> list[str]:
        return list(self.view.figures["excluded_countries"])

    @strawberry.field(
        description="Countries or regions left out of every figure, each with its reason "
        "(CN always)."
    )
    def excluded(self) -> list[ReportExclusion]:
        figures = self.view.figures
        if "exclusions" in figures:
            return [ReportExclusion(country=e["country"], reason=e["reason"])
                    for e in figures["exclusions"]]  # fmt: skip
        return [ReportExclusion(country=c, reason=None) for c in figures["excluded_countries"]]

    @strawberry.field(description="One row per country and category.")
    def rows(self) -> list[ReportFigures]:
        return [_figures(r) for r in self.view.figures["rows"]]

    @strawberry.field(description="Worldwide, per category.")
    def category_totals(self) -> list[ReportFigures]:
        return [_figures(r) for r in self.view.figures["totals"]["categories"]]

    @strawberry.field
    def worldwide(self) -> ReportFigures:
        return _figures(self.view.figures["totals"]["worldwide"])

    @strawberry.field
    def statement(self) -> ReportStatementType | None:
        s = self.view.statement
        return ReportStatementType(text=s.text, confirmed_at=s.confirmed_at) if s else None


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


async def _report(work: Callable[[], Awaitable[Any]]) -> TransparencyReportPayload:
    return await payload(
        TransparencyReportPayload,
        work,
        lambda row: TransparencyReportPayload(report=TransparencyReportType(view=report_view(row))),
    )


@strawberry.type
class ReportQuery:
    @strawberry.field(
        description=described(
            "read_published_report",
            "A published transparency report: the newest version, or the one asked for; null "
            "when the year has none.",
        )
    )
    async def transparency_report(
        self, info: Info, year: int, version: int | None = None
    ) -> TransparencyReportType | None:
        c = ctx(info)
        found = await service.published(c.app, c.principal, year, version)
        return TransparencyReportType(view=report_view(found.row)) if found else None

    @strawberry.field(
        description=described(
            "read_published_report", "Years with a published report, newest first."
        )
    )
    async def transparency_report_years(self, info: Info) -> list[int]:
        c = ctx(info)
        return await service.published_years(c.app, c.principal)

    @strawberry.field(description=described("read_draft_report", "The year's unpublished draft."))
    async def transparency_report_draft(
        self, info: Info, year: int
    ) -> TransparencyReportType | None:
        c = ctx(info)
        row = await service.draft(c.app, c.principal, year)
        return TransparencyReportType(view=report_view(row)) if row else None


@strawberry.type
class ReportMutation:
    @strawberry.mutation(
        description=described(
            "build_report", "Compute the year's figures in the database as its draft."
        )
    )
    async def build_transparency_report(
        self, info: Info, input: BuildTransparencyReportInput
    ) -> TransparencyReportPayload | None:
        c = ctx(info)
        excluded = await c.app.report_exclusions()
        return await _report(lambda: service.build_report(c.app, c.principal, input.year, excluded))

    @strawberry.mutation(
        description=described(
            "publish_report", "Publish the year's draft as a new immutable version."
        )
    )
    async def publish_transparency_report(
        self, info: Info, input: PublishTransparencyReportInput
    ) -> TransparencyReportPayload | None:
        c = ctx(info)
        return await _report(
            lambda: service.publish_report(c.app, c.principal, input.year, input.changelog)
        )

    @strawberry.mutation(
        description=described(
            "confirm_report_statement", "Confirm the public statement; the next draft carries it."
        )
    )
    async def confirm_transparency_statement(
        self, info: Info, input: ConfirmTransparencyStatementInput
    ) -> TransparencyStatementPayload | None:
        c = ctx(info)

        def confirmed(row: Any) -> TransparencyStatementPayload:
            view = statement_view(row)
            return TransparencyStatementPayload(
                statement=ReportStatementType(text=view.text, confirmed_at=view.confirmed_at)
            )

        return await payload(
            TransparencyStatementPayload,
            lambda: service.confirm_statement(c.app, c.principal, input.text),
            confirmed,
        )
