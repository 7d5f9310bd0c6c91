"""Who may move a request over GraphQL, on SQLite and PostgreSQL: agency tokens cannot review,
staff cannot answer for the agency, a missing scope is refused, someone else's request reads as
a missing one, and nextOperations lists only what the caller may do.
"""

from __future__ import annotations

from tests.api.lifecycle_helpers import approve, missing_request_id
from tests.helpers import Actor, Flow, World, request_count, submission

# --- scopes ---------------------------------------------------------------------------------


async def test_agency_tokens_cannot_review_decide_or_close(flow: Flow) -> None:
    req = await flow.in_review()
    rid, agency = req["id"], flow.agency
    await flow.forbidden(agency, "startReview", requestId=rid)
    await flow.forbidden(agency, "askClarification", requestId=rid, message="Self-service?")
    await flow.forbidden(
        agency,
        "decideRequest",
        requestId=rid,
        version=req["version"],
        decisions=[approve(i) for i in req["items"]],
    )
    await flow.forbidden(agency, "closeRequest", requestId=rid)
    assert await flow.read(rid) == req


async def test_staff_cannot_answer_withdraw_or_revise(flow: Flow) -> None:
    req = await flow.in_review()
    rid, staff = req["id"], flow.staff
    await flow.ok(staff, "askClarification", requestId=rid, message="Which months?")
    before = await flow.read(rid)
    count = await request_count(flow.world.container)
    await flow.forbidden(staff, "answerClarification", requestId=rid, message="Answering myself.")
    await flow.forbidden(staff, "withdrawRequest", requestId=rid, reason="Not ours to pull.")
    await flow.forbidden(staff, "reviseRequest", requestId=rid, revision=submission())
    assert await flow.read(rid) == before
    assert await request_count(flow.world.container) == count


async def test_a_reports_only_staff_client_cannot_review(flow: Flow, world: World) -> None:
    req = await flow.in_review()
    reporter = await world.staff_actor(["reports"])
    await flow.forbidden(
        reporter,
        "decideRequest",
        requestId=req["id"],
        version=req["version"],
        decisions=[approve(i) for i in req["items"]],
    )
    await flow.forbidden(reporter, "closeRequest", requestId=req["id"])
    fresh = await flow.submit()
    await flow.forbidden(reporter, "startReview", requestId=fresh["id"])
    assert await flow.read(req["id"]) == req
    assert (await flow.read(fresh["id"]))["status"] == "RECEIVED"


async def test_a_read_only_agency_client_cannot_answer_or_withdraw(
    flow: Flow, world: World
) -> None:
    reader = await world.agency_actor(scopes=["requests:read"], agency_id=flow.agency.agency_id)
    req = await flow.in_review()
    await flow.ok(flow.staff, "askClarification", requestId=req["id"], message="Which months?")
    before = await flow.read(req["id"])
    await flow.forbidden(reader, "answerClarification", requestId=req["id"], message="Jan.")
    await flow.forbidden(reader, "withdrawRequest", requestId=req["id"])
    assert await flow.read(req["id"]) == before


async def test_another_agencys_request_is_answered_like_a_missing_one(
    flow: Flow, world: World
) -> None:
    intruder = await world.agency_actor("FR")
    req = await flow.in_review()
    rid = req["id"]
    await flow.ok(flow.staff, "askClarification", requestId=rid, message="Which months?")
    before = await flow.read(rid)
    count = await request_count(flow.world.container)

    for name, extra in [
        ("answerClarification", {"message": "Not my request."}),
        ("withdrawRequest", {"reason": "Not my request."}),
        ("reviseRequest", {"revision": submission(jurisdiction="FR")}),
    ]:
        theirs = await flow.refused(intruder, name, "NOT_FOUND", requestId=rid, **extra)
        missing = await flow.refused(
            intruder, name, "NOT_FOUND", requestId=missing_request_id(), **extra
        )
        assert theirs == missing, name
        assert theirs[0]["field"] == "requestId"

    assert await flow.read(rid) == before
    assert await request_count(flow.world.container) == count
    # and the owner still can
    await flow.ok(flow.agency, "answerClarification", requestId=rid, message="January.")


# --- what may happen next -------------------------------------------------------------------


async def test_next_operations_list_only_what_the_caller_may_do(flow: Flow) -> None:
    """The agency never sees the reviewers' operations (START_REVIEW, RELEASE, …); reviewers
    never see the agency's (WITHDRAW, SUPERSEDE, ANSWER_CLARIFICATION)."""
    req = await flow.submit()
    rid = req["id"]

    async def next_ops(actor: Actor) -> set[str]:
        return set((await flow.read(rid, actor))["nextOperations"])

    agency, staff = flow.agency, flow.staff
    assert await next_ops(agency) == {"WITHDRAW", "SUPERSEDE"}
    assert await next_ops(staff) == {"START_REVIEW"}
    await flow.ok(staff, "startReview", requestId=rid)
    assert await next_ops(agency) == {"WITHDRAW", "SUPERSEDE"}
    assert await next_ops(staff) == {
        "ASK_CLARIFICATION",
        "APPROVE",
        "APPROVE_PARTIALLY",
        "OBJECT",
        "REJECT",
    }
    await flow.ok(staff, "askClarification", requestId=rid, message="Which months?")
    assert await next_ops(agency) == {"ANSWER_CLARIFICATION", "WITHDRAW", "SUPERSEDE"}
    assert await next_ops(staff) == set()
    await flow.ok(agency, "answerClarification", requestId=rid, message="January.")
    current = await flow.read(rid)
    await flow.decide(current, *[approve(i) for i in current["items"]])
    assert await next_ops(agency) == {"WITHDRAW", "SUPERSEDE"}
    assert await next_ops(staff) == {"RELEASE"}
    # staff who only audit may do nothing; an agency token that may only read, neither
    auditor = await flow.world.staff_actor(["audit"])
    assert await next_ops(auditor) == set()
    reader = await flow.world.agency_actor(
        "DE", scopes=["requests:read"], agency_id=agency.agency_id
    )
    assert await next_ops(reader) == set()
