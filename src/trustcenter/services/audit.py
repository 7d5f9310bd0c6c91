"""Reading, sealing and verifying the audit chain (appending lives in db.repositories.audit).

Writers add unsealed events without touching any shared row; ``seal`` chains the committed
ones, in number order, in short transactions of at most ``SEAL_BATCH`` events (the command
``trustcenter audit seal``, and ``serve`` and the notice worker every few seconds through
``audit_sealer``)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from trustcenter.auth.principal import Principal
from trustcenter.db.models import AuditEvent
from trustcenter.db.repositories.audit import record as record
from trustcenter.db.uow import UnitOfWorks
from trustcenter.domain.audit import SYSTEM as SYSTEM
from trustcenter.domain.audit import Actor, AuditRecord, Break, verify_log
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


#: events one sealing transaction chains at most
SEAL_BATCH = 1000


@dataclass(frozen=True, slots=True)
class Verification:
    """How many events were read, the first break (None: the log holds), the head the store
    recorded for its newest sealed event (position, hash; None while nothing is sealed), and
    how many of the events read are not sealed yet (each checked against its own hash)."""

    checked: int
    broken: Break | None
    head: tuple[int, str] | None = None
    unsealed: int = 0


def _verified(
    sealed: Iterator[AuditRecord], head: tuple[int, str] | None, tail: Iterator[AuditRecord]
) -> Verification:
    found = verify_log(sealed, head, tail)
    return Verification(found.checked, found.broken, head, found.unsealed)


async def verify(app: AppParts, principal: Principal) -> Verification:
    """Recompute the whole chain, streaming it in chain order, then check each unsealed
    event's own hash (the check is ``domain.audit.verify_log``; this only reads the rows)."""
    authorize(principal, "verify_audit")
    async with app.uow.read(snapshot=True) as uow:  # the head and both streams agree
        return await uow.audit.check_chain(_verified)


@dataclass(frozen=True, slots=True)
class Sealing:
    """What a call of ``seal`` did: events chained, transactions, the head it left, and an
    unsealed event that does not match its own hash (sealing stops before it)."""

    sealed: int
    rounds: int
    head: tuple[int, str] | None
    stuck: Break | None = None


async def seal(app: AppParts, *, batch: int = SEAL_BATCH, rounds: int | None = None) -> Sealing:
    """Chain every committed unsealed event, ``batch`` at a time, each batch in its own short
    transaction (``rounds`` caps them). An event that commits later is sealed by a later call.
    Safe beside another sealer: the head's lock orders them."""
    total, done, head = 0, 0, None
    while rounds is None or done < rounds:
        async with app.uow() as uow:
            found = await uow.audit.seal(batch)
        done, total, head = done + 1, total + found.sealed, found.head
        if found.stuck is not None:
            return Sealing(total, done, head, found.stuck)
        if found.sealed < batch:
            break
    return Sealing(total, done, head)


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
