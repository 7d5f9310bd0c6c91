"""Plugins and their findings over GraphQL."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from trustcenter.graphql.access_text import described
from trustcenter.graphql.errors import UserError
from trustcenter.graphql.nodes import MISSING, ctx, parse_id
from trustcenter.graphql.payloads import payload
from trustcenter.plugins.api import Severity
from trustcenter.services import catalogue, findings
from trustcenter.services.view_records import FindingView, finding_view

FindingSeverity = strawberry.enum(
    Severity,
    name="FindingSeverity",
    description="How serious a finding is; BLOCK stops release until an admin overrides it.",
)


@strawberry.type(name="Finding", description="A plugin rule's finding on a request (staff).")
class FindingType:
    view: strawberry.Private[FindingView]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.view.id))

    @strawberry.field(description="The plugin whose rule found it.")
    def plugin(self) -> str:
        return self.view.plugin

    @strawberry.field
    def severity(self) -> FindingSeverity:  # type: ignore[valid-type]
        return self.view.severity

    @strawberry.field
    def code(self) -> str:
        return self.view.code

    @strawberry.field
    def message(self) -> str:
        return self.view.message

    @strawberry.field(description="The legal source of the rule.")
    def citation(self) -> str:
        return self.view.citation

    @strawberry.field
    def overridden_at(self) -> datetime | None:
        return self.view.overridden_at

    @strawberry.field
    def override_justification(self) -> str | None:
        return self.view.override_justification

    @strawberry.field(
        description="When it stopped applying to the items still in play; a resolved finding "
        "stops nothing and reopens if it applies again."
    )
    def resolved_at(self) -> datetime | None:
        return self.view.resolved_at

    @strawberry.field
    def resolved_reason(self) -> str | None:
        return self.view.resolved_reason


@strawberry.type(
    name="FindingCodeInfo",
    description="A code a plugin's findings may carry, as the plugin declares it.",
)
class FindingCodeInfo:
    code: str
    severity: FindingSeverity = strawberry.field(  # type: ignore[valid-type]
        description="The severity of every finding with this code."
    )
    description: str = strawberry.field(description="What the finding points out, for reviewers.")


@strawberry.type(name="Plugin", description="A loaded plugin.")
class PluginType:
    name: str
    version: str | None
    builtin: bool
    hooks: list[str]
    jurisdictions: list[str]
    finding_codes: list[FindingCodeInfo] = strawberry.field(
        description="The codes its findings may carry, each with its severity and description; "
        "empty when it declares none (its findings may then carry any code)."
    )


@strawberry.type(name="CategoryInfo", description="A request category and who registered it.")
class CategoryInfo:
    code: str
    label: str
    description: str


@strawberry.type(name="ReasonCodeInfo", description="A reason code reviewers may give.")
class ReasonCodeInfo:
    code: str
    description: str


@strawberry.input
class OverrideFindingInput:
    finding_id: strawberry.ID
    justification: str = strawberry.field(description="Why release may go ahead; on record.")


@strawberry.type
class OverrideFindingPayload:
    finding: FindingType | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class PluginQuery:
    @strawberry.field(
        description=described(
            "list_categories", "The request categories known here, built-in and from plugins."
        )
    )
    def categories(self, info: Info) -> list[CategoryInfo]:
        c = ctx(info)
        return [
            CategoryInfo(code=s.code, label=s.label, description=s.description)
            for s in catalogue.categories(c.app, c.principal)
        ]

    @strawberry.field(
        description=described(
            "list_reason_codes", "The reason codes known here, built-in and from plugins."
        )
    )
    def reason_codes(self, info: Info) -> list[ReasonCodeInfo]:
        c = ctx(info)
        return [
            ReasonCodeInfo(code=s.code, description=s.description)
            for s in catalogue.reason_codes(c.app, c.principal)
        ]

    @strawberry.field(
        description=described(
            "list_plugins", "Loaded plugins, their versions, hooks and declared finding codes."
        )
    )
    def plugins(self, info: Info) -> list[PluginType]:
        c = ctx(info)
        return [
            PluginType(
                name=p.name,
                version=p.version,
                builtin=p.builtin,
                hooks=list(p.hooks),
                jurisdictions=list(p.jurisdictions),
                finding_codes=[
                    FindingCodeInfo(code=f.code, severity=f.severity, description=f.description)
                    for f in p.finding_codes
                ],
            )
            for p in catalogue.plugins(c.app, c.principal)
        ]


@strawberry.type
class PluginMutation:
    @strawberry.mutation(
        description=described(
            "override_finding",
            "Let a release go ahead despite a BLOCK finding; the justification is recorded.",
        )
    )
    async def override_finding(
        self, info: Info, input: OverrideFindingInput
    ) -> OverrideFindingPayload | None:
        c = ctx(info)
        finding_id = parse_id(input.finding_id) or MISSING
        return await payload(
            OverrideFindingPayload,
            lambda: findings.override(c.app, c.principal, finding_id, input.justification),
            lambda row: OverrideFindingPayload(finding=FindingType(view=finding_view(row))),
        )
