"""Idempotent submission, on SQLite and on PostgreSQL: a retry with the same key returns the first
result, another payload under the key is a conflict, and concurrent submissions store exactly
what they should.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

# --- idempotency ----------------------------------------------------------------------------
from tests.integration.storage_helpers import (
    DOCUMENT,
    _agency,
    _agent,
    _count,
    _counts,
    _draft,
    _stored,
    _submit,
)
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import (
    LegalBasis,
    Request,
    RequestedItem,
)
from trustcenter.domain.enums import (
    IdentifierType,
    InfoType,
)
from trustcenter.domain.errors import DomainError, ErrorCode
from trustcenter.domain.submission import Officer, TargetDraft
from trustcenter.services import reads
from trustcenter.services.requests import Submitted


async def test_a_retry_with_the_same_key_returns_the_first_result(
    container: Container, clock: FixedClock
) -> None:
    c = container
    who = _agent(await _agency(c))
    draft = _draft(idempotency_key="3f1c-retry")
    first = await _submit(c, who, draft)
    received = first.request.received_at
    clock.advance(timedelta(minutes=3))  # the retry comes later
    second = await _submit(c, who, draft)

    assert first.replayed is False and second.replayed is True
    assert second.request.id == first.request.id
    assert second.request.received_at == received
    assert await _counts(c) == {
        "requests": 1,
        "legal_bases": 1,
        "request_targets": 3,
        "requested_items": 5,
    }
    stored = (await _stored(c, Request, [first.request.id]))[first.request.id]
    assert stored.idempotency_key == "3f1c-retry"
    # the same payload written differently (normalised to the same thing) is the same request
    third = await _submit(c, who, replace(draft, jurisdiction="DE "))
    assert third.replayed is True and third.request.id == first.request.id


@pytest.mark.parametrize(
    "changes",
    [
        {"reason": "Something else entirely."},
        {"jurisdiction": "FR"},
        {"emergency": True, "emergency_description": "now urgent"},
        {"legal_basis": replace(_draft().legal_basis, document=DOCUMENT + b"!")},
        {"targets": _draft().targets[:2]},
    ],
    ids=["reason", "jurisdiction", "emergency", "document", "targets"],
)
async def test_the_same_key_with_another_payload_is_a_conflict(
    container: Container, changes: dict[str, Any]
) -> None:
    c = container
    who = _agent(await _agency(c))
    first = await _submit(c, who, _draft(idempotency_key="key-1"))
    with pytest.raises(DomainError) as caught:
        await _submit(c, who, _draft(idempotency_key="key-1", **changes))
    assert [(p.field, p.code) for p in caught.value.problems] == [
        ("idempotencyKey", ErrorCode.CONFLICT)
    ]
    assert await _count(c, Request) == 1
    assert await _count(c, LegalBasis) == 1
    assert set(await reads.requests_by_ids(c, who, [first.request.id])) == {first.request.id}


async def test_keys_belong_to_one_agency_and_no_key_means_no_dedup(container: Container) -> None:
    c = container
    a, b = _agent(await _agency(c, "DE")), _agent(await _agency(c, "AT"))
    draft = _draft(idempotency_key="shared-key")
    ra, rb = await _submit(c, a, draft), await _submit(c, b, draft)
    assert not ra.replayed and not rb.replayed and ra.request.id != rb.request.id
    # without a key, two identical submissions are two requests
    x, y = await _submit(c, a), await _submit(c, a)
    assert not x.replayed and not y.replayed and x.request.id != y.request.id
    assert await _count(c, Request) == 4


async def test_concurrent_retries_with_one_key_create_one_request(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    draft = _draft(idempotency_key="burst-1")

    results = await asyncio.gather(
        *(_submit(c, who, draft) for _ in range(20)), return_exceptions=True
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], [repr(e) for e in errors]
    done = [r for r in results if isinstance(r, Submitted)]
    assert len({r.request.id for r in done}) == 1
    assert sum(not r.replayed for r in done) == 1
    assert await _counts(c) == {
        "requests": 1,
        "legal_bases": 1,
        "request_targets": 3,
        "requested_items": 5,
    }


async def test_concurrent_submissions_without_a_key_are_all_stored(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    results = await asyncio.gather(
        *(_submit(c, who, _draft(idempotency_key=f"k{i}")) for i in range(12)),
        return_exceptions=True,
    )
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], [repr(e) for e in errors]
    assert len({r.request.id for r in results if isinstance(r, Submitted)}) == 12
    assert await _count(c, Request) == 12
    assert await _count(c, RequestedItem) == 12 * 5


async def test_concurrent_submissions_with_one_key_and_two_payloads(container: Container) -> None:
    """Whoever wins the race, the key ends up naming one request; the other payload is a
    conflict every time, and never a second row or a database error."""
    c = container
    who = _agent(await _agency(c))
    one = _draft(idempotency_key="race-2")
    other = _draft(idempotency_key="race-2", reason="A different reason.")
    drafts = [one, other] * 8

    results = await asyncio.gather(*(_submit(c, who, d) for d in drafts), return_exceptions=True)

    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, DomainError)
    ]
    assert unexpected == [], [repr(e) for e in unexpected]
    stored = [r for r in results if isinstance(r, Submitted)]
    assert len({r.request.id for r in stored}) == 1
    assert sum(not r.replayed for r in stored) == 1
    winning = one if stored[0].request.reason == one.reason.strip() else other
    for d, r in zip(drafts, results, strict=True):
        if d is winning:
            assert isinstance(r, Submitted) and r.request.id == stored[0].request.id
        else:
            assert isinstance(r, DomainError), r
            assert [p.code for p in r.problems] == [ErrorCode.CONFLICT]
    assert len(stored) == 8
    assert await _counts(c) == {
        "requests": 1,
        "legal_bases": 1,
        "request_targets": 3,
        "requested_items": 5,
    }


async def test_text_and_large_documents_round_trip_exactly(container: Container) -> None:
    c = container
    who = _agent(await _agency(c))
    document = bytes(range(256)) * (3 * 1024 * 4)  # 3 MiB, every byte value
    draft = _draft(
        officer=Officer(
            name="Kommissarin Ö. Weiß-Łukasiewicz 🚓",
            email="w@polizei.example",
            title="Kriminalhauptkommissarin",
        ),
        reason="Ermittlungen wegen Einbruchs; 证人; ¿testigo? \u2014 \"quoted\" 'single' \\ %",
        legal_basis=replace(
            _draft().legal_basis, issued_by="Amtsgericht München", document=document
        ),
        targets=(TargetDraft(IdentifierType.USERNAME, "jürgen.müller", (InfoType.A,)),),
    )
    req = (await _submit(c, who, draft)).request
    found = (await reads.requests_by_ids(c, who, [req.id]))[req.id]
    assert found.officer_name == draft.officer.name
    assert found.reason == draft.reason
    targets = (await reads.targets_of(c, who, [req.id]))[req.id]
    assert [t.identifier for t in targets] == ["jürgen.müller"]
    basis = (await reads.legal_bases_by_ids(c, who, [req.legal_basis_id]))[req.legal_basis_id]
    assert basis.issued_by == "Amtsgericht München"
    assert basis.document_size == len(document)
    assert basis.document_sha256 == hashlib.sha256(document).hexdigest()
    async with c.db.reader() as session:
        stored = await session.scalar(
            select(LegalBasis.document).where(LegalBasis.id == req.legal_basis_id)
        )
    assert stored == document
