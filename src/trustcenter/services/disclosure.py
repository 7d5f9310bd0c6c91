"""Releasing a disclosure and handing it to the agency that asked.

Release assembles exactly the approved scope — the approved targets, information types,
fields and time ranges, D only for premium accounts — from the data source, streams it into
sealed chunks in the same transaction that moves the request to DISCLOSED, and audits it.
Where two people must agree (four eyes, ``services.approvals``), the first call records its
caller's approval and the release happens when a second person approves.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from trustcenter.auth.principal import Principal
from trustcenter.db.models import Disclosure, Request, RequestedItem, Target
from trustcenter.db.uow import UnitOfWork
from trustcenter.disclosure.keyring import KeyRing
from trustcenter.disclosure.package import ChunkWriter, Section, TargetSection, write_package
from trustcenter.disclosure.sealing import associated_data, seal
from trustcenter.disclosure.sources import DataSource, TargetRef
from trustcenter.domain.decisions import APPROVING
from trustcenter.domain.enums import IdentifierType, InfoType
from trustcenter.domain.errors import DomainError, ErrorCode, Problem
from trustcenter.domain.lifecycle import Operation
from trustcenter.domain.minimization import Scope, minimise, scope_for
from trustcenter.domain.report import outcome_of_release
from trustcenter.observability.instruments import recorder
from trustcenter.plugins.api import VendorView
from trustcenter.plugins.host import PluginHost
from trustcenter.services import approvals
from trustcenter.services.access import AccessDenied, NotAuthenticated, authorize
from trustcenter.services.changes import apply, lock_request
from trustcenter.services.deps import AppParts
from trustcenter.services.findings import refuse_unresolved_blocks
from trustcenter.services.notices import schedule as schedule_notices
from trustcenter.services.plugin_views import view_of_request
from trustcenter.services.sealed import Sealed, chunk_fetcher, read_checked
from trustcenter.services.vendors import VendorStatus, blocking_vendors, vendor_statuses
from trustcenter.services.view_records import ApprovalView


class DisclosureNotFound(Exception):
    """No such package for this principal (answered as 404, whoever asks)."""


def item_scope(item: RequestedItem) -> Scope:
    fields = frozenset(item.approved_fields.split()) if item.approved_fields is not None else None
    return scope_for(
        InfoType(item.info_type),
        (item.range_from, item.range_to),
        (item.approved_from, item.approved_to),
        fields,
    )


async def minimised(
    source: DataSource, target: TargetRef, scope: Scope
) -> AsyncIterator[dict[str, Any]]:
    async for raw in source.records(target, scope):
        kept = minimise(raw, scope)
        if kept is not None:
            yield kept


def _decision(item: RequestedItem, scope: Scope) -> dict[str, Any]:
    return {
        "outcome": item.outcome,
        "fields": sorted(scope.fields),
        "from": scope.range_from.isoformat() if scope.range_from else None,
        "to": scope.range_to.isoformat() if scope.range_to else None,
    }


async def releasable_items(
    uow: UnitOfWork, request: Request
) -> tuple[list[Target], list[RequestedItem]]:
    """The request's targets and its approved or narrowed items — D only for premium accounts,
    whatever was decided."""
    items = await uow.disclosures.items_with_outcome(request.id, [o.value for o in APPROVING])
    targets = await uow.disclosures.targets_of(request.id)
    premium = await uow.userdata.premium_by_target(targets)
    kept = [i for i in items if i.info_type != InfoType.D.value or premium.get(i.target_id) is True]
    return targets, kept


def vendor_view(status: VendorStatus) -> VendorView:
    v = status.vendor
    return VendorView(
        v.id, v.name, tuple(v.info_types.split()), v.same_standards_clause, status.valid_until
    )


async def vendors_for(
    uow: UnitOfWork, host: PluginHost, items: list[RequestedItem], now: datetime
) -> list[tuple[VendorView, list[str]]]:
    """The vendors whose data the package needs, once every check lets them be used."""
    needed = {i.info_type for i in items}
    problems = [
        Problem(
            "requestId",
            f"vendor {status.vendor.name} holds {', '.join(held)} data and "
            f"{reason}; an admin must record a valid attestation first",
            ErrorCode.VENDOR_NOT_ATTESTED,
        )
        for status, held, reason in await blocking_vendors(uow, needed, now)
    ]
    used = []
    for status in await vendor_statuses(uow):
        held = sorted(set(status.vendor.info_types.split()) & needed)
        if not held:
            continue
        view = vendor_view(status)
        for plugin, reason in await host.vendor_refusals(view, held, now):
            problems.append(
                Problem(
                    "requestId",
                    f"{plugin}: vendor {view.name}: {reason}",
                    ErrorCode.VENDOR_NOT_ATTESTED,
                )
            )
        used.append((view, held))
    if problems:
        raise DomainError(problems)
    return used


def _sections(
    source: DataSource, targets: list[Target], items: list[RequestedItem]
) -> list[TargetSection]:
    """The package's body: per target, per approved item, the minimised records."""
    out = []
    for t in targets:
        ref = TargetRef(IdentifierType(t.identifier_type), t.identifier)
        mine = sorted((i for i in items if i.target_id == t.id), key=lambda i: i.info_type)
        if mine:
            out.append(
                TargetSection(
                    t.identifier_type,
                    t.identifier,
                    [
                        Section(
                            i.info_type,
                            _decision(i, item_scope(i)),
                            minimised(source, ref, item_scope(i)),
                        )
                        for i in mine
                    ],
                )
            )
    return out


@dataclass(frozen=True, slots=True)
class ReleaseOutcome:
    """What a release call did: released the request, or (four eyes) recorded the caller's
    approval, and the release waits for a second person's (``approve_release``)."""

    request: Request
    approval_needed: bool
    #: the approvals in force (empty when one person released alone)
    approvals: tuple[ApprovalView, ...]


async def release(app: AppParts, principal: Principal, request_id: uuid.UUID) -> Request:
    """:func:`release_or_ask`, for callers that want the request only (still APPROVED or
    PARTIALLY_APPROVED when the release waits for a second approval)."""
    return (await release_or_ask(app, principal, request_id)).request


async def release_or_ask(
    app: AppParts, principal: Principal, request_id: uuid.UUID
) -> ReleaseOutcome:
    """APPROVED or PARTIALLY_APPROVED -> DISCLOSED: the approved scope sealed into a package
    (from the application's data source, under its current disclosure key), the user notices
    scheduled, the vendors told, in one transaction. When two people must agree (four eyes)
    and nobody asked yet, only the caller's approval is recorded and the release waits for a
    second person's; when someone else asked already, this is the second approval."""
    authorize(principal, "release")
    async with app.uow() as uow:
        row = await lock_request(
            uow, principal, request_id, None, agency_only=False, operation=Operation.RELEASE
        )
        gate, size = await _release(uow, app, principal, row, asking=True)
    if not gate.waiting:
        recorder().disclosure_released(size)  # committed
    return ReleaseOutcome(row, gate.waiting, gate.approvals)


async def approve_release(
    app: AppParts, principal: Principal, request_id: uuid.UUID, version: int | None = None
) -> ReleaseOutcome:
    """Four eyes: the second person's approval of a release another asked for at the
    request's current version (refused to whoever asked, or decided an item, or when the
    request changed since), and then the release, exactly as :func:`release_or_ask` does it."""
    authorize(principal, "approve_release")
    async with app.uow() as uow:
        row = await lock_request(
            uow, principal, request_id, version, agency_only=False, operation=Operation.RELEASE
        )
        gate, size = await _release(uow, app, principal, row, asking=False)
    if not gate.waiting:
        recorder().disclosure_released(size)  # committed
    return ReleaseOutcome(row, gate.waiting, gate.approvals)


async def _release(
    uow: UnitOfWork, app: AppParts, principal: Principal, row: Request, *, asking: bool
) -> tuple[approvals.Gate, int]:
    """Check the locked request may be released, pass four eyes (``approvals.gate``), and,
    unless the release waits for a second approval, release it; with the package's size in
    bytes (0 while the release waits)."""
    clock, plugins = app.clock, app.plugins
    now = clock.now()
    await _refuse_release(uow, plugins, row)
    targets, items = await releasable_items(uow, row)
    vendors = await vendors_for(uow, plugins, items, now)
    gate = await approvals.gate(uow, app, principal, row, asking=asking)
    if gate.waiting:
        return gate, 0
    package = Package(row, targets, items, now)
    disclosure = await _seal(uow, gate.released_by, app.disclosure_keys, app.data_source, package)
    view = await view_of_request(uow, row)
    delay = await plugins.notice_delay(view)
    await schedule_notices(uow, clock, principal, row, disclosure.id, targets, items, delay)
    for vendor, held in vendors:
        await plugins.vendor_notify(vendor, view, held)
    await plugins.after_release(view, disclosure.sha256)
    released: dict[str, Any] = {
        "disclosure": str(disclosure.id),
        "sha256": disclosure.sha256,
        "size": disclosure.size,
        "records": disclosure.record_count,
        "items": [str(i.id) for i in items],
    }
    if gate.approved_by is not None:
        released |= {"released_by": gate.released_by, "approved_by": gate.approved_by}
    await apply(uow, clock, principal, row, Operation.RELEASE, "disclosure.released", released)
    # answered either way; counted "with data" only when the package holds a record
    row.report_outcome = outcome_of_release(disclosure.record_count).value
    return gate, disclosure.size


async def _refuse_release(uow: UnitOfWork, host: PluginHost, row: Request) -> None:
    """A plugin's refusal, or a block finding still in force, stops the release."""
    refusals = await host.release_refusals(await view_of_request(uow, row))
    if refusals:
        raise DomainError(
            [
                Problem("requestId", f"{plugin}: {reason}", ErrorCode.RELEASE_REFUSED)
                for plugin, reason in refusals
            ]
        )
    await refuse_unresolved_blocks(uow, row.id)


@dataclass(frozen=True, slots=True)
class Package:
    """What one release puts in its package, and when."""

    request: Request
    targets: list[Target]
    items: list[RequestedItem]
    released_at: datetime


async def _seal(
    uow: UnitOfWork,
    released_by: str,
    keys: KeyRing,
    source: DataSource,
    package: Package,
) -> Disclosure:
    """The package written from ``source`` and sealed chunk by chunk as it fills, under the
    current key; its disclosure row with digest, size and counts."""
    row = package.request
    disclosure = Disclosure(
        request_id=row.id,
        agency_id=row.agency_id,
        sha256="",
        size=0,
        record_count=0,
        chunk_count=0,
        key_id=keys.current_id,
        released_at=package.released_at,
        released_by=released_by,
    )
    uow.add(disclosure)
    await uow.flush()

    async def sink(index: int, plaintext: bytes, last: bool) -> None:
        aad = associated_data(row.id, row.agency_id, index, last)
        nonce, ciphertext = seal(keys.current, plaintext, aad)
        await uow.disclosures.insert_chunk(disclosure.id, index, nonce, ciphertext)

    writer = ChunkWriter(sink)
    header = await _header(uow, package)
    sections = _sections(source, package.targets, package.items)
    disclosure.record_count = await write_package(writer, header, sections)
    disclosure.sha256 = await writer.close()
    disclosure.size, disclosure.chunk_count = writer.length, writer.chunks
    return disclosure


async def _header(uow: UnitOfWork, package: Package) -> dict[str, Any]:
    row = package.request
    basis = await uow.disclosures.legal_basis(row.legal_basis_id)
    assert basis is not None
    return {
        "request": {
            "id": str(row.id),
            "jurisdiction": row.jurisdiction,
            "received_at": row.received_at.isoformat(),
            "legal_basis": {
                "kind": basis.kind,
                "reference": basis.reference,
                "issued_by": basis.issued_by,
            },
        },
        "released_at": package.released_at.isoformat(),
    }


async def open_for_download(
    app: AppParts, principal: Principal, disclosure_id: uuid.UUID
) -> tuple[Disclosure, AsyncIterator[bytes]]:
    """The package for the agency that asked, checked whole before a byte is sent.

    Anyone else — another agency, staff, a client without ``disclosures:read`` — learns
    nothing: the refusal is answered exactly as an id that does not exist."""
    try:
        authorize(principal, "download_disclosure")
    except (NotAuthenticated, AccessDenied):
        raise DisclosureNotFound() from None
    work = app.uow
    async with work.read() as uow:
        disclosure = await uow.disclosures.get(disclosure_id)
    if disclosure is None or disclosure.agency_id != principal.agency_id:
        raise DisclosureNotFound()
    body = await read_checked(
        work,
        app.clock,
        principal,
        app.disclosure_keys,
        _sealed(disclosure),
        chunk_fetcher(work, lambda uow: uow.disclosures, disclosure.id),
        "disclosure.downloaded",
        {"sha256": disclosure.sha256, "size": disclosure.size},
    )
    return disclosure, body


def _sealed(disclosure: Disclosure) -> Sealed:
    request, agency = disclosure.request_id, disclosure.agency_id
    return Sealed(
        "disclosure",
        disclosure.id,
        request,
        disclosure.sha256,
        disclosure.key_id,
        disclosure.chunk_count,
        lambda index, last: associated_data(request, agency, index, last),
    )
