"""Request ids, access-log lines and what logs may never hold (issue: production operation,
section 3), on SQLite and PostgreSQL.

Every answer carries an ``X-Request-ID`` (the caller's when it is a plausible id, a fresh one
otherwise); every log line of the request and every audit event it writes carry the same id;
one access line per request names method, path, status, duration, caller and operation; and a
whole scripted flow's log holds none of the secrets, tokens, documents or user data it used.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any

import pytest

from tests.api.audit_helpers import all_events
from tests.api.lifecycle_helpers import approve, items
from tests.helpers import OPERATOR, VALID_SUBMISSION, Actor, Flow, World
from trustcenter.observability.logs import RequestIdFilter, json_formatter
from trustcenter.services.audit import verify

TYPENAME = {"query": "query Probe { __typename }"}


def access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "trustcenter.access"]


async def test_an_answer_carries_the_callers_request_id_or_a_fresh_one(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trustcenter.access")
    given = await world.http.post("/graphql", json=TYPENAME, headers={"X-Request-ID": "lb-42.a"})
    assert given.headers["x-request-id"] == "lb-42.a"
    fresh = [await world.http.get("/healthz") for _ in range(2)]
    ids = [r.headers["x-request-id"] for r in fresh]
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids) and ids[0] != ids[1]
    # an id that could forge a log line, or a huge one, is replaced, not repeated
    for hostile in (b'x"}\n{"level":"ERROR', b"a" * 129, b"", b"-dash", "ü".encode()):
        r = await world.http.get("/healthz", headers={"X-Request-ID": hostile})
        assert r.status_code == 200
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])
    lines = access_lines(caplog)
    assert [line.request_id for line in lines[:3]] == ["lb-42.a", *ids]  # type: ignore[attr-defined]


async def test_one_access_line_per_request_names_the_caller_and_the_operation(
    agency: Actor, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="trustcenter.access")
    r = await world.http.post(
        "/graphql",
        json={"query": "query MyRequests { requests(first: 1) { totalCount } }"},
        headers={"Authorization": f"Bearer {agency.token}", "X-Request-ID": "trace-1"},
    )
    assert r.status_code == 200 and "errors" not in r.json()
    bad = await world.http.post(
        "/graphql", json=TYPENAME, headers={"Authorization": "Bearer not-a-token"}
    )
    assert bad.status_code == 401
    [ok, refused] = access_lines(caplog)
    fields = {k: getattr(ok, k) for k in ("method", "path", "status", "client_id", "operation")}
    assert fields == {
        "method": "POST",
        "path": "/graphql",
        "status": 200,
        "client_id": agency.client_id,
        "operation": "MyRequests",
    }
    assert ok.request_id == "trace-1" and ok.duration_ms >= 0  # type: ignore[attr-defined]
    assert (refused.status, refused.client_id, refused.operation) == (401, None, None)  # type: ignore[attr-defined]
    assert refused.request_id == bad.headers["x-request-id"]  # type: ignore[attr-defined]


async def test_the_token_endpoint_names_the_claimed_client_and_logs_the_failure_with_the_id(
    agency: Actor, world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    r = await world.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(agency.client_id, "wrong-secret-7f3a"),
        headers={"X-Request-ID": "tok-9"},
    )
    assert r.status_code == 401 and r.headers["x-request-id"] == "tok-9"
    failed = [r for r in caplog.records if getattr(r, "event", None) == "client_auth_failed"]
    assert len(failed) == 1 and failed[0].client_id == agency.client_id  # type: ignore[attr-defined]
    [line] = access_lines(caplog)
    assert (line.status, line.client_id) == (401, agency.client_id)  # type: ignore[attr-defined]
    # every line of that request carries its id
    of_request = [r for r in caplog.records if getattr(r, "request_id", None) == "tok-9"]
    assert {r.name for r in of_request} >= {"trustcenter.auth", "trustcenter.access"}


async def test_audit_events_name_the_http_request_that_caused_them(flow: Flow) -> None:
    r = await flow.world.http.post(
        "/graphql",
        json={
            "query": "mutation($i: SubmitRequestInput!) { submitRequest(input: $i) "
            "{ request { id } userErrors { code } } }",
            "variables": {"i": VALID_SUBMISSION},
        },
        headers={"Authorization": f"Bearer {flow.agency.token}", "X-Request-ID": "submit-77"},
    )
    rid = r.json()["data"]["submitRequest"]["request"]["id"]
    await flow.ok(flow.staff, "startReview", requestId=rid)
    events = await all_events(flow.container)
    by_action = {e.action: e.correlation_id for e in events}
    assert by_action["request.submitted"] == "submit-77"
    assert re.fullmatch(r"[0-9a-f]{32}", by_action["review.started"] or "")
    # the agency and its client were made at the command line: no HTTP request
    assert by_action["agency.created"] is None
    trail = await flow.staff.data(
        "query($id: ID!) { request(id: $id) { auditTrail { action correlationId } } }",
        {"id": rid},
    )
    shown = {e["action"]: e["correlationId"] for e in trail["request"]["auditTrail"]}
    assert shown["request.submitted"] == "submit-77"
    # the chain's hashes cover the id: the whole chain still verifies
    assert (await verify(flow.container, OPERATOR)).broken is None


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record as the JSON lines a pipeline would get, extras included."""
    formatter = json_formatter()
    stamp = RequestIdFilter()
    out = []
    for record in caplog.records:
        stamp.filter(record)
        out.append(formatter.format(record))
    return "\n".join(out)


async def test_a_whole_flows_log_holds_no_secret_token_document_or_user_data(
    flow: Flow, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    agency, staff = flow.agency, flow.staff
    fresh = await agency.fetch_token()
    await flow.world.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(agency.client_id, "Guessed-Secret-991"),
    )
    await agency.gql(TYPENAME["query"], token="eyJhbGciOiJub25lIn0.forged.sig")
    req = await flow.submit()
    rid = req["id"]
    started = await flow.ok(staff, "startReview", requestId=rid)
    await flow.ok(staff, "askClarification", requestId=rid, message="Which months, Ms Weber?")
    await flow.ok(agency, "answerClarification", requestId=rid, message="Only January 2026.")
    current = await flow.read(rid)
    await flow.decide(current, *(approve(i) for i in items(current).values()))
    assert started["items"]

    logged = _logged(caplog)
    assert "trustcenter.access" in logged and rid not in ("",)
    document = VALID_SUBMISSION["legalBasis"]["document"]
    secrets: dict[str, Any] = {
        "client secret": agency.client_secret,
        "staff client secret": staff.client_secret,
        "guessed secret": "Guessed-Secret-991",
        "access token": fresh,
        "staff token": staff.token,
        "forged token": "eyJhbGciOiJub25lIn0",
        "document (base64)": document[:24],
        "document": base64.b64decode(document).decode(),
        "target e-mail": "uspect@example.com",
        "serial number": "c6n1234567",
        "officer e-mail": "k.weber@polizei",
        "officer phone": "4664",
        "reason": "burglary",
        "clarification": "Ms Weber",
        "answer": "Only January",
    }
    leaked = {name for name, value in secrets.items() if str(value).lower() in logged.lower()}
    assert leaked == set(), [
        line
        for line in logged.splitlines()
        if any(str(v).lower() in line.lower() for v in secrets.values())
    ][:3]
    # and it is valid JSON, line by line
    assert all(isinstance(json.loads(line), dict) for line in logged.splitlines())
