"""submitRequest: what an agency client sends, what it gets back, and what is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.helpers import SUBMIT, submission
from trustcenter.db.models import LegalBasis, Request, RequestedItem, Target


async def count(container, model) -> int:
    async with container.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_submit_stores_the_request_and_returns_it(world, container, clock):
    agency = await world.agency_actor("DE")
    req = await agency.submit()
    assert req["status"] == "RECEIVED" and req["version"] == 1
    assert req["category"] == "ACCOUNT"  # an e-mail target, no D, not an emergency
    received = datetime.fromisoformat(req["receivedAt"])
    assert received == clock.now()
    assert datetime.fromisoformat(req["deadline"]) - received == timedelta(days=30)
    assert [t["identifier"] for t in req["targets"]] == ["suspect@example.com", "C6N1234567"]
    assert [[i["infoType"] for i in t["items"]] for t in req["targets"]] == [["A", "C"], ["B"]]
    assert await count(container, RequestedItem) == 3
    async with container.db.reader() as session:
        basis = (await session.scalars(select(LegalBasis))).one()
    assert basis.document_sha256 and basis.document_size == len(b"%PDF-1.4 warrant")


async def test_request_reads_back_with_every_field(world):
    agency = await world.agency_actor("DE")
    req = await agency.submit()
    data = await agency.data(
        """query($id: ID!) { request(id: $id) {
      id status category jurisdiction emergency receivedAt deadline version reason
      officer { name email phone } agency { name country verification }
      legalBasis { kind reference issuedBy issuedAt documentSha256 }
      targets { identifierType identifier } items { infoType from to outcome } } }""",
        {"id": req["id"]},
    )
    r = data["request"]
    assert r["officer"] == {
        "name": "Kommissarin K. Weber",
        "email": "k.weber@polizei.example",
        "phone": "+49 30 4664 0",
    }
    assert r["agency"]["country"] == "DE" and r["agency"]["verification"] == "VERIFIED"
    assert r["legalBasis"]["kind"] == "WARRANT" and r["legalBasis"]["reference"] == "AG-2026-113"
    assert r["items"][0] == {
        "infoType": "A",
        "from": "2026-01-01",
        "to": "2026-06-30",
        "outcome": None,
    }


async def test_emergency_request_gets_eight_hours_and_its_category(world):
    agency = await world.agency_actor("US")
    req = await agency.submit(
        jurisdiction="US",
        emergency=True,
        emergencyDescription="Child missing; last seen near the camera.",
    )
    assert req["category"] == "EMERGENCY" and req["emergency"] is True
    delta = datetime.fromisoformat(req["deadline"]) - datetime.fromisoformat(req["receivedAt"])
    assert delta == timedelta(hours=8)


async def test_asking_for_transactions_makes_a_transaction_request(world):
    agency = await world.agency_actor("DE")
    req = await agency.submit(
        targets=[{"identifierType": "ORDER_ID", "identifier": "ORD-1", "infoTypes": ["D"]}]
    )
    assert req["category"] == "TRANSACTION"


BAD = {
    "no targets": ({"targets": []}, "targets", "EMPTY_TARGETS"),
    "no info types": (
        {"targets": [{"identifierType": "EMAIL", "identifier": "a@b.example", "infoTypes": []}]},
        "targets[0].infoTypes",
        "EMPTY_INFO_TYPES",
    ),
    "reversed range": (
        {
            "targets": [
                {
                    "identifierType": "EMAIL",
                    "identifier": "a@b.example",
                    "infoTypes": ["C"],
                    "from": "2026-06-01",
                    "to": "2026-01-01",
                }
            ]
        },
        "targets[0].to",
        "INVALID_TIME_RANGE",
    ),
    "not an e-mail": (
        {"targets": [{"identifierType": "EMAIL", "identifier": "nobody", "infoTypes": ["A"]}]},
        "targets[0].identifier",
        "INVALID_IDENTIFIER",
    ),
    "not a phone": (
        {"targets": [{"identifierType": "PHONE", "identifier": "12", "infoTypes": ["A"]}]},
        "targets[0].identifier",
        "INVALID_IDENTIFIER",
    ),
    "unknown country": ({"jurisdiction": "XX"}, "jurisdiction", "INVALID_JURISDICTION"),
    "expired legal basis": (
        {
            "legalBasis": {
                "kind": "SUBPOENA",
                "reference": "S-1",
                "issuedBy": "DA",
                "issuedAt": "2025-01-01",
                "expiresAt": "2025-02-01",
            }
        },
        "legalBasis.expiresAt",
        "LEGAL_BASIS_EXPIRED",
    ),
    "document not base64": (
        {
            "legalBasis": {
                "kind": "WARRANT",
                "reference": "W-1",
                "issuedBy": "Court",
                "issuedAt": "2026-11-01",
                "document": "***",
            }
        },
        "legalBasis.document",
        "INVALID_DOCUMENT",
    ),
    "emergency without description": ({"emergency": True}, "emergencyDescription", "INVALID_INPUT"),
    "no reason": ({"reason": "  "}, "reason", "INVALID_INPUT"),
    "bad officer e-mail": (
        {"officer": {"name": "X", "email": "x"}},
        "officer.email",
        "INVALID_INPUT",
    ),
}


@pytest.mark.parametrize("case", list(BAD))
async def test_bad_input_gets_a_user_error_and_changes_nothing(world, container, case):
    changes, field, code = BAD[case]
    agency = await world.agency_actor("DE")
    payload = (await agency.data(SUBMIT, {"input": submission(**changes)}))["submitRequest"]
    assert payload["request"] is None
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in payload["userErrors"]
    ]
    assert all(e["message"] for e in payload["userErrors"])
    for model in (Request, LegalBasis, Target, RequestedItem):
        assert await count(container, model) == 0


async def test_every_problem_is_reported_at_once(world):
    agency = await world.agency_actor("DE")
    payload = (
        await agency.data(SUBMIT, {"input": submission(jurisdiction="XX", reason="", targets=[])})
    )["submitRequest"]
    assert {e["field"] for e in payload["userErrors"]} >= {"jurisdiction", "reason", "targets"}


@pytest.mark.parametrize(
    "target",
    [
        {"identifierType": "IMEI", "identifier": "1", "infoTypes": ["A"]},
        {"identifierType": "EMAIL", "identifier": "a@b.example", "infoTypes": ["F"]},
    ],
)
async def test_values_outside_the_enums_are_refused_by_the_schema(world, container, target):
    """Identifier types and information types are GraphQL enums: anything else is refused
    before any code runs, with an error naming the bad value."""
    agency = await world.agency_actor("DE")
    r = await agency.gql(SUBMIT, {"input": submission(targets=[target])})
    errors = r.json()["errors"]
    bad = target["identifierType"] if target["identifierType"] == "IMEI" else "F"
    assert bad in errors[0]["message"]
    assert await count(container, Request) == 0


async def test_idempotency_key_returns_the_first_result(world, container):
    agency = await world.agency_actor("DE")
    variables = {"input": submission(idempotencyKey="3f1c-retry-1")}
    first = (await agency.data(SUBMIT, variables))["submitRequest"]
    second = (await agency.data(SUBMIT, variables))["submitRequest"]
    assert first["replayed"] is False and second["replayed"] is True
    assert first["request"]["id"] == second["request"]["id"]
    assert await count(container, Request) == 1


async def test_idempotency_key_with_another_payload_is_a_conflict(world, container):
    agency = await world.agency_actor("DE")
    await agency.data(SUBMIT, {"input": submission(idempotencyKey="k-1")})
    other = submission(idempotencyKey="k-1", reason="A different reason")
    payload = (await agency.data(SUBMIT, {"input": other}))["submitRequest"]
    assert payload["request"] is None
    assert payload["userErrors"][0]["code"] == "CONFLICT"
    assert payload["userErrors"][0]["field"] == "idempotencyKey"
    assert await count(container, Request) == 1


async def test_idempotency_keys_are_per_agency(world, container):
    de = await world.agency_actor("DE")
    fr = await world.agency_actor("FR")
    a = (await de.data(SUBMIT, {"input": submission(idempotencyKey="same")}))["submitRequest"]
    french = submission(idempotencyKey="same", jurisdiction="FR")
    b = (await fr.data(SUBMIT, {"input": french}))["submitRequest"]
    assert a["request"]["id"] != b["request"]["id"] and b["replayed"] is False
