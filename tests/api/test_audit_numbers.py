"""The number of a submission's first audit event is read with its agency, on SQLite and
PostgreSQL (``AuditRepository.number_rider``): the events of one transaction are still numbered
in the order they were recorded, whichever comes first, so the trail reads in that order; a
submission refused after the read leaves no event (on PostgreSQL a gap in the numbers) and the
sealed chain verifies; a number reserved in a transaction that then commits is not used after.
"""

from __future__ import annotations

from typing import Any

from tests.api.audit_helpers import all_events, event_count
from tests.api.test_audit_trail import trail
from tests.api.test_documents import PNG
from tests.api.test_documents_attached import basis, uploaded
from tests.helpers import OPERATOR, Flow, counting, submission, submit
from trustcenter.bootstrap import Container
from trustcenter.domain.audit import Actor
from trustcenter.services.audit import verify

ACTOR = Actor("system", "numbers-test")


def actions(events: list[dict[str, Any]]) -> list[str]:
    return [e["action"] for e in events if not e["action"].startswith("finding.")]


async def assert_sealed_chain_holds(container: Container) -> list[tuple[str, int, int | None]]:
    """Seal what is committed, check that ``audit verify`` finds the log intact, and give
    (action, number, position) of every event, in number order: positions follow numbers."""
    events = await all_events(container)
    result = await verify(container, OPERATOR)
    assert result.broken is None and result.unsealed == 0
    assert result.checked == len(events)
    positions = [e.position for e in events]
    assert positions == sorted(p for p in positions if p is not None)  # all sealed, in order
    return [(e.action, e.seq, e.position) for e in events]


async def test_a_revision_numbers_its_events_as_recorded(flow: Flow, container: Container) -> None:
    """A revision with a document records three events in one transaction: the document
    attached to the new request, the new request submitted, the old one superseded; the first
    takes the number read with the agency, the others number above it, in that order."""
    old = await flow.in_review()
    document = await uploaded(flow.agency)
    revision = submission(legalBasis=basis(documentIds=[document]))
    new = await flow.ok(flow.agency, "reviseRequest", requestId=old["id"], revision=revision)

    new_trail, old_trail = await trail(flow, new["id"]), await trail(flow, old["id"])
    assert actions(new_trail) == ["documents.attached", "request.submitted"]
    assert actions(old_trail)[-1] == "request.superseded"
    numbers = [e["seq"] for e in new_trail] + [old_trail[-1]["seq"]]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    log = await assert_sealed_chain_holds(container)
    assert [a for a, _, _ in log[-3:]] == [
        "documents.attached",
        "request.submitted",
        "request.superseded",
    ]


async def test_a_plain_revision_is_submitted_then_superseded(
    flow: Flow, container: Container
) -> None:
    old = await flow.in_review()
    new = await flow.ok(flow.agency, "reviseRequest", requestId=old["id"], revision=submission())
    [submitted] = await trail(flow, new["id"])
    superseded = (await trail(flow, old["id"]))[-1]
    assert [submitted["action"], superseded["action"]] == [
        "request.submitted",
        "request.superseded",
    ]
    assert submitted["seq"] < superseded["seq"]
    log = await assert_sealed_chain_holds(container)
    assert [a for a, _, _ in log[-2:]] == ["request.submitted", "request.superseded"]


async def test_documents_attached_at_submission_come_before_the_submitted_event(
    flow: Flow, container: Container
) -> None:
    """The attachment is recorded first and takes the reserved number; the submitted event
    numbers itself (one numbering statement of its own, besides the agency's read)."""
    pdf = await uploaded(flow.agency)
    png = await uploaded(flow.agency, PNG)
    with counting(container.db.engine) as statements:
        request = await flow.submit(legalBasis=basis(documentIds=[pdf, png]))
    numbering = [s for s in statements if "nextval" in s or "max(audit_events.seq)" in s]
    assert len(numbering) == 2 and "FROM agencies" in numbering[0], numbering
    events = await trail(flow, request["id"])
    assert actions(events) == ["documents.attached", "request.submitted"]
    assert events[0]["seq"] < events[1]["seq"]
    log = await assert_sealed_chain_holds(container)
    assert [a for a, _, _ in log[-2:]] == ["documents.attached", "request.submitted"]


async def test_a_submission_refused_after_the_agency_read_leaves_no_event(
    flow: Flow, container: Container
) -> None:
    """A category hint that disagrees is refused after the agency (and the number) was read:
    no event is written; on PostgreSQL the number is a gap, on SQLite nothing. The later
    submissions are numbered above the earlier ones, sealed, and the log verifies."""
    before = await flow.submit()
    count = await event_count(container)
    asks_for_d = [
        {"identifierType": "SERIAL_NUMBER", "identifier": "CAM0000001", "infoTypes": ["A", "D"]}
    ]
    refused = await submit(flow.agency, category="PRODUCT", targets=asks_for_d)
    assert refused["request"] is None
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        ("category", "CATEGORY_MISMATCH")
    ]
    assert await event_count(container) == count
    after = [await flow.submit(), await flow.submit()]
    assert await event_count(container) == count + 2

    first = (await trail(flow, before["id"]))[0]["seq"]
    later = [(await trail(flow, r["id"]))[0]["seq"] for r in after]
    skipped = 1 if container.db.dialect == "postgresql" else 0
    assert later == [first + 1 + skipped, first + 2 + skipped]
    await assert_sealed_chain_holds(container)


async def test_a_reserved_number_is_not_used_after_its_transaction(
    flow: Flow, container: Container
) -> None:
    """A unit that reads a number and commits without using it, then records an event after
    another writer did, numbers that event above the other one's (the reservation belonged to
    the committed transaction); a read unit reserves nothing."""
    agency_id = flow.agency.agency_id
    assert agency_id is not None
    async with container.uow.read() as reader:
        assert reader.audit.number_rider() is None
    async with container.uow() as uow:
        rider = uow.audit.number_rider()
        assert rider is not None
        assert await uow.webhook_endpoints.agency(agency_id, rider=rider) is not None
        await uow.commit()
        async with container.uow() as other:
            first = await other.audit.record(container.clock, ACTOR, "test.other", ("test", 1))
        second = await uow.audit.record(container.clock, ACTOR, "test.late", ("test", 2))
    assert first.seq < second.seq
    await assert_sealed_chain_holds(container)
