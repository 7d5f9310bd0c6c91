"""What one submitRequest costs the database, on SQLite and PostgreSQL: a constant number of
statements and connections, one INSERT per table, and nothing a concurrent writer could wait
on (the audit chain's head is the sealer's, not the writers')."""

from __future__ import annotations

from tests.helpers import Flow, checkouts, counting, submission
from trustcenter.bootstrap import Container


async def test_one_submit_is_ten_statements_over_two_connections(
    flow: Flow, container: Container
) -> None:
    await flow.agency.submit()  # the client's first request warms nothing the count depends on
    with checkouts(container.db.engine) as seen, counting(container.db.engine) as statements:
        request = await flow.agency.submit(targets=[
            {"identifierType": "EMAIL", "identifier": f"user{i}@example.com",
             "infoTypes": ["A", "C"]} for i in range(3)
        ])  # fmt: skip
    assert len(request["targets"]) == 3
    shown = "\n".join(" ".join(s.split())[:90] for s in statements)
    writes = [s.split()[2] for s in statements if s.lstrip().upper().startswith("INSERT")]
    # one INSERT per table, however many targets: parents first, the audit event last
    assert writes == [
        "legal_bases", "requests", "request_targets", "requested_items", "audit_events"
    ], shown  # fmt: skip
    assert not any("audit_head" in s or "FOR UPDATE" in s.upper() for s in statements), shown
    # the report's facts for the new request, in the same transaction (read, then written)
    assert sum("report_facts" in s for s in statements) == 2, shown
    # the token's standing (the auth epoch), the agency, five INSERTs and the event's number,
    # the report's facts; the answer's targets and items are the ones just written, not read
    assert len(statements) == 10, shown
    # the token's standing and the write
    assert len(seen) == 2


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
