"""Plugin findings on a request: reviewers read them; a ``block`` finding stops release until
an admin overrides it with a justification that stays on record."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import ADMIN, READ_ALL_REQUESTS
from trustcenter.clock import Clock
from trustcenter.db.models import Finding, Request
from trustcenter.db.session import Database
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.plugins.api import Severity
from trustcenter.services.access import require_any_scope, require_scope
from trustcenter.services.audit import actor_of, record
from trustcenter.services.changes import require_text


async def findings_of(
    db: Database, principal: Principal, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Finding]]:
    """Staff only: the findings of each request, most severe first."""
    require_any_scope(principal, READ_ALL_REQUESTS, " or ".join(sorted(READ_ALL_REQUESTS)))
    order = {Severity.BLOCK.value: 0, Severity.WARNING.value: 1, Severity.INFO.value: 2}
    out: dict[uuid.UUID, list[Finding]] = {i: [] for i in request_ids}
    async with db.reader() as session:
        rows = await session.scalars(select(Finding).where(Finding.request_id.in_(request_ids)))
        for f in sorted(rows.all(), key=lambda f: (order.get(f.severity, 3), f.code)):
            out[f.request_id].append(f)
    return out


async def refuse_unresolved_blocks(session: AsyncSession, request_id: uuid.UUID) -> None:
    rows = (
        await session.scalars(
            select(Finding).where(
                Finding.request_id == request_id,
                Finding.severity == Severity.BLOCK.value,
                Finding.overridden_at.is_(None),
            )
        )
    ).all()
    if rows:
        raise DomainError(
            [
                Problem(
                    "requestId",
                    f"blocked by {f.plugin}: {f.message} ({f.citation}); an admin "
                    "may override it with a justification",
                    ErrorCode.BLOCKED_BY_FINDING,
                )
                for f in rows
            ]
        )


async def override(
    db: Database, clock: Clock, principal: Principal, finding_id: uuid.UUID, justification: str
) -> Finding:
    """Lift a block finding (admin), with the justification on record."""
    require_scope(principal, ADMIN)
    text = require_text("justification", justification)
    async with db.transaction() as session:
        finding = await session.get(Finding, finding_id, with_for_update=True)
        if finding is None:
            raise DomainError.single("findingId", "no such finding", ErrorCode.NOT_FOUND)
        if finding.severity != Severity.BLOCK.value:
            raise DomainError.single(
                "findingId", "only block findings stop a release", ErrorCode.INVALID_INPUT
            )
        if finding.overridden_at is not None:
            raise DomainError.single("findingId", "already overridden", ErrorCode.CONFLICT)
        finding.overridden_at = clock.now()
        finding.overridden_by = principal.client_id
        finding.override_justification = text
        request = await session.get(Request, finding.request_id)
        if request is not None:
            request.version += 1
        await record(
            session,
            clock,
            actor_of(principal),
            "finding.overridden",
            ("finding", finding.id),
            request_id=finding.request_id,
            data={"plugin": finding.plugin, "code": finding.code, "justification": text},
        )
    return finding
