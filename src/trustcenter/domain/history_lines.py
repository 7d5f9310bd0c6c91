"""The history file checked (pure): each line parsed into a ``HistoryLine`` or its problems
with the line number, then the file as a whole (duplicates, revisions, what is already stored)
into the ``Plan`` of what to write. The format and its vocabulary are ``domain.history``;
writing the plan is ``services.history_import``."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from trustcenter.domain.enums import (
    AgencyKind,
    IdentifierType,
    InfoType,
)
from trustcenter.domain.history import (
    AGENCY_FIELDS,
    BASIS_FIELDS,
    FIELDS,
    MAX_EXTERNAL_ID,
    OPTIONAL,
    TARGET_FIELDS,
    HistoricalOutcome,
    HistoryLine,
    HistoryTarget,
    Imported,
    LineProblem,
)
from trustcenter.domain.submission import (
    MAX_NAME,
    MAX_TARGETS,
    normalise_identifier,
    parse_identifier_type,
    parse_info_type,
    valid_region_code,
)

# --- parsing one line (pure) ----------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    number: int
    problems: list[LineProblem] = field(default_factory=list)

    def problem(self, path: str, message: str) -> None:
        self.problems.append(LineProblem(self.number, path, message))


def _fields(
    line: _Line, value: object, path: str, known: frozenset[str], optional: frozenset[str]
) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        line.problem(path or "line", "must be a JSON object")
        return None
    prefix = f"{path}." if path else ""
    for name in sorted(set(value) - known):
        line.problem(f"{prefix}{name}", "is not a field of a history line")
    for name in sorted(known - optional - set(value)):
        line.problem(f"{prefix}{name}", "is required")
    return value


def _string(line: _Line, data: Mapping[str, Any], name: str, path: str, limit: int) -> str | None:
    if name not in data:
        return None  # reported as missing already
    value = data[name]
    if not isinstance(value, str) or not value.strip():
        line.problem(path, "must be a non-empty string")
        return None
    value = value.strip()
    if len(value) > limit:
        line.problem(path, f"is longer than {limit} characters")
        return None
    return value


def _timestamp(line: _Line, raw: object, path: str, now: datetime) -> datetime | None:
    if not isinstance(raw, str):
        line.problem(path, "must be an ISO 8601 date and time string, such as 2024-03-01T09:30Z")
        return None
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        line.problem(path, f"{raw!r} is not an ISO 8601 date and time")
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        line.problem(path, f"{raw!r} has no time zone; add one (Z or an offset such as +01:00)")
        return None
    try:
        value = value.astimezone(UTC)
    except OverflowError:
        line.problem(path, f"{raw!r} is out of range")
        return None
    if value > now:
        line.problem(path, "is in the future")
        return None
    return value


def _choice(line: _Line, raw: object, path: str, known: Iterable[str]) -> str | None:
    names = sorted(known)
    if isinstance(raw, str) and raw.strip().upper() in names:
        return raw.strip().upper()
    line.problem(path, f"{raw!r} is not one of {', '.join(names)}")
    return None


def _country(line: _Line, raw: object, path: str, *, subdivision: bool) -> str | None:
    code = raw.strip().upper() if isinstance(raw, str) else ""
    if code and (len(code) == 2 or subdivision) and valid_region_code(code):
        return code
    kind = "ISO 3166 country or subdivision code" if subdivision else "ISO 3166-1 country code"
    line.problem(path, f"{raw!r} is not an {kind}")
    return None


def _targets(line: _Line, raw: object) -> tuple[HistoryTarget, ...] | None:
    if not isinstance(raw, list) or not raw:
        line.problem("targets", "must be a non-empty list")
        return None
    if len(raw) > MAX_TARGETS:
        line.problem("targets", f"at most {MAX_TARGETS} targets per request")
        return None
    before = len(line.problems)
    out: list[HistoryTarget] = []
    seen: set[tuple[IdentifierType, str]] = set()
    for index, item in enumerate(raw):
        path = f"targets[{index}]"
        data = _fields(line, item, path, TARGET_FIELDS, frozenset())
        if data is None:
            continue
        kind: IdentifierType | None = None
        if "identifier_type" in data:
            raw_kind = data["identifier_type"]
            kind = parse_identifier_type(raw_kind) if isinstance(raw_kind, str) else None
            if kind is None:
                known = ", ".join(t.name for t in IdentifierType)
                line.problem(f"{path}.identifier_type", f"{raw_kind!r} is not one of {known}")
        identifier: str | None = None
        if kind is not None and "identifier" in data:
            raw_id = data["identifier"]
            identifier = normalise_identifier(kind, raw_id) if isinstance(raw_id, str) else None
            if identifier is None:
                line.problem(f"{path}.identifier", f"{raw_id!r} is not a valid {kind.name}")
            elif (kind, identifier) in seen:
                line.problem(f"{path}.identifier", "names the same target twice")
            seen.add((kind, identifier or ""))
        infos = _info_types(line, data.get("info_types"), f"{path}.info_types", data)
        if kind is not None and identifier is not None and infos is not None:
            out.append(HistoryTarget(kind, identifier, infos))
    return tuple(out) if len(line.problems) == before else None


def _info_types(
    line: _Line, raw: object, path: str, data: Mapping[str, Any]
) -> tuple[InfoType, ...] | None:
    if "info_types" not in data:
        return None
    if not isinstance(raw, list) or not raw:
        line.problem(path, "must be a non-empty list of information types (A to E)")
        return None
    infos: list[InfoType] = []
    for value in raw:
        info = parse_info_type(value) if isinstance(value, str) else None
        if info is None:
            line.problem(path, f"{value!r} is not an information type (A to E)")
            return None
        if info in infos:
            line.problem(path, f"lists {info.value} twice")
            return None
        infos.append(info)
    return tuple(sorted(infos))


def parse_line(
    number: int, text: str, now: datetime, basis_kinds: Collection[str]
) -> tuple[HistoryLine | None, list[LineProblem]]:
    """Check one line on its own (cross-line checks come after): the line normalised, or
    None, and every problem found in it."""
    line = _Line(number)
    try:
        raw = json.loads(text)
    except ValueError as error:
        line.problem("line", f"is not JSON ({error})")
        return None, line.problems
    except RecursionError:
        line.problem("line", "is nested too deeply to be a request")
        return None, line.problems
    data = _fields(line, raw, "", FIELDS, OPTIONAL)
    if data is None:
        return None, line.problems
    external_id = _string(line, data, "external_id", "external_id", MAX_EXTERNAL_ID)
    received_at = None
    if "received_at" in data:
        received_at = _timestamp(line, data["received_at"], "received_at", now)
    responded_at = None
    if data.get("responded_at") is not None:
        responded_at = _timestamp(line, data["responded_at"], "responded_at", now)
        if responded_at and received_at and responded_at < received_at:
            line.problem("responded_at", "is before received_at")
    agency_name = agency_kind = agency_country = None
    agency = None
    if "agency" in data:
        agency = _fields(line, data["agency"], "agency", AGENCY_FIELDS, frozenset())
    if agency is not None:
        agency_name = _string(line, agency, "name", "agency.name", MAX_NAME)
        if "kind" in agency:
            agency_kind = _choice(line, agency["kind"], "agency.kind", (k.name for k in AgencyKind))
        if "country" in agency:
            agency_country = _country(line, agency["country"], "agency.country", subdivision=False)
    jurisdiction = None
    if "jurisdiction" in data:
        jurisdiction = _country(line, data["jurisdiction"], "jurisdiction", subdivision=True)
    basis_kind = basis_reference = None
    basis = None
    if "legal_basis" in data:
        basis = _fields(line, data["legal_basis"], "legal_basis", BASIS_FIELDS, frozenset())
    if basis is not None:
        if "kind" in basis:
            basis_kind = _choice(
                line, basis["kind"], "legal_basis.kind", (k.upper() for k in basis_kinds)
            )
        basis_reference = _string(line, basis, "reference", "legal_basis.reference", MAX_NAME)
    emergency = data.get("emergency")
    if "emergency" in data and not isinstance(emergency, bool):
        line.problem("emergency", "must be true or false")
    targets = _targets(line, data["targets"]) if "targets" in data else None
    outcome: HistoricalOutcome | None = None
    if "outcome" in data:
        name = _choice(line, data["outcome"], "outcome", (o.value for o in HistoricalOutcome))
        outcome = HistoricalOutcome(name) if name else None
    if outcome is not None and "responded_at" not in {p.field for p in line.problems}:
        if outcome.answered and data.get("responded_at") is None:
            line.problem("responded_at", f"is required when the outcome is {outcome.value}")
        elif not outcome.answered and data.get("responded_at") is not None:
            line.problem(
                "responded_at",
                f"must be absent or null when the outcome is {outcome.value} (never answered)",
            )
    revision_of = None
    if data.get("revision_of") is not None:
        revision_of = _string(line, data, "revision_of", "revision_of", MAX_EXTERNAL_ID)
        if revision_of is not None and revision_of == external_id:
            line.problem("revision_of", "names the line's own external_id")
    if line.problems:
        return None, line.problems
    assert external_id and received_at and agency_name and agency_kind and agency_country
    assert jurisdiction and basis_kind and basis_reference and targets and outcome
    checked = HistoryLine(
        line=number,
        external_id=external_id,
        received_at=received_at,
        responded_at=responded_at,
        agency_name=agency_name,
        agency_kind=AgencyKind[agency_kind],
        agency_country=agency_country,
        jurisdiction=jurisdiction,
        basis_kind=basis_kind.lower(),
        basis_reference=basis_reference,
        emergency=bool(emergency),
        targets=targets,
        outcome=outcome,
        revision_of=revision_of,
    )
    return replace(checked, payload_sha256=checked.fingerprint()), []


# --- checking the file as a whole (pure) ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """What a checked file does: the lines to write, in file order, and those skipped."""

    new: list[HistoryLine]
    skipped: list[HistoryLine]
    #: external ids (from the file or imported before) whose request a new line revises
    revised: dict[str, HistoryLine]


def check_file(
    lines: Sequence[HistoryLine], imported: Mapping[str, Imported]
) -> tuple[Plan, list[LineProblem]]:
    """The checks across lines, given the requests imported before under the file's external
    ids (and those the file's revisions name)."""
    problems: list[LineProblem] = []
    by_id: dict[str, HistoryLine] = {}
    kinds: dict[tuple[str, str], HistoryLine] = {}
    revised: dict[str, HistoryLine] = {}
    new: list[HistoryLine] = []
    skipped: list[HistoryLine] = []
    for line in lines:
        bad = len(problems)
        first = by_id.get(line.external_id)
        if first is not None:
            problems.append(
                LineProblem(
                    line.line,
                    "external_id",
                    f"{line.external_id!r} is already used on line {first.line}",
                )
            )
        seen = kinds.get(line.agency_key)
        if seen is not None and seen.agency_kind is not line.agency_kind:
            problems.append(
                LineProblem(
                    line.line,
                    "agency.kind",
                    f"{line.agency_kind.name} differs from {seen.agency_kind.name}, given for "
                    f"the same agency on line {seen.line}",
                )
            )
        kinds.setdefault(line.agency_key, line)
        before = imported.get(line.external_id)
        if before is not None and before.payload_sha256 != line.payload_sha256:
            problems.append(
                LineProblem(
                    line.line,
                    "external_id",
                    f"{line.external_id!r} was imported before with different content; "
                    "imported requests are not changed by a later import",
                )
            )
        if line.revision_of is not None:
            problems.extend(_check_revision(line, by_id, imported, revised, before is None))
        by_id.setdefault(line.external_id, line)
        if len(problems) > bad:
            continue
        if before is None:
            new.append(line)
            if line.revision_of is not None:
                revised[line.revision_of] = line
        else:
            skipped.append(line)
    return Plan(new, skipped, revised), problems


def _check_revision(
    line: HistoryLine,
    by_id: Mapping[str, HistoryLine],
    imported: Mapping[str, Imported],
    revised: Mapping[str, HistoryLine],
    is_new: bool,
) -> list[LineProblem]:
    def problem(message: str) -> list[LineProblem]:
        return [LineProblem(line.line, "revision_of", message)]

    target = line.revision_of
    assert target is not None
    earlier = by_id.get(target)
    before = imported.get(target)
    if earlier is not None:
        agency, received = earlier.agency_key, earlier.received_at
        where = f"line {earlier.line}"
    elif before is not None:
        agency, received = before.agency_key, before.received_at
        where = "the request imported before"
    else:
        return problem(
            f"{target!r} is neither an earlier line of this file nor a request imported before"
        )
    if agency != line.agency_key:
        return problem(f"{target!r} ({where}) was sent by another agency; a revision is not")
    if received > line.received_at:
        return problem(f"{target!r} ({where}) was received after this revision")
    if is_new:
        other = revised.get(target)
        if other is not None:
            return problem(f"{target!r} is already revised by line {other.line}")
        if earlier is None and before is not None and before.status == "superseded":
            return problem(f"{target!r} (imported before) was already revised")
    return []
