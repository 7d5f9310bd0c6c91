"""What one submitRequest costs the database, on SQLite and PostgreSQL: a constant number of
statements and connections, one INSERT per table, and nothing a concurrent writer could wait
on (the audit chain's head is the sealer's, not the writers')."""

from __future__ import annotations

import asyncio
import re

from tests.helpers import Flow, checkouts, connects, counting, submission
from trustcenter.bootstrap import Container

#: the tables a submission writes, parents first, the audit event last
WRITTEN = [
    "legal_bases", "requests", "request_targets", "requested_items", "report_facts",
    "audit_events",
]  # fmt: skip


async def test_one_submit_is_three_statements_on_one_checked_out_connection(
    flow: Flow, container: Container
) -> None:
    for _ in range(2):  # the client's first requests: its standing, then the epoch's connection
        await flow.agency.submit()
    with checkouts(container.db.engine) as seen, counting(container.db.engine) as statements:
        request = await flow.agency.submit(targets=[
            {"identifierType": "EMAIL", "identifier": f"user{i}@example.com",
             "infoTypes": ["A", "C"]} for i in range(3)
        ])  # fmt: skip
    assert len(request["targets"]) == 3
    shown = "\n".join(" ".join(s.split())[:90] for s in statements)
    # every row in one statement (db.write_batch): PostgreSQL's a CTE per table, SQLite's a
    # script of an INSERT per table run in one trip to the driver's thread
    inserts = [s for s in statements if "INSERT INTO" in s.upper()]
    assert len(inserts) == 1, shown
    assert re.findall(r"INSERT INTO (\w+)", inserts[0]) == WRITTEN, shown
    assert not any("audit_head" in s or "FOR UPDATE" in s.upper() for s in statements), shown
    # the report's facts for the new request, in the same transaction, computed as the rows
    # are made: nothing read for them (a new request that is not released is in no merged
    # unit: 10 statements before, its unit was looked up; then an INSERT ... SELECT)
    assert not any(re.search(r"FROM (report_facts|requests)\b", s) for s in statements), shown
    # the token's standing (the auth epoch), the agency, the writes; the answer's targets and
    # items are the ones just written, not read. The agency is read with its webhook
    # endpoints (it has none: no delivery is written), so the new request's event costs no
    # statement of its own, and with the audit event's number (PostgreSQL's nextval,
    # SQLite's max(seq) + 1), so recording the event costs its INSERT only
    hooks = [s for s in statements if "webhook" in s]
    assert len(hooks) == 1 and hooks[0].lstrip().upper().startswith("SELECT"), shown
    assert "FROM agencies" in hooks[0], shown
    numbering = [s for s in statements if "nextval" in s or "max(audit_events.seq)" in s]
    assert numbering == hooks, shown
    assert len(statements) == 3, shown
    # the write: the token's standing is read on the connection the auth epoch's reads keep
    assert len(seen) == 1


async def test_sixteen_submits_at_once_reuse_the_pools_connections(
    flow: Flow, container: Container
) -> None:
    """Sixteen agencies' clients submitting at once are served by the connections the pool
    keeps: none is closed on its way back and opened again for the next submit (a new
    server process on PostgreSQL, its prepared statements lost). A pool of SQLAlchemy's
    default five did exactly that, about one connection every three or four submits."""
    await asyncio.gather(*(flow.agency.submit() for _ in range(16)))  # the pool fills
    with connects(container.db.engine) as opened:
        for _ in range(3):
            done = await asyncio.gather(*(flow.agency.submit() for _ in range(16)))
    assert len({r["id"] for r in done}) == 16
    assert opened == []


TWO_TARGETS = [
    {"identifierType": "SERIAL_NUMBER", "identifier": "c6n7654321", "infoTypes": ["C", "B"]},
    {"identifierType": "EMAIL", "identifier": "Someone@Example.com", "infoTypes": ["C", "A"],
     "from": "2026-01-01", "to": "2026-06-30"},
]  # fmt: skip
PARTS = """{ id targets { id identifier identifierType items { id infoType from to outcome
  reasonCode decidedAt target { id } } } items { id infoType outcome target { id identifier } } }"""
SUBMIT_PARTS = (
    "mutation($input: SubmitRequestInput!) { submitRequest(input: $input) { request "
    + PARTS
    + " userErrors { message } } }"
)


async def test_the_submit_answer_shows_its_parts_as_reading_them_back_does(flow: Flow) -> None:
    """The answer's targets and items come from the write, not from a read: they must be what
    a read gives, in the same order (targets by position, items by target then info type)."""
    submitted = await flow.agency.data(SUBMIT_PARTS, {"input": submission(targets=TWO_TARGETS)})
    assert submitted["submitRequest"]["userErrors"] == []
    answer = submitted["submitRequest"]["request"]
    read = await flow.agency.data(
        "query($id: ID!) { node(id: $id) { ... on Request " + PARTS + " } }", {"id": answer["id"]}
    )
    assert answer == read["node"]
    assert [len(t["items"]) for t in answer["targets"]] == [2, 2]
    assert [t["identifierType"] for t in answer["targets"]] == ["SERIAL_NUMBER", "EMAIL"]
