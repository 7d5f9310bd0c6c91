"""What one submitRequest costs the database, on SQLite and PostgreSQL: a constant number of
statements and connections, one INSERT per table, and nothing a concurrent writer could wait
on (the audit chain's head is the sealer's, not the writers')."""

from __future__ import annotations

from sqlalchemy import event

from tests.helpers import Flow, counting
from trustcenter.bootstrap import Container


async def test_one_submit_is_twelve_statements_over_four_connections(
    flow: Flow, container: Container
) -> None:
    await flow.agency.submit()  # the client's first request warms nothing the count depends on
    checkouts: list[object] = []

    def checkout(*_args: object) -> None:
        checkouts.append(_args)

    pool = container.db.engine.sync_engine.pool
    event.listen(pool, "checkout", checkout)
    try:
        with counting(container.db.engine) as statements:
            request = await flow.agency.submit(targets=[
                {"identifierType": "EMAIL", "identifier": f"user{i}@example.com",
                 "infoTypes": ["A", "C"]} for i in range(3)
            ])  # fmt: skip
    finally:
        event.remove(pool, "checkout", checkout)
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
    # the report's facts, the targets and items read back for the answer
    assert len(statements) == 12, shown
    # the token's standing, the write, and one read per kind of child the answer shows
    assert len(checkouts) == 4
