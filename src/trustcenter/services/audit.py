"""Reading and verifying the audit chain (appending lives in db.repositories.audit)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from trustcenter.auth.principal import Principal
from trustcenter.db.models import AuditEvent
from trustcenter.db.repositories.audit import record as record
from trustcenter.db.uow import UnitOfWorks
from trustcenter.domain.audit import SYSTEM as SYSTEM
from trustcenter.domain.audit import Actor, AuditRecord, Break, verify_chain
from trustcenter.services.access import OPERATOR_PREFIX, authorize
from trustcenter.services.deps import AppParts


def actor_of(principal: Principal) -> Actor:
    """Who the audit names for a principal: a person on the staff (by id and name, with the
    session or client that carried the action), the client acting, or the operator at the
    command line (``access.operator``) as ``Actor.operator`` names them ("cli:<user>")."""
    client_id = principal.client_id or "anonymous"
    if principal.staff_id is not None:
        via = f"session:{principal.session_id}" if principal.session_id else f"client:{client_id}"
        return Actor("person", str(principal.staff_id), name=principal.staff_name, via=via)
    if principal.is_staff and principal.client_pk is None and client_id.startswith(OPERATOR_PREFIX):
        return Actor.operator(client_id.removeprefix(OPERATOR_PREFIX))
    return Actor(principal.kind.value, client_id)


@dataclass(frozen=True, slots=True)
class Verification:
    """How many events were read, the first break (None: the chain holds), and the head the
    store recorded for its newest event (seq, hash; None while the log is empty)."""

    checked: int
    broken: Break | None
    head: tuple[int, str] | None = None


def _verified(events: Iterator[AuditRecord], head: tuple[int, str] | None) -> Verification:
    checked, broken = verify_chain(events, head)
    return Verification(checked, broken, head)


async def verify(app: AppParts, principal: Principal) -> Verification:
    """Recompute the whole chain, streaming it in order (the check is
    ``domain.audit.verify_chain``; this only reads the rows)."""
    authorize(principal, "verify_audit")
    async with app.uow.read() as uow:
        return await uow.audit.check_chain(_verified)


async def trails(
    work: UnitOfWorks, principal: Principal, request_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[AuditEvent]]:
    """Each request's events, oldest first (staff with the audit scope)."""
    authorize(principal, "read_audit")
    out: dict[uuid.UUID, list[AuditEvent]] = {i: [] for i in request_ids}
    async with work.read() as uow:
        for event in await uow.audit.events_of(request_ids):
            if event.request_id is not None:
                out[event.request_id].append(event)
    return out
