"""Importing the company's earlier requests (``trustcenter requests import FILE``), so that the
transparency report covers the years before this system existed.

The file holds JSON lines, one past request per line (the format is in ``docs/operations.md``).
Every line is checked first, without writing anything: a file with any bad line is refused as
a whole, with every problem and its line number. A good file is then written in one
transaction. A line whose ``external_id`` was imported before is skipped when it says the same
as then (a second import of the same file writes nothing) and is an error when it does not.

Imported requests are counted exactly like live ones: each carries the report outcome, the
date of the first answer, the category (:func:`derive_category`) and the agency's country that
the report reads.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, Table, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from trustcenter.clock import Clock
from trustcenter.db.models import Agency, LegalBasis, Request, RequestedItem, Target
from trustcenter.db.repositories.audit import record
from trustcenter.db.session import Database
from trustcenter.domain.audit import Actor
from trustcenter.domain.enums import (
    DecisionOutcome,
    LegalBasisKind,
    ReasonCode,
    VerificationState,
)
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.history import (
    DECIDED_BY,
    NOT_RECORDED,
    H,
    HistoricalOutcome,
    HistoryImportRejected,
    HistoryLine,
    HistoryTarget,
    Imported,
    ImportResult,
    LineProblem,
    Progress,
)
from trustcenter.domain.history_lines import Plan, check_file, parse_line
from trustcenter.domain.lifecycle import BEFORE_DISCLOSURE, RequestStatus
from trustcenter.domain.rules import default_deadline, derive_category

#: lines written per round trip (each batch is a handful of multi-row INSERTs)
BATCH = 1000
#: external ids looked up per query (well below every driver's parameter limit)
LOOKUP_CHUNK = 1000

# --- reading the file -----------------------------------------------------------------------


def _lines(data: bytes) -> list[tuple[int, str]]:
    """(line number, text) of every line that is not blank. Lines end at a line feed only (a
    JSON string may hold U+2028 and other characters ``str.splitlines`` would split at)."""
    text = data.decode("utf-8-sig")
    lines = (t.removesuffix("\r") for t in text.split("\n"))
    return [(n, t) for n, t in enumerate(lines, start=1) if t.strip()]


async def _imported(db: Database, external_ids: Collection[str]) -> dict[str, Imported]:
    ids = sorted(external_ids)
    out: dict[str, Imported] = {}
    async with db.reader() as session:
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start : start + LOOKUP_CHUNK]
            rows = await session.execute(
                select(
                    Request.id,
                    Request.external_id,
                    Request.payload_sha256,
                    Request.status,
                    Request.received_at,
                    Agency.name,
                    Agency.country,
                )
                .join(Agency, Agency.id == Request.agency_id)
                .where(Request.external_id.in_(chunk))
            )
            for r in rows:
                out[r.external_id] = Imported(
                    r.id, r.external_id, r.payload_sha256, r.status, r.received_at,
                    (r.name, r.country),
                )  # fmt: skip
    return out


# --- writing --------------------------------------------------------------------------------


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


async def _write(
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


async def _audit(
    session: AsyncSession,
    clock: Clock,
    actor: Actor | None,
    file_sha256: str,
    plan: Plan,
    total: int,
    agencies_created: int,
    superseded: int,
) -> None:
    await record(
        session,
        clock,
        actor or Actor.operator(),
        "requests.imported",
        ("history_import", file_sha256),
        data={
            "file_sha256": file_sha256,
            "lines": total,
            "imported": len(plan.new),
            "skipped": len(plan.skipped),
            "agencies_created": agencies_created,
            "superseded": superseded,
            "first_received_at": min(x.received_at for x in plan.new).isoformat(),
            "last_received_at": max(x.received_at for x in plan.new).isoformat(),
        },
    )


async def import_history(
    db: Database,
    clock: Clock,
    data: bytes,
    *,
    actor: Actor | None = None,
    basis_kinds: Collection[str] = (),
    on_progress: Progress | None = None,
) -> ImportResult:
    """Check every line of ``data`` (JSON lines), then write the new ones in one transaction.

    Raises :class:`HistoryImportRejected` with every problem (nothing is written) when any
    line is bad. ``basis_kinds``: legal basis kinds plugins registered, besides the built-in
    ones. One ``requests.imported`` audit event records each import that wrote anything."""
    report = on_progress or (lambda _phase, _done, _total: None)
    now = clock.now()
    file_sha256 = hashlib.sha256(data).hexdigest()
    try:
        raw = _lines(data)
    except UnicodeDecodeError as error:
        raise HistoryImportRejected(
            [LineProblem(data.count(b"\n", 0, error.start) + 1, "line", "is not UTF-8")]
        ) from None
    total = len(raw)
    kinds = {k.value for k in LegalBasisKind} | {k.lower() for k in basis_kinds}
    problems: list[LineProblem] = []
    parsed: list[HistoryLine] = []
    for done, (number, text) in enumerate(raw, start=1):
        line, found = parse_line(number, text, now, kinds)
        problems.extend(found)
        if line is not None:
            parsed.append(line)
        if done % BATCH == 0 or done == total:
            report("checking", done, total)
    wanted = {line.external_id for line in parsed} | {
        line.revision_of for line in parsed if line.revision_of
    }
    imported = await _imported(db, wanted)
    plan, cross = check_file(parsed, imported)
    problems.extend(cross)
    if problems:
        raise HistoryImportRejected(problems)
    agencies_created = superseded = 0
    if plan.new:
        written = 0

        def advance(count: int) -> None:
            nonlocal written
            written += count
            report("writing", written, len(plan.new))

        try:
            async with db.transaction() as session:
                agencies_created, superseded = await _write(session, plan, imported, now, advance)
                counts = (total, agencies_created, superseded)
                await _audit(session, clock, actor, file_sha256, plan, *counts)
        except IntegrityError:
            raise DomainError.single(
                "file",
                "another import wrote some of these requests meanwhile; nothing was written by "
                "this one: run it again",
                ErrorCode.CONFLICT,
            ) from None
    return ImportResult(
        lines=total,
        imported=len(plan.new),
        skipped=len(plan.skipped),
        agencies_created=agencies_created,
        superseded=superseded,
        file_sha256=file_sha256,
    )


__all__ = [
    "HistoricalOutcome",
    "HistoryImportRejected",
    "HistoryLine",
    "ImportResult",
    "LineProblem",
    "check_file",
    "import_history",
    "parse_line",
]
