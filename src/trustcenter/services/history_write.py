"""Writing a checked history file (``domain.history_lines.Plan``) in the caller's transaction:
agencies found or created, then the new requests (``domain.new_request.imported``: legal basis,
request with its report outcome and answer date, targets and their items) in batches of
multi-row INSERTs, and the requests imported before that a new line revises superseded. The
reading, checking and the audit event are ``services.history_import``."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from trustcenter.db.uow import UnitOfWork
from trustcenter.domain.enums import VerificationState
from trustcenter.domain.history import HistoryLine, Imported
from trustcenter.domain.history_lines import Plan
from trustcenter.domain.lifecycle import Operation, RequestStatus, can, transition
from trustcenter.domain.new_request import Sender, imported

#: lines written per round trip (each batch is a handful of multi-row INSERTs)
BATCH = 1000
#: external ids looked up per query (well below every driver's parameter limit)
LOOKUP_CHUNK = 1000


async def write_plan(
    uow: UnitOfWork,
    plan: Plan,
    known: Mapping[str, Imported],
    now: datetime,
    progress: Callable[[int], None],
) -> tuple[int, int]:
    """Insert the plan's new lines; returns (agencies created, requests superseded).
    ``known``: the requests imported before under the external ids the file names."""
    agencies, created = await _agencies(uow, plan.new, now)
    ids: dict[str, uuid.UUID] = {ext: row.id for ext, row in known.items()}
    superseded = 0
    for start in range(0, len(plan.new), BATCH):
        batch = []
        for line in plan.new[start : start + BATCH]:
            new = imported(
                line,
                agencies[line.agency_key],
                now,
                uuid.uuid4,
                revision_of=ids[line.revision_of] if line.revision_of else None,
                revised=line.external_id in plan.revised,
            )
            ids[line.external_id] = new.id
            superseded += new.status is RequestStatus.SUPERSEDED
            batch.append(new)
        await uow.requests.insert_new(batch)
        progress(len(batch))
    return created, superseded + await _supersede_known(uow, plan, known, now)


async def _supersede_known(
    uow: UnitOfWork, plan: Plan, known: Mapping[str, Imported], now: datetime
) -> int:
    """Requests imported before that a new line revises, each moved by the lifecycle's
    SUPERSEDE where it allows that (one UPDATE for them all); how many."""
    moved: dict[RequestStatus, list[uuid.UUID]] = {}
    for ext in plan.revised:
        row = known.get(ext)
        if row is not None and can(Operation.SUPERSEDE, RequestStatus(row.status)):
            after = transition(RequestStatus(row.status), Operation.SUPERSEDE)
            moved.setdefault(after, []).append(row.id)
    for status, ids in moved.items():
        await uow.requests.set_status(ids, status.value, now)
    return sum(len(ids) for ids in moved.values())


async def _agencies(
    uow: UnitOfWork, lines: Sequence[HistoryLine], now: datetime
) -> tuple[dict[tuple[str, str], Sender], int]:
    """(name, country) -> the agency as sender (its id and country), creating the agencies
    not there yet; and how many were created."""
    wanted = {line.agency_key: line for line in lines}
    names = sorted({name for name, _ in wanted})
    found: dict[tuple[str, str], Sender] = {}
    for start in range(0, len(names), LOOKUP_CHUNK):
        for agency_id, name, country in await uow.history.agencies_named(
            names[start : start + LOOKUP_CHUNK]
        ):
            found.setdefault((name, country), Sender(agency_id, country))
    created: list[dict[str, Any]] = []
    for key, line in wanted.items():
        if key in found:
            continue
        agency_id = uuid.uuid4()
        found[key] = Sender(agency_id, line.agency_country)
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
        await uow.history.insert_agencies(created)
    return found, len(created)
