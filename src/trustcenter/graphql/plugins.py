"""Plugins and their findings over GraphQL."""

from __future__ import annotations

import uuid
from datetime import datetime

import strawberry
from strawberry.types import Info

from trustcenter.auth.scopes import ADMIN, READ_ALL_REQUESTS
from trustcenter.db.models import Finding as FindingRow
from trustcenter.domain.errors import DomainError
from trustcenter.graphql.errors import UserError, user_errors
from trustcenter.graphql.nodes import ctx
from trustcenter.plugins.api import Severity
from trustcenter.services import findings
from trustcenter.services.access import require_any_scope, require_authenticated

FindingSeverity = strawberry.enum(
    Severity,
    name="FindingSeverity",
    description="How serious a finding is; BLOCK stops release until an admin overrides it.",
)


@strawberry.type(name="Finding", description="A plugin rule's finding on a request (staff).")
class FindingType:
    row: strawberry.Private[FindingRow]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(str(self.row.id))

    @strawberry.field(description="The plugin whose rule found it.")
    def plugin(self) -> str:
        return self.row.plugin

    @strawberry.field
    def severity(self) -> FindingSeverity:  # type: ignore[valid-type]
        return Severity(self.row.severity)

    @strawberry.field
    def code(self) -> str:
        return self.row.code

    @strawberry.field
    def message(self) -> str:
        return self.row.message

    @strawberry.field(description="The legal source of the rule.")
    def citation(self) -> str:
        return self.row.citation

    @strawberry.field
    def overridden_at(self) -> datetime | None:
        return self.row.overridden_at

    @strawberry.field
    def override_justification(self) -> str | None:
        return self.row.override_justification

    @strawberry.field(
        description="When it stopped applying to the items still in play; a resolved finding "
        "stops nothing and reopens if it applies again."
    )
    def resolved_at(self) -> datetime | None:
        return self.row.resolved_at

    @strawberry.field
    def resolved_reason(self) -> str | None:
        return self.row.resolved_reason


@strawberry.type(name="Plugin", description="A loaded plugin.")
class PluginType:
    name: str
    version: str | None
    builtin: bool
    hooks: list[str]
    jurisdictions: list[str]


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
    @strawberry.field(description="The request categories known here, built-in and from plugins.")
    def categories(self, info: Info) -> list[CategoryInfo]:
        c = ctx(info)
        require_authenticated(c.principal)
        return [
            CategoryInfo(code=s.code, label=s.label, description=s.description)
            for s in c.app.plugins.categories.values()
        ]

    @strawberry.field(description="The reason codes known here, built-in and from plugins.")
    def reason_codes(self, info: Info) -> list[ReasonCodeInfo]:
        c = ctx(info)
        require_authenticated(c.principal)
        return [
            ReasonCodeInfo(code=s.code, description=s.description)
            for s in c.app.plugins.reason_codes.values()
        ]

    @strawberry.field(description="Loaded plugins, their versions and hooks (staff).")
    def plugins(self, info: Info) -> list[PluginType]:
        c = ctx(info)
        require_any_scope(c.principal, READ_ALL_REQUESTS | {ADMIN}, "review, audit or admin")
        routes = c.app.plugins.jurisdictions()
        return [
            PluginType(
                name=p.name,
                version=p.version,
                builtin=p.builtin,
                hooks=list(p.hooks),
                jurisdictions=sorted(code for code, owner in routes.items() if owner == p.name),
            )
            for p in c.app.plugins.describe()
        ]


@strawberry.type
class PluginMutation:
    @strawberry.mutation(
        description="Let a release go ahead despite a BLOCK finding (scope "
        "admin); the justification is recorded."
    )
    async def override_finding(
        self, info: Info, input: OverrideFindingInput
    ) -> OverrideFindingPayload | None:
        c = ctx(info)
        try:
            finding_id = uuid.UUID(str(input.finding_id))
        except ValueError:
            finding_id = uuid.UUID(int=0)
        try:
            row = await findings.override(
                c.app.db, c.app.clock, c.principal, finding_id, input.justification
            )
        except DomainError as error:
            return OverrideFindingPayload(user_errors=user_errors(error))
        return OverrideFindingPayload(finding=FindingType(row=row))
