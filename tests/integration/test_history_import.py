"""``trustcenter requests import FILE``: the company's earlier requests, checked line by line,
written all or nothing, once, and counted in the transparency report like live ones.

Most cases call the service; the command itself is driven through click (in a thread: it runs
its own event loop) against the same database, on both backends."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from tests.helpers import OPERATOR
from trustcenter.bootstrap import Container
from trustcenter.cli import main
from trustcenter.db.models import (
    Agency,
    AuditEvent,
    LegalBasis,
    Request,
    RequestedItem,
    Target,
)
from trustcenter.domain.enums import AgencyKind, VerificationState
from trustcenter.services.agencies import create_agency
from trustcenter.services.history_import import (
    HistoryImportRejected,
    ImportResult,
    import_history,
    parse_line,
)
from trustcenter.services.reports import build_report

BERLIN = {"name": "LKA Berlin", "kind": "LAW_ENFORCEMENT", "country": "DE"}
PARIS = {"name": "Police Paris", "kind": "law_enforcement", "country": "fr"}
BEIJING = {"name": "Beijing PSB", "kind": "LAW_ENFORCEMENT", "country": "CN"}


def entry(
    external_id: str,
    received: str,
    responded: str | None,
    outcome: str,
    *,
    agency: dict[str, str] = BERLIN,
    basis: tuple[str, str] = ("WARRANT", "W-1"),
    targets: list[tuple[str, str, list[str]]] | None = None,
    emergency: bool = False,
    jurisdiction: str = "DE",
    revision_of: str | None = None,
) -> dict[str, Any]:
    line: dict[str, Any] = {
        "external_id": external_id,
        "received_at": received,
        "agency": dict(agency),
        "jurisdiction": jurisdiction,
        "legal_basis": {"kind": basis[0], "reference": basis[1]},
        "emergency": emergency,
        "targets": [
            {"identifier_type": kind, "identifier": ident, "info_types": infos}
            for kind, ident, infos in (targets or [("EMAIL", "someone@example.com", ["A"])])
        ],
        "outcome": outcome,
    }
    if responded is not None:
        line["responded_at"] = responded
    if revision_of is not None:
        line["revision_of"] = revision_of
    return line


def jsonl(*lines: dict[str, Any] | str) -> bytes:
    return "".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in lines).encode()


#: a small history: the figures it gives for 2025 (CN excluded) are worked out by hand below
HISTORY = [
    entry("R-1", "2025-01-10T09:00:00Z", "2025-01-14T09:00:00Z", "DISCLOSED",
          targets=[("EMAIL", "A@Example.com", ["B", "A"])]),
    # the same warrant (written differently): merged with R-1 into one counted request
    entry("R-2", "2025-01-12T10:00:00+01:00", "2025-01-20T09:00:00Z", "PARTIALLY_DISCLOSED",
          basis=("warrant", " w-1 "), targets=[("PHONE", "+49 30 123456", ["A", "D"])]),
    entry("R-3", "2025-02-01T00:00:00Z", "2025-02-03T00:00:00Z", "OBJECTED",
          basis=("COURT_ORDER", "C-7"), targets=[("SERIAL_NUMBER", "sn-1000", ["B"])]),
    entry("R-4", "2025-02-05T00:00:00Z", "2025-02-06T00:00:00Z", "DISCLOSED",
          basis=("COURT_ORDER", "C-7"), targets=[("SERIAL_NUMBER", "SN-1000", ["B"])],
          revision_of="R-3"),
    entry("R-5", "2025-03-01T00:00:00Z", "2025-03-11T00:00:00Z", "REJECTED", agency=PARIS,
          basis=("SUBPOENA", "S-1"), targets=[("EMAIL", "b@example.fr", ["D"])],
          jurisdiction="FR"),
    entry("R-6", "2025-12-01T00:00:00Z", None, "PENDING", agency=PARIS,
          basis=("PRODUCTION_ORDER", "P-1"), targets=[("USERNAME", "jdoe", ["A"])],
          jurisdiction="FR"),
    entry("R-7", "2025-04-01T00:00:00Z", "2025-04-02T00:00:00Z", "DISCLOSED", agency=BEIJING,
          targets=[("EMAIL", "c@example.cn", ["A"])], jurisdiction="CN"),
    entry("R-8", "2025-05-01T00:00:00Z", None, "WITHDRAWN", basis=("WARRANT", "W-9"),
          targets=[("ORDER_ID", "ORD-555", ["E"])]),
    entry("R-9", "2025-06-01T00:00:00Z", "2025-06-01T12:00:00Z", "DISCLOSED", emergency=True,
          basis=("EMERGENCY_DECLARATION", "E-1"), targets=[("PHONE", "+4930999999", ["A"])]),
    entry("R-10", "2024-12-20T00:00:00Z", "2024-12-22T00:00:00Z", "DISCLOSED",
          targets=[("EMAIL", "old@example.com", ["A"])]),
    entry("R-11", "2025-07-01T00:00:00Z", "2025-07-04T00:00:00Z", "OBJECTED", agency=PARIS,
          basis=("WARRANT", "W-2"), targets=[("EMAIL", "d@example.fr", ["A"])],
          jurisdiction="FR-IDF"),
]  # fmt: skip


async def run(container: Container, data: bytes) -> ImportResult:
    return await import_history(container, OPERATOR, data)


async def count(container: Container, model: type[Any]) -> int:
    async with container.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def everything(container: Container) -> dict[str, int]:
    models = (Agency, LegalBasis, Request, Target, RequestedItem, AuditEvent)
    return {m.__name__: await count(container, m) for m in models}


async def by_external_id(container: Container) -> dict[str, Request]:
    async with container.db.reader() as session:
        rows = await session.scalars(select(Request).where(Request.external_id.is_not(None)))
        return {r.external_id: r for r in rows.all() if r.external_id}


def cli(container: Container, *args: str) -> Result:
    env = {
        "TRUSTCENTER_DATABASE_URL": container.settings.database_url,
        "TRUSTCENTER_DATABASE_SCHEMA": container.settings.database_schema,
        "TRUSTCENTER_PLUGINS": "",
        "TRUSTCENTER_ISSUER": None,
        "TRUSTCENTER_ENV": None,
    }
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


# --- a good file ----------------------------------------------------------------------------


async def test_a_good_file_imports_every_request_as_its_history_says(
    container: Container,
) -> None:
    steps: list[tuple[str, int, int]] = []
    result = await import_history(
        container,
        OPERATOR,
        jsonl(*HISTORY),
        on_progress=lambda *step: steps.append(step),
    )
    assert (result.lines, result.imported, result.skipped) == (11, 11, 0)
    assert steps == [("checking", 11, 11), ("writing", 11, 11)]
    assert result.agencies_created == 3 and result.superseded == 1

    rows = await by_external_id(container)
    status = {k: (r.status, r.report_outcome, r.category) for k, r in rows.items()}
    assert status == {
        "R-1": ("disclosed", "with_data", "account"),
        "R-2": ("disclosed", "with_data", "transaction"),  # D asked for
        "R-3": ("superseded", "challenged", "product"),  # revised by R-4; still counts
        "R-4": ("disclosed", "with_data", "product"),
        "R-5": ("rejected", "rejected", "transaction"),
        "R-6": ("received", "pending", "account"),
        "R-7": ("disclosed", "with_data", "account"),
        "R-8": ("withdrawn", "withdrawn", "product"),
        "R-9": ("disclosed", "with_data", "emergency"),
        "R-10": ("disclosed", "with_data", "account"),
        "R-11": ("objected", "challenged", "account"),
    }
    assert rows["R-4"].revision_of_id == rows["R-3"].id
    assert all(r.revision_of_id is None for k, r in rows.items() if k != "R-4")
    r2 = rows["R-2"]
    assert r2.received_at.isoformat() == "2025-01-12T09:00:00+00:00"  # kept in UTC
    assert r2.responded_at is not None and r2.responded_at.isoformat().startswith("2025-01-20")
    assert rows["R-6"].responded_at is None and rows["R-8"].responded_at is None
    assert (rows["R-5"].country, rows["R-7"].country) == ("FR", "CN")
    assert rows["R-11"].jurisdiction == "FR-IDF"
    assert rows["R-9"].emergency and rows["R-9"].emergency_description

    async with container.db.reader() as session:
        agencies = (await session.scalars(select(Agency).order_by(Agency.name))).all()
        assert [(a.name, a.country, a.kind, a.verification) for a in agencies] == [
            ("Beijing PSB", "CN", "law_enforcement", "verified"),
            ("LKA Berlin", "DE", "law_enforcement", "verified"),
            ("Police Paris", "FR", "law_enforcement", "verified"),
        ]
        basis = await session.get(LegalBasis, r2.legal_basis_id)
        assert basis is not None and (basis.kind, basis.reference) == ("warrant", "w-1")
        targets = (await session.scalars(select(Target).where(Target.request_id == r2.id))).all()
        assert [(t.identifier_type, t.identifier) for t in targets] == [("phone", "+4930123456")]
        items = await session.execute(
            select(Request.external_id, RequestedItem.info_type, RequestedItem.outcome,
                   RequestedItem.reason_code)
            .join(Request, Request.id == RequestedItem.request_id)
            .order_by(Request.external_id, RequestedItem.info_type)
        )  # fmt: skip
        decided = {}
        for ext, info, outcome, reason in items:
            decided.setdefault(ext, []).append((info, outcome, reason))
        events = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action.like("requests.%")))
        ).all()
    assert decided["R-1"] == [("A", "approve", None), ("B", "approve", None)]
    # partially disclosed: each target's first information type approved, the rest refused
    assert decided["R-2"] == [("A", "approve", None), ("D", "reject", "overbroad")]
    assert decided["R-3"] == [("B", "object", None)]
    assert decided["R-5"] == [("D", "reject", None)]
    assert decided["R-6"] == [("A", None, None)]
    assert decided["R-8"] == [("E", None, None)]

    assert [e.action for e in events] == ["requests.imported"]
    data = json.loads(events[0].data)
    assert data["imported"] == 11 and data["skipped"] == 0
    assert data["file_sha256"] == result.file_sha256 and len(result.file_sha256) == 64
    assert (events[0].actor_kind, events[0].actor_id) == ("operator", "cli:test")


async def test_a_second_import_of_the_same_file_writes_nothing(container: Container) -> None:
    data = jsonl(*HISTORY)
    await run(container, data)
    before = await everything(container)
    again = await run(container, data)
    assert (again.imported, again.skipped) == (0, 11)
    assert await everything(container) == before  # not even an audit event

    # the same requests written another way are the same requests
    rewritten = copy.deepcopy(HISTORY)
    rewritten[0]["received_at"] = "2025-01-10T10:00:00+01:00"
    rewritten[0]["outcome"] = "disclosed"
    rewritten[0]["agency"]["country"] = "de"
    rewritten[0]["targets"][0]["identifier"] = "a@example.com"
    assert (await run(container, jsonl(*reversed(rewritten[:1])))).skipped == 1


async def test_a_later_file_adds_to_the_history_and_may_revise_it(container: Container) -> None:
    await run(container, jsonl(*HISTORY))
    later = entry("R-12", "2025-12-03T00:00:00Z", None, "PENDING", agency=PARIS,
                  basis=("PRODUCTION_ORDER", "P-1"), targets=[("USERNAME", "jdoe", ["A", "C"])],
                  jurisdiction="FR", revision_of="R-6")  # fmt: skip
    result = await run(container, jsonl(HISTORY[5], later))
    assert (result.imported, result.skipped, result.superseded) == (1, 1, 1)
    assert result.agencies_created == 0  # Police Paris, FR is matched by name and country
    rows = await by_external_id(container)
    assert rows["R-12"].revision_of_id == rows["R-6"].id
    assert (rows["R-6"].status, rows["R-6"].version) == ("superseded", 2)
    assert rows["R-6"].report_outcome == "pending"


async def test_an_existing_agency_is_matched_by_name_and_country(container: Container) -> None:
    existing = await create_agency(
        container, OPERATOR, name="LKA Berlin", kind=AgencyKind.JUDICIAL, country="DE"
    )
    other_country = entry("R-20", "2025-01-01T00:00:00Z", None, "PENDING",
                          agency={**BERLIN, "country": "AT"}, jurisdiction="AT")  # fmt: skip
    result = await run(container, jsonl(HISTORY[0], other_country))
    assert result.agencies_created == 1
    rows = await by_external_id(container)
    assert rows["R-1"].agency_id == existing.id
    assert rows["R-20"].agency_id != existing.id and rows["R-20"].country == "AT"
    async with container.db.reader() as session:
        kept = await session.get(Agency, existing.id)
    # used as it is: neither verified nor given the file's kind
    assert kept is not None and kept.verification == VerificationState.PENDING.value
    assert kept.kind == AgencyKind.JUDICIAL.value


# --- refusals -------------------------------------------------------------------------------


async def test_a_revision_of_an_unknown_request_is_an_error(container: Container) -> None:
    orphan = entry("R-30", "2025-02-05T00:00:00Z", None, "PENDING", revision_of="R-404")
    forward = entry("R-31", "2025-02-05T00:00:00Z", None, "PENDING", revision_of="R-32")
    later = entry("R-32", "2025-02-06T00:00:00Z", None, "PENDING")
    with pytest.raises(HistoryImportRejected) as caught:
        await run(container, jsonl(HISTORY[0], orphan, forward, later))
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (2, "revision_of"),
        (3, "revision_of"),  # only an earlier line may be revised
    ]
    assert "'R-404' is neither an earlier line" in caught.value.problems[0].message
    assert await count(container, Request) == 0


async def test_the_same_external_id_with_other_content_is_an_error(container: Container) -> None:
    await run(container, jsonl(*HISTORY))
    changed = copy.deepcopy(HISTORY[4])
    changed["outcome"] = "OBJECTED"
    fresh = entry("R-40", "2025-08-01T00:00:00Z", None, "PENDING")
    before = await everything(container)
    with pytest.raises(HistoryImportRejected) as caught:
        await run(container, jsonl(fresh, changed, fresh))
    assert [(p.line, p.field) for p in caught.value.problems] == [
        (2, "external_id"),
        (3, "external_id"),
    ]
    assert "imported before with different content" in caught.value.problems[0].message
    assert "already used on line 1" in caught.value.problems[1].message
    assert await everything(container) == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"received_at": "2025-01-10T09:00:00"}, "received_at", "has no time zone"),
        ({"received_at": "2025-01-10"}, "received_at", "has no time zone"),
        ({"received_at": "10/01/2025"}, "received_at", "is not an ISO 8601"),
        ({"received_at": "2030-01-01T00:00:00Z"}, "received_at", "is in the future"),
        ({"responded_at": "2025-01-09T09:00:00Z"}, "responded_at", "is before received_at"),
        ({"responded_at": None}, "responded_at", "is required when the outcome is DISCLOSED"),
        ({"outcome": "PENDING"}, "responded_at", "must be absent or null"),
        ({"outcome": "LOST"}, "outcome", "is not one of DISCLOSED"),
        ({"agency": {**BERLIN, "kind": "army"}}, "agency.kind", "is not one of"),
        ({"agency": {**BERLIN, "country": "XX"}}, "agency.country", "ISO 3166-1"),
        ({"agency": {**BERLIN, "country": "DE-BE"}}, "agency.country", "ISO 3166-1"),
        ({"agency": {"name": "LKA", "country": "DE"}}, "agency.kind", "is required"),
        ({"jurisdiction": "ZZ-99"}, "jurisdiction", "ISO 3166"),
        ({"legal_basis": {"kind": "letter", "reference": "x"}}, "legal_basis.kind", "WARRANT"),
        ({"legal_basis": {"kind": "WARRANT"}}, "legal_basis.reference", "is required"),
        ({"emergency": "no"}, "emergency", "true or false"),
        ({"targets": []}, "targets", "non-empty list"),
        (
            {"targets": [{"identifier_type": "FAX", "identifier": "1", "info_types": ["A"]}]},
            "targets[0].identifier_type",
            "is not one of EMAIL",
        ),
        (
            {"targets": [{"identifier_type": "EMAIL", "identifier": "no", "info_types": ["A"]}]},
            "targets[0].identifier",
            "is not a valid EMAIL",
        ),
        (
            {
                "targets": [
                    {"identifier_type": "EMAIL", "identifier": "a@b.de", "info_types": ["F"]}
                ]
            },
            "targets[0].info_types",
            "not an information type",
        ),
        ({"external_id": ""}, "external_id", "non-empty string"),
        ({"revision_of": "R-1"}, "revision_of", "own external_id"),
        ({"colour": "red"}, "colour", "is not a field"),
        ({"received_at": "0001-01-01T00:00+05:00"}, "received_at", "is out of range"),
    ],
)
def test_every_field_is_checked(change: dict[str, Any], field: str, message: str) -> None:
    from datetime import UTC, datetime

    line = {**copy.deepcopy(HISTORY[0]), **change}
    parsed, problems = parse_line(
        7, json.dumps(line), datetime(2026, 1, 1, tzinfo=UTC), {"warrant"}
    )
    assert parsed is None
    assert [(p.line, p.field) for p in problems] == [(7, field)], problems
    assert message in problems[0].message


def test_a_line_that_is_not_json_or_not_an_object_is_reported() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert [str(p) for p in parse_line(3, "{oops", now, {"warrant"})[1]] == [
        "line 3: line: is not JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1))"
    ]
    assert [str(p) for p in parse_line(4, "[]", now, {"warrant"})[1]] == [
        "line 4: line: must be a JSON object"
    ]
    deep = "[" * 100_000 + "]" * 100_000
    assert [str(p) for p in parse_line(5, deep, now, {"warrant"})[1]] == [
        "line 5: line: is nested too deeply to be a request"
    ]


async def test_line_numbers_count_line_feeds_only(container: Container) -> None:
    """A reference may hold U+2028 or U+0085 (JSON writes them raw): still one line."""
    odd = entry("R-90", "2025-03-01T10:00Z", None, "PENDING", basis=("WARRANT", "W\u2028\x85-9"))
    data = json.dumps(odd, ensure_ascii=False).encode() + b"\r\n" + b"{oops\n"
    with pytest.raises(HistoryImportRejected) as refused:
        await run(container, data)
    assert [p.line for p in refused.value.problems] == [2]


# --- the command ----------------------------------------------------------------------------


async def test_the_command_imports_once_and_says_so(container: Container, tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    path.write_bytes(jsonl(*HISTORY))
    first = await asyncio.to_thread(cli, container, "requests", "import", str(path))
    assert first.exit_code == 0, first.output
    assert first.stdout.strip() == "imported 11, skipped 0 (already imported)"
    second = await asyncio.to_thread(cli, container, "requests", "import", str(path), "--json")
    assert second.exit_code == 0, second.output
    out = json.loads(second.stdout)
    assert (out["imported"], out["skipped"], out["lines"]) == (0, 11, 11)
    assert await count(container, Request) == 11


async def test_one_bad_line_refuses_the_whole_file(container: Container, tmp_path: Path) -> None:
    bad = copy.deepcopy(HISTORY[2])
    bad["responded_at"] = "2025-01-31T00:00:00Z"  # before it was received
    path = tmp_path / "history.jsonl"
    path.write_bytes(jsonl(HISTORY[0], HISTORY[1], "", bad, *HISTORY[3:]))
    before = await everything(container)  # (the signing key's audit event)
    result = await asyncio.to_thread(cli, container, "requests", "import", str(path))
    assert result.exit_code == 2
    assert "line 4: responded_at: is before received_at" in result.stderr.splitlines()
    # and R-4, which revises the refused line, is refused with it
    assert "line 5: revision_of: 'R-3' is neither an earlier line" in result.stderr
    assert "nothing was imported" in result.stderr and result.stdout == ""
    as_json = await asyncio.to_thread(cli, container, "requests", "import", str(path), "--json")
    assert as_json.exit_code == 2
    assert json.loads(as_json.stdout)["errors"][0] == {
        "line": 4,
        "field": "responded_at",
        "message": "is before received_at",
    }
    after = await everything(container)
    assert after == before
    assert all(after[m] == 0 for m in ("Agency", "LegalBasis", "Request", "Target"))


# --- the report -----------------------------------------------------------------------------


def figures(
    requests: int,
    challenged: int,
    with_data: int,
    pct: float | None,
    accounts: int,
    products: int,
    median: float | None,
) -> dict[str, Any]:
    return {
        "requests": requests,
        "challenged_or_rejected": challenged,
        "with_data": with_data,
        "with_data_pct": pct,
        "accounts_specified": accounts,
        "products_specified": products,
        "median_days_to_respond": median,
    }


async def test_an_imported_history_gives_the_reports_figures(container: Container) -> None:
    await run(container, jsonl(*HISTORY))
    row = await build_report(container, OPERATOR, 2025, ["CN"])
    document = json.loads(row.figures)
    # Counted units in 2025, CN left out and R-10 received in 2024:
    #   R-1+R-2  DE account    data        4 days   2 accounts (same warrant W-1: one request)
    #   R-3      DE product    challenged  2 days   1 product
    #   R-4      DE product    data        1 day    1 product   (a revision: its own unit)
    #   R-5      FR transaction rejected  10 days   1 account
    #   R-6      FR account    pending              1 account
    #   R-8      DE product    withdrawn            1 account   (an order id)
    #   R-9      DE emergency  data      0.5 days   1 account
    #   R-11     FR account    challenged  3 days   1 account
    assert document["excluded_countries"] == ["CN"]
    assert document["totals"]["worldwide"] == figures(8, 3, 3, 37.5, 7, 2, 2.5)
    categories = {c.pop("category"): c for c in document["totals"]["categories"]}
    assert categories == {
        "ACCOUNT": figures(3, 1, 1, 33.3, 4, 0, 3.5),
        "EMERGENCY": figures(1, 0, 1, 100.0, 1, 0, 0.5),
        "PRODUCT": figures(3, 1, 1, 33.3, 1, 2, 1.5),
        "TRANSACTION": figures(1, 1, 0, 0.0, 1, 0, 10.0),
    }
    rows = {(r.pop("country"), r.pop("category")): r for r in document["rows"]}
    assert rows == {
        ("DE", "ACCOUNT"): figures(1, 0, 1, 100.0, 2, 0, 4.0),
        ("DE", "EMERGENCY"): figures(1, 0, 1, 100.0, 1, 0, 0.5),
        ("DE", "PRODUCT"): figures(3, 1, 1, 33.3, 1, 2, 1.5),
        ("FR", "ACCOUNT"): figures(2, 1, 0, 0.0, 2, 0, 3.0),
        ("FR", "TRANSACTION"): figures(1, 1, 0, 0.0, 1, 0, 10.0),
    }
    earlier = json.loads((await build_report(container, OPERATOR, 2024, [])).figures)
    assert earlier["totals"]["worldwide"]["requests"] == 1
