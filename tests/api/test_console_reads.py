"""The staff reads the console runs as GraphQL operations (issue 14), on SQLite and PostgreSQL:
the audit chain's verification (intact, or the first broken event after tampering, and the
head), and user notices by status, each linking to its request. Callers without the scope are
refused and nothing changes. (The release preview: ``disclosure/test_release_preview.py``;
agencies and clients: ``test_agency_admin_api.py``.)
"""

from __future__ import annotations

import json
from typing import Any

from tests.api.audit_helpers import all_events, event_count, head
from tests.api.test_audit_tamper import tamper
from tests.helpers import Actor, Flow, World, account_and_camera_owner, approve_all
from trustcenter.bootstrap import Container

VERIFY = """{ auditVerification { checked intact brokenAtSeq brokenReason headSeq headHash } }"""
NOTICES = """query($s: NoticeStatus!, $n: Int! = 50) { notices(status: $s, first: $n) {
  id requestId status dueAt attempts lastError request { id status }
  exception { kind justification } } }"""
IDS = "query($s: NoticeStatus!) { notices(status: $s) { requestId } }"
EXCEPTION = """mutation($i: RecordNoticeExceptionInput!) { recordNoticeException(input: $i) {
  exception { id } userErrors { message } } }"""


async def verification(actor: Actor) -> dict[str, Any]:
    found: dict[str, Any] = (await actor.data(VERIFY))["auditVerification"]
    return found


async def test_the_chain_verifies_intact_with_its_head(flow: Flow, container: Container) -> None:
    await flow.in_review()
    seq, digest = await head(container)
    result = await verification(flow.staff)
    assert result == {
        "checked": await event_count(container),
        "intact": True,
        "brokenAtSeq": None,
        "brokenReason": None,
        "headSeq": seq,
        "headHash": digest,
    }
    assert seq == result["checked"] > 0


async def test_after_tampering_the_first_broken_event_is_named(
    flow: Flow, container: Container
) -> None:
    await flow.in_review()
    await flow.in_review()
    events = await all_events(container)
    victim = events[len(events) // 2]
    forged = json.loads(victim.data) | {"forged": True}
    await tamper(
        container,
        "UPDATE audit_events SET data = :d WHERE seq = :s",
        params={"d": json.dumps(forged, sort_keys=True), "s": victim.seq},
    )
    result = await verification(flow.staff)
    assert result["intact"] is False
    assert result["brokenAtSeq"] == victim.seq == result["checked"]
    assert "edited" in result["brokenReason"]
    assert (result["headSeq"], result["headHash"]) == await head(container)


async def released_to(flow: Flow, targets: list[dict[str, Any]]) -> str:
    """A request released with every item approved; its id."""
    rid = (await flow.submit(targets=targets))["id"]
    assert (await approve_all(flow.staff, rid))["userErrors"] == []
    await flow.ok(flow.staff, "releaseDisclosure", requestId=rid)
    return str(rid)


async def notices(actor: Actor, status: str, first: int = 50) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await actor.data(NOTICES, {"s": status, "n": first}))["notices"]
    return found


async def test_notices_are_listed_by_status_with_their_request_and_hold(
    flow: Flow, container: Container, world: World
) -> None:
    await account_and_camera_owner(container)
    owner = await released_to(
        flow, [{"identifierType": "EMAIL", "identifier": "owner@example.com", "infoTypes": ["A"]}]
    )
    camera = await released_to(
        flow,
        [{"identifierType": "SERIAL_NUMBER", "identifier": "CAM0000001", "infoTypes": ["B"]}],
    )
    scheduled = await notices(flow.staff, "SCHEDULED")
    assert [n["requestId"] for n in scheduled] == [owner, camera]  # the next due first
    assert [n["request"] for n in scheduled] == [
        {"id": owner, "status": "DISCLOSED"},
        {"id": camera, "status": "DISCLOSED"},
    ]
    assert [n["requestId"] for n in await notices(flow.staff, "SCHEDULED", 1)] == [owner]

    why = "The account holder is the suspect's partner; telling them endangers the victim."
    held = await flow.staff.data(
        EXCEPTION, {"i": {"requestId": camera, "kind": "RISK_OF_HARM", "justification": why}}
    )
    assert held["recordNoticeException"]["userErrors"] == []
    assert [n["requestId"] for n in await notices(flow.staff, "SCHEDULED")] == [owner]
    [suppressed] = await notices(flow.staff, "SUPPRESSED")
    assert suppressed["requestId"] == camera
    assert suppressed["exception"] == {"kind": "RISK_OF_HARM", "justification": why}
    assert await notices(flow.staff, "DELIVERED") == []
    assert await notices(flow.staff, "FAILED") == []

    # every reading staff scope lists them; who may not read notices is refused
    for scopes in (["notices"], ["audit"], ["admin"], ["review"]):
        reader = await world.staff_actor(scopes)
        listed = await reader.data(IDS, {"s": "SUPPRESSED"})
        assert listed["notices"] == [{"requestId": camera}]
    for bad in (0, 501):
        body = (await flow.staff.gql(NOTICES, {"s": "SCHEDULED", "n": bad})).json()
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", body


async def test_who_lacks_the_scope_reads_nothing_and_changes_nothing(
    flow: Flow, container: Container, world: World
) -> None:
    await flow.in_review()
    reports_only = await world.staff_actor(["reports"])
    not_audit = await world.staff_actor(["review", "notices", "reports", "admin"])
    before = await event_count(container)
    cases = [
        (VERIFY, {}, [flow.agency, not_audit]),
        (NOTICES, {"s": "SCHEDULED"}, [flow.agency, reports_only]),
    ]
    for query, variables, callers in cases:
        for caller in callers:
            r = await caller.gql(query, variables)
            body = r.json()
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", body
            assert body["data"] is None
        r = await flow.agency.gql(query, variables, token="")
        assert r.status_code == 401
    assert await event_count(container) == before
