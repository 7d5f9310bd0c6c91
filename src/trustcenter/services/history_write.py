"""Writing a checked history file (``domain.history_lines.Plan``) in the caller's transaction:
agencies found or created, legal bases, requests with their report outcome and answer date,
targets and their requested items, in batches of multi-row INSERTs. The reading, checking and
the audit event are ``services.history_import``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.db.models import Agency, LegalBasis, Request, RequestedItem, Target
from trustcenter.domain.enums import (
    DecisionOutcome,
    ReasonCode,
    VerificationState,
)
from trustcenter.domain.history import (
    DECIDED_BY,
    NOT_RECORDED,
    H,
    HistoryLine,
    HistoryTarget,
    Imported,
)
from trustcenter.domain.history_lines import Plan
from trustcenter.domain.lifecycle import BEFORE_DISCLOSURE, RequestStatus
from trustcenter.domain.rules import default_deadline, derive_category

#: lines written per round trip (each batch is a handful of multi-row INSERTs)
BATCH = 1000
#: external ids looked up per query (well below every driver's parameter limit)
LOOKUP_CHUNK = 1000


def _core(model: type[Any]) -> Insert:
    """A plain Core INSERT: executemany without the ORM's per-row bookkeeping."""
    table: Table = model.__table__
    return insert(table)


def _items(
    line: HistoryLine, request_id: uuid.UUID, target_id: uuid.UUID, target: HistoryTarget
) -> list[dict[str, Any]]:
    """The requested items of one target, decided as the outcome says.

    DISCLOSED: every item approved. PARTIALLY_DISCLOSED: the earlier records do not say which
    part was disclosed, so the first information type (A to E) of each target is approved and
    the others rejected as overbroad. OBJECTED: every item objected to; REJECTED: every item
    rejected. WITHDRAWN and PENDING: undecided."""
    out: list[dict[str, Any]] = []
    for position, info in enumerate(target.info_types):
        decision: str | None = None
        reason: str | None = None
        explanation: str | None = None
        if line.outcome is H.DISCLOSED:
            decision = DecisionOutcome.APPROVE.value
        elif line.outcome is H.PARTIALLY_DISCLOSED:
            if position == 0:
                decision = DecisionOutcome.APPROVE.value
            else:
                decision, reason = DecisionOutcome.REJECT.value, ReasonCode.OVERBROAD.value
            explanation = "partially disclosed; the earlier records do not say which part"
        elif line.outcome is H.OBJECTED:
            decision = DecisionOutcome.OBJECT.value
        elif line.outcome is H.REJECTED:
            decision = DecisionOutcome.REJECT.value
        out.append(
            {
                "id": uuid.uuid4(),
                "request_id": request_id,
                "target_id": target_id,
                "info_type": info.value,
                "range_from": None,
                "range_to": None,
                "outcome": decision,
                "reason_code": reason,
                "explanation": explanation,
                "approved_from": None,
                "approved_to": None,
                "approved_fields": None,
                "decided_at": line.responded_at if decision else None,
                "decided_by": DECIDED_BY if decision else None,
            }
        )
    return out


async def _agencies(
    session: AsyncSession, lines: Sequence[HistoryLine], now: datetime
) -> tuple[dict[tuple[str, str], tuple[uuid.UUID, str]], int]:
    """(name, country) -> (agency id, its country), creating the agencies not there yet."""
    wanted = {line.agency_key: line for line in lines}
    names = sorted({name for name, _ in wanted})
    found: dict[tuple[str, str], tuple[uuid.UUID, str]] = {}
    for start in range(0, len(names), LOOKUP_CHUNK):
        rows = await session.execute(
            select(Agency.id, Agency.name, Agency.country)
            .where(Agency.name.in_(names[start : start + LOOKUP_CHUNK]))
            .order_by(Agency.created_at, Agency.id)
        )
        for r in rows:
            found.setdefault((r.name, r.country), (r.id, r.country))
    created = []
    for key, line in wanted.items():
        if key in found:
            continue
        agency_id = uuid.uuid4()
        found[key] = (agency_id, line.agency_country)
        created.append(
            {
                "id": agency_id,
                "name": line.agency_name,
                "kind": line.agency_kind.value,
                "country": line.agency_country,
                "region": None,
                "contact_email": None,
                "verification": VerificationState.VERIFIED.value,
                "created_at": now,
                "verified_at": now,
            }
        )
    if created:
        await session.execute(_core(Agency), created)
    return found, len(created)


async def write_plan(
    session: AsyncSession,
    plan: Plan,
    imported: Mapping[str, Imported],
    now: datetime,
    progress: Callable[[int], None],
) -> tuple[int, int]:
    """Insert the plan's new lines; returns (agencies created, requests superseded)."""
    agencies, created = await _agencies(session, plan.new, now)
    ids: dict[str, uuid.UUID] = {ext: row.id for ext, row in imported.items()}
    superseded = 0
    for start in range(0, len(plan.new), BATCH):
        batch = plan.new[start : start + BATCH]
        bases: list[dict[str, Any]] = []
        requests: list[dict[str, Any]] = []
        targets: list[dict[str, Any]] = []
        items: list[dict[str, Any]] = []
        for line in batch:
            request_id, basis_id = uuid.uuid4(), uuid.uuid4()
            ids[line.external_id] = request_id
            agency_id, country = agencies[line.agency_key]
            bases.append(
                {
                    "id": basis_id,
                    "kind": line.basis_kind,
                    "reference": line.basis_reference,
                    "issued_by": line.agency_name,
                    "issuer_role": None,
                    "issued_at": line.received_at.date(),
                    "expires_at": None,
                    "non_disclosure_until": None,
                    "document": None,
                    "document_sha256": None,
                    "document_size": None,
                    "created_at": now,
                }
            )
            status = line.outcome.status
            later = plan.revised.get(line.external_id)
            if later is not None and status in BEFORE_DISCLOSURE:
                status = RequestStatus.SUPERSEDED
                superseded += 1
            category = derive_category(
                line.emergency, [(t.identifier_type, t.info_types) for t in line.targets]
            )
            requests.append(
                {
                    "id": request_id,
                    "agency_id": agency_id,
                    "client_id": None,
                    "legal_basis_id": basis_id,
                    "revision_of_id": ids[line.revision_of] if line.revision_of else None,
                    "jurisdiction": line.jurisdiction,
                    "country": country,
                    "category": category.value,
                    "status": status.value,
                    "emergency": line.emergency,
                    "emergency_description": NOT_RECORDED if line.emergency else None,
                    "reason": f"Imported from the earlier records ({line.external_id}); "
                    f"the reason was {NOT_RECORDED}.",
                    "officer_name": NOT_RECORDED,
                    "officer_title": "",
                    "officer_email": "",
                    "officer_phone": "",
                    "received_at": line.received_at,
                    "deadline": default_deadline(line.received_at, line.emergency),
                    "updated_at": now,
                    "version": 1,
                    "idempotency_key": None,
                    "hold_until": None,
                    "hold_extensions": 0,
                    "payload_sha256": line.payload_sha256,
                    "report_outcome": line.outcome.report_outcome.value,
                    "responded_at": line.responded_at,
                    "external_id": line.external_id,
                }
            )
            for position, t in enumerate(line.targets):
                target_id = uuid.uuid4()
                targets.append(
                    {
                        "id": target_id,
                        "request_id": request_id,
                        "position": position,
                        "identifier_type": t.identifier_type.value,
                        "identifier": t.identifier,
                    }
                )
                items.extend(_items(line, request_id, target_id, t))
        await session.execute(_core(LegalBasis), bases)
        await session.execute(_core(Request), requests)
        await session.execute(_core(Target), targets)
        await session.execute(_core(RequestedItem), items)
        progress(len(batch))
    # requests imported before that a new line revises, when the lifecycle would supersede them
    before = [
        imported[ext].id
        for ext in plan.revised
        if ext in imported and RequestStatus(imported[ext].status) in BEFORE_DISCLOSURE
    ]
    if before:
        await session.execute(
            update(Request)
            .where(Request.id.in_(before))
            .values(
                status=RequestStatus.SUPERSEDED.value,
                version=Request.version + 1,
                updated_at=now,
            )
        )
        superseded += len(before)
    return created, superseded
