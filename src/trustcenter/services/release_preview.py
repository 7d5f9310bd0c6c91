"""What a release would put in the package now, and what would stop it — without releasing.

The preview runs the release's own scope computation (``services.disclosure``): the same
approved and narrowed items, D only for premium accounts, the same fields and time ranges, the
same data source and the same minimisation, in the order the package lists them. It counts each
item's records and keeps the first few; it seals nothing, stores no disclosure, moves no request
and records no approval. Its refusals are what a release would answer now: the request's
status, a plugin's refusal, block findings not overridden, vendors whose data may not be used,
and the approvals four eyes still wait for. Each preview is audited (``release.previewed``) with
counts, never records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from trustcenter.auth.principal import Principal
from trustcenter.db.models import Request, RequestedItem, Target
from trustcenter.db.uow import UnitOfWork
from trustcenter.disclosure.sources import DataSource, TargetRef
from trustcenter.domain import four_eyes
from trustcenter.domain.enums import DecisionOutcome, IdentifierType, InfoType
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.lifecycle import Operation, RequestStatus, check
from trustcenter.plugins.host import PluginHost
from trustcenter.services import approvals
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.changes import not_found
from trustcenter.services.deps import AppParts
from trustcenter.services.disclosure import (
    item_scope,
    minimised,
    releasable_items,
    vendor_view,
    vendors_for,
)
from trustcenter.services.findings import refuse_unresolved_blocks
from trustcenter.services.plugin_views import view_of_request
from trustcenter.services.vendors import vendor_statuses
from trustcenter.services.views import RequestView, request_view

#: the most records a preview shows of one item
MAX_FIRST_RECORDS = 20


@dataclass(frozen=True, slots=True)
class PreviewItem:
    """One item as the package would hold it: its decision's scope and its records."""

    item_id: uuid.UUID
    identifier_type: IdentifierType
    identifier: str
    info_type: InfoType
    outcome: DecisionOutcome
    #: the fields each record keeps (the package's ``decision.fields``)
    fields: tuple[str, ...]
    #: the first and last day covered (None: unbounded, or a type without a time field)
    range_from: date | None
    range_to: date | None
    record_count: int
    first_records: tuple[dict[str, Any], ...]


@dataclass(frozen=True, slots=True)
class PreviewVendor:
    """A vendor holding some of the package's data, and whether it may be used now."""

    name: str
    #: the package's information types it holds
    info_types: tuple[str, ...]
    attested_until: datetime | None
    blocked_because: str | None


@dataclass(frozen=True, slots=True)
class ReleasePreview:
    request: RequestView
    items: tuple[PreviewItem, ...]
    vendors: tuple[PreviewVendor, ...]
    #: what would stop a release now (empty: releasing would go ahead)
    refusals: tuple[str, ...]


async def preview_release(
    app: AppParts, principal: Principal, request_id: uuid.UUID, first_records: int = 3
) -> ReleasePreview:
    """The package a release of the request would make now, item by item (record counts and
    the first ``first_records`` records), the vendors whose data it holds, and what would stop
    the release. Reads only; audited with counts."""
    authorize(principal, "preview_release")
    if not 0 <= first_records <= MAX_FIRST_RECORDS:
        raise DomainError.single(
            "firstRecords", f"give between 0 and {MAX_FIRST_RECORDS}", ErrorCode.INVALID_INPUT
        )
    now = app.clock.now()
    async with app.uow.read() as uow:
        row = await uow.requests.get(request_id)
        if row is None:
            raise not_found()
        targets, items = await releasable_items(uow, row)
        refusals = await _refusals(uow, app, principal, row, items, now)
        vendors = await _vendors(uow, app.plugins, items, now)
        shown = request_view(row)
    previewed = await _items(app.data_source, targets, items, first_records)
    async with app.uow() as uow:
        await uow.audit.record(
            app.clock,
            actor_of(principal),
            "release.previewed",
            ("request", row.id),
            request_id=row.id,
            data={
                "version": row.version,
                "items": len(previewed),
                "records": sum(i.record_count for i in previewed),
                "vendors": len(vendors),
                "refusals": len(refusals),
            },
        )
    return ReleasePreview(shown, tuple(previewed), tuple(vendors), tuple(refusals))


async def _items(
    source: DataSource, targets: list[Target], items: list[RequestedItem], first: int
) -> list[PreviewItem]:
    """Per target, per item in the package's order, the records the package would hold."""
    out = []
    for t in targets:
        ref = TargetRef(IdentifierType(t.identifier_type), t.identifier)
        for item in sorted((i for i in items if i.target_id == t.id), key=lambda i: i.info_type):
            scope = item_scope(item)
            count, kept = 0, list[dict[str, Any]]()
            async for record in minimised(source, ref, scope):
                count += 1
                if len(kept) < first:
                    kept.append(record)
            out.append(
                PreviewItem(
                    item_id=item.id,
                    identifier_type=ref.identifier_type,
                    identifier=t.identifier,
                    info_type=InfoType(item.info_type),
                    outcome=DecisionOutcome(str(item.outcome)),
                    fields=tuple(sorted(scope.fields)),
                    range_from=scope.range_from,
                    range_to=scope.range_to,
                    record_count=count,
                    first_records=tuple(kept),
                )
            )
    return out


def _messages(error: DomainError) -> list[str]:
    return [p.message for p in error.problems]


async def _refusals(
    uow: UnitOfWork,
    app: AppParts,
    principal: Principal,
    row: Request,
    items: list[RequestedItem],
    now: datetime,
) -> list[str]:
    """What a release would be refused for now, in the words the release uses."""
    out: list[str] = []
    try:
        check(Operation.RELEASE, RequestStatus(row.status))
        releasable = True
    except DomainError as error:
        out += _messages(error)
        releasable = False
    host = app.plugins
    out += [
        f"{plugin}: {reason}"
        for plugin, reason in await host.release_refusals(await view_of_request(uow, row))
    ]
    try:
        await refuse_unresolved_blocks(uow, row.id)
    except DomainError as error:
        out += _messages(error)
    try:
        await vendors_for(uow, host, items, now)
    except DomainError as error:
        out += _messages(error)
    if releasable:
        out += await _approvals_missing(uow, app, principal, row)
    return out


async def _approvals_missing(
    uow: UnitOfWork, app: AppParts, principal: Principal, row: Request
) -> list[str]:
    """Four eyes: the approvals the release still waits for (of a request in a status that
    may be released)."""
    needed = await approvals.approvers_needed(uow, app, row)
    if needed < four_eyes.TWO:
        return []
    pending = four_eyes.in_force(await uow.approvals.of_request(row.id), row.version)
    if not pending:
        return [
            f"{needed} people must agree (four eyes): releasing records your approval, and the "
            "release waits for a second person's"
        ]
    names = ", ".join(p.actor_name for p in pending)
    out = [
        f"waiting for a second approval: {names} asked for the release; another reviewer, "
        "who decided no item, approves it"
    ]
    me, _ = approvals.approver(principal)
    mine = four_eyes.approval_refusal(me, await uow.approvals.deciders_of(row.id), pending)
    return out + ([mine] if mine else [])


async def _vendors(
    uow: UnitOfWork, host: PluginHost, items: list[RequestedItem], now: datetime
) -> list[PreviewVendor]:
    """Each vendor holding some of the package's information types, with its attestation and
    why it may not be used now (its own state first, else the plugins' refusals)."""
    needed = {i.info_type for i in items}
    out = []
    for status in await vendor_statuses(uow):
        held = sorted(set(status.vendor.info_types.split()) & needed)
        if not held:
            continue
        reason = status.blocks(now)
        if reason is None:
            refused = await host.vendor_refusals(vendor_view(status), held, now)
            reason = "; ".join(f"{plugin}: {why}" for plugin, why in refused) or None
        out.append(PreviewVendor(status.vendor.name, tuple(held), status.valid_until, reason))
    return out
