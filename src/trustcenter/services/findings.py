"""Findings on a request: plugin rules' and the policy's own, for reviewers only. A ``block``
finding stops release until an admin overrides it with a justification that stays on record.

Findings follow the decisions: after every decision and every answer to a question they are
recomputed, in the same transaction, on the items still in play (approved, narrowed or
undecided). A finding that no longer applies is resolved (still readable, stops nothing); one
that applies again is reopened; a new one is added. Each change is audited."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.models import Finding, Request, RequestedItem, Target
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.enums import DecisionOutcome, IdentifierType, InfoType, ReasonCode
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.plugins import api
from trustcenter.plugins.api import Severity
from trustcenter.plugins.host import PluginHost
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.changes import require_text
from trustcenter.services.deps import AppParts
from trustcenter.services.plugin_views import target_items, view_of_request

#: the name the policy's own findings carry (NOT_HELD, NOT_PREMIUM)
POLICY = "trustcenter:policy"
#: decided out of the request: their findings no longer apply
_OUT_OF_PLAY = frozenset({DecisionOutcome.REJECT.value, DecisionOutcome.OBJECT.value})
_NO_LONGER = "no longer applies to the items still in play (approved, narrowed or undecided)"
_SEVERITY_ORDER = {Severity.BLOCK.value: 0, Severity.WARNING.value: 1, Severity.INFO.value: 2}


async def findings_of(
    app: AppParts, principal: Principal, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Finding]]:
    """Staff only: the findings of each request, open ones first, most severe first."""
    authorize(principal, "read_findings")
    out: dict[uuid.UUID, list[Finding]] = {i: [] for i in request_ids}
    async with app.uow.read() as uow:
        for f in sorted(await uow.review.findings_of(request_ids), key=_reading_order):
            out[f.request_id].append(f)
    return out


def _reading_order(f: Finding) -> tuple[bool, int, str, str]:
    return (f.resolved_at is not None, _SEVERITY_ORDER.get(f.severity, 3), f.code, f.message)


async def refuse_unresolved_blocks(uow: UnitOfWork, request_id: uuid.UUID) -> None:
    rows = await uow.review.standing_findings(request_id, Severity.BLOCK.value)
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
    app: AppParts, principal: Principal, finding_id: uuid.UUID, justification: str
) -> Finding:
    """Lift a block finding (admin), with the justification on record."""
    authorize(principal, "override_finding")
    text = require_text("justification", justification)
    clock = app.clock
    async with app.uow() as uow:
        finding = await uow.review.lock_finding(finding_id)
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
        request = await uow.requests.get(finding.request_id)
        if request is not None:
            request.version += 1
        await uow.audit.record(
            clock,
            actor_of(principal),
            "finding.overridden",
            ("finding", finding.id),
            request_id=finding.request_id,
            data={"plugin": finding.plugin, "code": finding.code, "justification": text},
        )
    return finding


# --- recomputing ------------------------------------------------------------------------------


async def recompute(
    uow: UnitOfWork, clock: Clock, principal: Principal, row: Request, host: PluginHost
) -> None:
    """Bring the request's findings up to date with its items still in play, in the caller's
    transaction: plugin rules (``host.findings``) see only those items; the policy's findings
    are made once the targets were looked up at review."""
    pairs = await target_items(uow, row.id)
    in_play = [(t, i) for t, i in pairs if i.outcome not in _OUT_OF_PLAY]
    view = await view_of_request(uow, row, in_play)
    found = await host.findings(view) if in_play else []
    found += [(POLICY, f) for f in await _policy_findings(uow, in_play)]
    await _sync(uow, clock, principal, row.id, found)


async def _policy_findings(
    uow: UnitOfWork, in_play: Sequence[tuple[Target, RequestedItem]]
) -> list[api.Finding]:
    """NOT_HELD for an identifier that resolved to nothing at review, NOT_PREMIUM for D asked
    of an account without a premium service: for reviewers, never an answer to the agency."""
    targets = {t.id: t for t, _ in in_play if t.resolved_at is not None}
    premium = await uow.userdata.premium_by_target(list(targets.values())) if targets else {}
    out: list[api.Finding] = []
    for target in targets.values():
        named = f"{IdentifierType(target.identifier_type).name} {target.identifier}"
        types = sorted(i.info_type for t, i in in_play if t.id == target.id)
        if target.subject_key is None:
            out.append(
                api.Finding(
                    Severity.INFO,
                    ReasonCode.NOT_HELD.name,
                    f"{named} names no account or product the company holds: "
                    f"{', '.join(types)} would yield no data",
                    "Company guideline: only data the company holds is provided",
                )
            )
        elif InfoType.D.value in types and premium.get(target.id) is False:
            out.append(
                api.Finding(
                    Severity.WARNING,
                    ReasonCode.NOT_PREMIUM.name,
                    f"D asked of {named}: the account never used a premium service, so "
                    "transaction records cannot be approved",
                    "Company guideline: transaction records for premium service users only",
                )
            )
    return out


async def _sync(
    uow: UnitOfWork,
    clock: Clock,
    principal: Principal,
    request_id: uuid.UUID,
    found: Sequence[tuple[str, api.Finding]],
) -> None:
    """Match what applies now to the stored findings by plugin and code (same message first):
    update and reopen the matched, add the new, resolve the rest."""
    rows = await uow.review.findings_of_request(request_id)
    stored: dict[tuple[str, str], list[Finding]] = {}
    for f in sorted(rows, key=lambda f: (f.resolved_at is not None, f.created_at)):
        stored.setdefault((f.plugin, f.code), []).append(f)
    now = clock.now()

    async def audit(f: Finding, action: str, **data: str | None) -> None:
        await uow.audit.record(
            clock,
            actor_of(principal),
            action,
            ("finding", f.id),
            request_id=request_id,
            data={"plugin": f.plugin, "code": f.code, **data},
        )

    for plugin, new in found:
        candidates = stored.get((plugin, new.code), [])
        match = next((f for f in candidates if f.message == new.message), None)
        match = match or (candidates[0] if candidates else None)
        if match is None:
            row = Finding(
                request_id=request_id,
                plugin=plugin,
                severity=new.severity.value,
                code=new.code,
                message=new.message,
                citation=new.citation,
                created_at=now,
            )
            uow.add(row)
            await uow.flush()
            await audit(row, "finding.added", severity=row.severity)
            continue
        candidates.remove(match)
        match.severity, match.message, match.citation = (
            new.severity.value,
            new.message,
            new.citation,
        )
        if match.resolved_at is not None:
            match.resolved_at, match.resolved_reason = None, None
            await audit(match, "finding.reopened", severity=match.severity)
    for left in stored.values():
        for f in left:
            if f.resolved_at is None:
                f.resolved_at, f.resolved_reason = now, _NO_LONGER
                await audit(f, "finding.resolved", reason=_NO_LONGER)
