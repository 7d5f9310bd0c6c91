"""Four eyes on a release: how many people must agree, recording their approvals, and what
staff read of them (the rules are ``domain.four_eyes``; the release itself is
``services.disclosure``).

An approval never changes the request's version (only a change to the request does, and that
voids the approvals given before it); each one is audited: ``release.approval_requested`` for
the first, ``release.approved`` for the second, which the release then follows.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from trustcenter.auth.principal import Principal
from trustcenter.db.models import ReleaseApproval, Request
from trustcenter.db.uow import UnitOfWork
from trustcenter.domain import four_eyes
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.lifecycle import RequestStatus
from trustcenter.plugins.api import ItemView, RequestView
from trustcenter.services.access import request_scope
from trustcenter.services.audit import actor_of
from trustcenter.services.deps import AppParts
from trustcenter.services.plugin_views import stored_request_view, view_of_request
from trustcenter.services.view_records import ApprovalView, approval_view

#: statuses in which a request has been released (its approvals are those it went out on)
_RELEASED = frozenset({RequestStatus.DISCLOSED.value, RequestStatus.CLOSED.value})


def approver(principal: Principal) -> tuple[str, str]:
    """Who approves, as recorded: the id their decisions carry (``decided_by``: a person's
    ``person:<e-mail>``, a client's id) and the name the audit gives them."""
    actor_id = principal.client_id or ""
    return actor_id, actor_of(principal).name or actor_id


async def approvers_needed(uow: UnitOfWork, app: AppParts, row: Request) -> int:
    """The deployment's number, raised by what the plugins ask for this request."""
    asked = await app.plugins.release_approvers(await view_of_request(uow, row))
    return four_eyes.approvers_needed(app.settings.release_approvers, [asked] if asked else [])


@dataclass(frozen=True, slots=True)
class Gate:
    """Where four eyes leave a release: go ahead (released by ``released_by``, approved by
    ``approved_by`` when a second person did), or wait for a second approval."""

    waiting: bool
    #: the approvals in force, the caller's included
    approvals: tuple[ApprovalView, ...]
    released_by: str
    approved_by: str | None = None


async def gate(
    uow: UnitOfWork, app: AppParts, principal: Principal, row: Request, *, asking: bool
) -> Gate:
    """Four eyes on the locked, releasable ``row``. ``asking`` (``release``): alone when one
    person suffices; else the first approval is recorded and the release waits, or, when
    another person asked already, this is the second approval. Not ``asking``
    (``approveRelease``): the second approval of a release someone asked for at the request's
    current version. A refused approval raises DomainError and records nothing."""
    me, _ = approver(principal)
    needed = await approvers_needed(uow, app, row)
    given = await uow.approvals.of_request(row.id)
    pending = four_eyes.in_force(given, row.version)
    if asking and (needed < four_eyes.TWO or not pending):
        if needed < four_eyes.TWO:
            return Gate(False, (), me)
        mine = await _record(uow, app, principal, row, "release.approval_requested", needed)
        return Gate(True, (mine,), me)
    if not pending:
        raise _nothing_to_approve(given, row.version)
    refusal = four_eyes.approval_refusal(
        me, await uow.approvals.deciders_of(row.id), [approval_view(g) for g in pending]
    )
    if refusal is not None:
        raise DomainError.single("requestId", refusal, ErrorCode.RELEASE_REFUSED)
    asker = pending[0].actor_id
    mine = await _record(uow, app, principal, row, "release.approved", needed, asker)
    return Gate(False, (*[approval_view(g) for g in pending], mine), asker, me)


def _nothing_to_approve(given: Sequence[ReleaseApproval], version: int) -> DomainError:
    if given:
        asked_at = max(g.version for g in given)
        message = four_eyes.voided_message(asked_at, version)
        return DomainError.single("requestId", message, ErrorCode.CONFLICT)
    return DomainError.single(
        "requestId",
        "nobody has asked for this request's release: releaseDisclosure asks for it (and "
        "releases it when one person suffices)",
        ErrorCode.INVALID_TRANSITION,
    )


async def _record(
    uow: UnitOfWork,
    app: AppParts,
    principal: Principal,
    row: Request,
    action: str,
    needed: int,
    asked_by: str | None = None,
) -> ApprovalView:
    """The caller's approval at the request's current version, audited."""
    actor_id, name = approver(principal)
    approval = ReleaseApproval(
        request_id=row.id,
        version=row.version,
        actor_id=actor_id,
        actor_name=name,
        created_at=app.clock.now(),
    )
    uow.add(approval)
    await uow.flush()
    data: dict[str, Any] = {"version": row.version, "approvers_needed": needed}
    if asked_by is not None:
        data["asked_by"] = asked_by
    await uow.audit.record(
        app.clock, actor_of(principal), action, ("request", row.id), request_id=row.id, data=data
    )
    return approval_view(approval)


# --- what staff read --------------------------------------------------------------------------


async def approvals_of(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ApprovalView]]:
    """Staff: each request's approvals as ``four_eyes.shown`` says (in force, or those it was
    released on), oldest first. Anyone else reads none."""
    if not principal.is_staff:
        return {}
    request_scope(principal)
    async with app.uow.read() as uow:
        rows = await uow.approvals.of_requests(ids)
    given: dict[uuid.UUID, list[ApprovalView]] = {i: [] for i in ids}
    state: dict[uuid.UUID, tuple[int, bool]] = {}
    for row, version, status in rows:
        given[row.request_id].append(approval_view(row))
        state[row.request_id] = (version, status in _RELEASED)
    return {
        i: four_eyes.shown(views, *state[i]) if i in state else [] for i, views in given.items()
    }


async def approvers_needed_of(
    app: AppParts, principal: Principal, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Staff: how many people must agree to each request's release. Anyone else reads none.
    One batch of reads, whatever the number of requests."""
    if not principal.is_staff:
        return {}
    request_scope(principal)
    async with app.uow.read() as uow:
        views = await _plugin_views(uow, ids)
    floor = app.settings.release_approvers
    out = {}
    for request_id, view in views.items():
        asked = await app.plugins.release_approvers(view)
        out[request_id] = four_eyes.approvers_needed(floor, [asked] if asked else [])
    return out


async def _plugin_views(uow: UnitOfWork, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, RequestView]:
    """The requests as plugins see them (``plugin_views.view_of_request``), read for many at
    once: requests, agencies, legal bases, targets and items, one statement each."""
    requests = await uow.requests.by_ids(ids, None)
    if not requests:
        return {}
    wanted = list({r.agency_id for r in requests.values()})
    agencies = {a.id: a for a in await uow.reads.agencies(wanted)}
    bases = await uow.requests.legal_bases([r.legal_basis_id for r in requests.values()])
    found = list(requests)
    targets = await uow.requests.targets_for(found)
    items = await uow.requests.items_for(found)
    out = {}
    for request_id, r in requests.items():
        agency, basis = agencies[r.agency_id], bases[r.legal_basis_id]
        named = {t.id: t for t in targets[request_id]}
        shown = tuple(
            ItemView(
                named[i.target_id].identifier_type,
                named[i.target_id].identifier,
                i.info_type,
                i.range_from,
                i.range_to,
            )
            for i in items[request_id]
        )
        out[request_id] = stored_request_view(r, agency, basis, shown)
    return out
