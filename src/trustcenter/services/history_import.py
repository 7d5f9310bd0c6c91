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
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from trustcenter.auth.principal import Principal
from trustcenter.clock import Clock
from trustcenter.db.uow import Conflict, UnitOfWorks
from trustcenter.domain.audit import Actor
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.history import (
    HistoricalOutcome,
    HistoryImportRejected,
    HistoryLine,
    Imported,
    ImportResult,
    LineProblem,
    Progress,
)
from trustcenter.domain.history_lines import Plan, check_file, parse_line
from trustcenter.domain.submission import known_basis_kinds
from trustcenter.services.access import authorize
from trustcenter.services.audit import actor_of
from trustcenter.services.history_write import BATCH, LOOKUP_CHUNK, write_plan

if TYPE_CHECKING:
    from trustcenter.services.deps import AppParts

# --- reading the file -----------------------------------------------------------------------


def _lines(data: bytes) -> list[tuple[int, str]]:
    """(line number, text) of every line that is not blank. Lines end at a line feed only (a
    JSON string may hold U+2028 and other characters ``str.splitlines`` would split at)."""
    text = data.decode("utf-8-sig")
    lines = (t.removesuffix("\r") for t in text.split("\n"))
    return [(n, t) for n, t in enumerate(lines, start=1) if t.strip()]


async def _imported(work: UnitOfWorks, external_ids: Collection[str]) -> dict[str, Imported]:
    ids = sorted(external_ids)
    out: dict[str, Imported] = {}
    async with work.read() as uow:
        for start in range(0, len(ids), LOOKUP_CHUNK):
            for row in await uow.history.imported(ids[start : start + LOOKUP_CHUNK]):
                out[row.external_id] = row
    return out


@dataclass(frozen=True, slots=True)
class _Checked:
    """A file whose every line passed: what to write, and what it was checked against."""

    file_sha256: str
    lines: int
    plan: Plan
    imported: dict[str, Imported]
    #: the time it was checked at, which the rows written record too
    now: datetime


async def import_history(
    app: AppParts,
    principal: Principal,
    data: bytes,
    *,
    on_progress: Progress | None = None,
) -> ImportResult:
    """Check every line of ``data`` (JSON lines), then write the new ones in one transaction.

    Raises :class:`HistoryImportRejected` with every problem (nothing is written) when any
    line is bad. Legal basis kinds are the built-in ones and those the plugins registered.
    One ``requests.imported`` audit event records each import that wrote anything."""
    authorize(principal, "import_history")
    work, clock = app.uow, app.clock
    report = on_progress or (lambda _phase, _done, _total: None)
    now = clock.now()
    kinds = known_basis_kinds(app.plugins.legal_basis_kinds)
    checked = await _check(work, data, now, kinds, report)
    plan = checked.plan
    created = superseded = 0
    if plan.new:
        created, superseded = await _write(work, clock, actor_of(principal), checked, report)
    return ImportResult(
        lines=checked.lines,
        imported=len(plan.new),
        skipped=len(plan.skipped),
        agencies_created=created,
        superseded=superseded,
        file_sha256=checked.file_sha256,
    )


async def _check(
    work: UnitOfWorks, data: bytes, now: datetime, kinds: Collection[str], report: Progress
) -> _Checked:
    """Every line checked, on its own and against the others and what was imported before;
    :class:`HistoryImportRejected` with every problem found."""
    raw = _decoded(data)
    parsed, problems = _parsed(raw, now, kinds, report)
    wanted = {line.external_id for line in parsed} | {
        line.revision_of for line in parsed if line.revision_of
    }
    imported = await _imported(work, wanted)
    plan, cross = check_file(parsed, imported)
    problems.extend(cross)
    if problems:
        raise HistoryImportRejected(problems)
    return _Checked(hashlib.sha256(data).hexdigest(), len(raw), plan, imported, now)


async def _write(
    work: UnitOfWorks, clock: Clock, actor: Actor, checked: _Checked, report: Progress
) -> tuple[int, int]:
    """The plan written in one transaction with its audit event; (agencies created, requests
    superseded)."""
    plan, written = checked.plan, 0

    def advance(count: int) -> None:
        nonlocal written
        written += count
        report("writing", written, len(plan.new))

    try:
        async with work() as uow:
            created, superseded = await write_plan(
                uow, plan, checked.imported, checked.now, advance
            )
            await uow.audit.record(
                clock,
                actor,
                "requests.imported",
                ("history_import", checked.file_sha256),
                data={
                    "file_sha256": checked.file_sha256,
                    "lines": checked.lines,
                    "imported": len(plan.new),
                    "skipped": len(plan.skipped),
                    "agencies_created": created,
                    "superseded": superseded,
                    "first_received_at": min(x.received_at for x in plan.new).isoformat(),
                    "last_received_at": max(x.received_at for x in plan.new).isoformat(),
                },
            )
    except Conflict:
        raise DomainError.single(
            "file",
            "another import wrote some of these requests meanwhile; nothing was written by "
            "this one: run it again",
            ErrorCode.CONFLICT,
        ) from None
    return created, superseded


def _decoded(data: bytes) -> list[tuple[int, str]]:
    """The file's lines (:func:`_lines`), or the whole file refused when it is not UTF-8."""
    try:
        return _lines(data)
    except UnicodeDecodeError as error:
        raise HistoryImportRejected(
            [LineProblem(data.count(b"\n", 0, error.start) + 1, "line", "is not UTF-8")]
        ) from None


def _parsed(
    raw: list[tuple[int, str]], now: datetime, kinds: Collection[str], report: Progress
) -> tuple[list[HistoryLine], list[LineProblem]]:
    """Every line checked on its own: the good ones, and every problem found."""
    problems: list[LineProblem] = []
    parsed: list[HistoryLine] = []
    for done, (number, text) in enumerate(raw, start=1):
        line, found = parse_line(number, text, now, kinds)
        problems.extend(found)
        if line is not None:
            parsed.append(line)
        if done % BATCH == 0 or done == len(raw):
            report("checking", done, len(raw))
    return parsed, problems


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
