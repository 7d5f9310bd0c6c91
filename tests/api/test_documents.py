"""Legal documents through the API, on SQLite and PostgreSQL: POST /documents takes one PDF,
PNG or JPEG (by its content, streamed and sealed as it arrives, never over its limit), GET
/documents/{id} serves it to reviewers and to the agency that uploaded it and to nobody else,
every read is audited, and an upload nobody attaches within a day is purged.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.api.test_notice_worker import cli_json
from tests.helpers import OPERATOR, Actor, counting
from trustcenter.bootstrap import Container
from trustcenter.clock import FixedClock
from trustcenter.db.models import AuditEvent, Document, DocumentChunk
from trustcenter.disclosure.sealing import CHUNK_SIZE
from trustcenter.web.app import create_app

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
PIECE = 64 * 1024
#: how a padded PDF ends (its end marker: a PDF without one is refused as cut short)
EOF_MARK = b"\n%%EOF\n"


async def upload(
    actor: Actor, body: Any, content_type: str = "application/pdf", http: Any = None
) -> httpx.Response:
    headers = {"Content-Type": content_type}
    if actor.token:
        headers["Authorization"] = f"Bearer {actor.token}"
    return await (http or actor.http).post("/documents", content=body, headers=headers)


async def read(actor: Actor, document_id: str) -> httpx.Response:
    return await actor.http.get(
        f"/documents/{document_id}", headers={"Authorization": f"Bearer {actor.token}"}
    )


async def stored(container: Container) -> tuple[int, int]:
    async with container.db.reader() as s:
        documents = await s.scalar(select(func.count()).select_from(Document))
        chunks = await s.scalar(select(func.count()).select_from(DocumentChunk))
    return int(documents or 0), int(chunks or 0)


def padded(first: bytes, total: int) -> bytes:
    """``total`` bytes: ``first``, zeros, and the PDF end marker."""
    return first + b"\0" * (total - len(first) - len(EOF_MARK)) + EOF_MARK


async def pieces(first: bytes, total: int, seen: list[int] | None = None) -> AsyncIterator[bytes]:
    """``total`` bytes starting with ``first`` and ending with the PDF end marker, in 64 KiB
    pieces; counts what was pulled."""
    sent = 0
    while sent < total:
        size = min(PIECE, total - sent)
        piece = (first + b"\0" * PIECE)[:size] if sent == 0 else b"\0" * size
        sent += size
        if sent == total:
            piece = piece[: -len(EOF_MARK)] + EOF_MARK
        if seen is not None:
            seen.append(sent)
        yield piece


def app_client(container: Container, **settings: Any) -> httpx.AsyncClient:
    container.settings = replace(container.settings, **settings)
    transport = httpx.ASGITransport(app=create_app(container))
    return httpx.AsyncClient(transport=transport, base_url="http://localhost")


# --- uploading ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")],
    ids=["pdf", "png", "jpeg"],
)
async def test_an_agency_uploads_a_document_and_reads_it_back(agency, body, content_type):
    r = await upload(agency, body, "application/octet-stream")  # the header is not the type
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["sha256"] == hashlib.sha256(body).hexdigest()
    assert answer["size"] == len(body)
    assert answer["contentType"] == content_type
    assert r.headers["location"] == f"/documents/{answer['id']}"

    back = await read(agency, answer["id"])
    assert back.status_code == 200
    assert back.content == body
    assert back.headers["content-type"] == content_type
    # shown in the browser (the console frames it), and only by this origin's pages
    assert back.headers["content-disposition"].startswith("inline;")
    assert back.headers["content-security-policy"] == "frame-ancestors 'self'"
    assert back.headers["x-frame-options"] == "SAMEORIGIN"
    assert back.headers["x-content-type-options"] == "nosniff"
    assert back.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"just a text file, renamed warrant.pdf\n", 415, "unsupported_document_type"),
        (b"<html><body>%PDF-1.4</body></html>", 415, "unsupported_document_type"),
        (b"", 400, "empty_document"),
    ],
    ids=["text", "html", "empty"],
)
async def test_what_is_not_a_pdf_png_or_jpeg_by_its_content_is_refused_and_not_stored(
    agency, container, body, status, error
):
    r = await upload(agency, body, "application/pdf")
    assert r.status_code == status
    assert r.json()["error"] == error
    assert "PDF, PNG and JPEG" in r.json()["error_description"] or error == "empty_document"
    assert await stored(container) == (0, 0)


async def test_one_byte_over_the_limit_is_413_and_nothing_is_stored(world, container):
    limit = CHUNK_SIZE + 1000  # a full chunk is sealed and stored before the limit is passed
    async with app_client(container, max_document_bytes=limit) as http:
        agency = await world.agency_actor("DE")
        over = await upload(agency, pieces(PDF, limit + 1), http=http)
        assert over.status_code == 413
        assert over.json()["error"] == "document_too_large"
        assert await stored(container) == (0, 0)
        # the same, announced in Content-Length: refused before a byte is read
        announced = await upload(agency, PDF + b"\0" * (limit + 1 - len(PDF)), http=http)
        assert announced.status_code == 413
        assert await stored(container) == (0, 0)

        exact = await upload(agency, pieces(PDF, limit), http=http)
        assert exact.status_code == 201 and exact.json()["size"] == limit
        assert await stored(container) == (1, 2)


async def test_the_general_body_limit_does_not_cut_uploads_short(world, container):
    async with app_client(container, max_body_bytes=100_000, max_document_bytes=400_000) as http:
        agency = await world.agency_actor("DE")
        r = await upload(agency, padded(PDF, 300_000), http=http)
        assert r.status_code == 201, r.text
        big_query = {"query": "{ __typename }", "pad": "x" * 200_000}
        assert (await http.post("/graphql", json=big_query)).status_code == 413


async def test_the_upload_is_sealed_chunk_by_chunk_while_the_body_still_arrives(agency, container):
    """Memory: the server never waits for the whole body. Chunks are inserted while the client
    is still sending, and at every moment at most about one chunk is held unsealed."""
    total = 10 * CHUNK_SIZE
    sent: list[int] = []
    inserted_when: list[tuple[int, int]] = []
    with counting(container.db.engine) as statements:

        async def body() -> AsyncIterator[bytes]:
            async for piece in pieces(PDF, total, sent):
                chunks = sum(
                    s.lstrip().upper().startswith("INSERT") and "document_chunks" in s
                    for s in statements
                )
                inserted_when.append((sent[-1] - len(piece), chunks))
                yield piece

        r = await upload(agency, body())
    assert r.status_code == 201, r.text
    assert r.json()["size"] == total
    for received, chunks in inserted_when:
        # everything received so far is sealed but for at most two chunks' worth in flight
        assert chunks * CHUNK_SIZE >= received - 2 * CHUNK_SIZE, (received, chunks)
    assert inserted_when[-1][1] >= 8  # most of the document was stored before its end arrived
    assert await stored(container) == (1, 10)


async def test_anonymous_upload_is_401_without_reading_the_body(world, container):
    seen: list[int] = []
    r = await world.http.post("/documents", content=pieces(PDF, 11 * 1024 * 1024, seen), headers={})
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"
    assert "www-authenticate" in r.headers
    assert (seen[-1] if seen else 0) <= PIECE  # the 11 MB were never read
    assert await stored(container) == (0, 0)


async def test_a_bad_token_is_401(world):
    r = await world.http.post(
        "/documents", content=PDF, headers={"Authorization": "Bearer not-a-token"}
    )
    assert r.status_code == 401


@pytest.mark.parametrize(
    "who",
    ["staff", "agency without requests:submit", "unverified agency"],
)
async def test_only_a_verified_agency_with_requests_submit_uploads(world, container, who):
    from trustcenter.domain.enums import VerificationState

    if who == "staff":
        actor = await world.staff_actor()
    elif who == "unverified agency":
        actor = await world.agency_actor("DE", state=VerificationState.PENDING)
    else:
        actor = await world.agency_actor("DE", scopes=["requests:read", "disclosures:read"])
    seen: list[int] = []
    r = await upload(actor, pieces(PDF, 11 * 1024 * 1024, seen))
    assert r.status_code == 403
    assert r.json()["error"] == "insufficient_scope"
    assert (seen[-1] if seen else 0) <= PIECE  # refused before the body was read
    assert await stored(container) == (0, 0)


# --- reading ------------------------------------------------------------------------------------


async def test_a_reviewer_reads_a_document_and_the_read_is_audited_with_who(
    world, agency, container
):
    document = (await upload(agency, PDF)).json()
    reviewer = await world.staff_actor(["review"])
    r = await read(reviewer, document["id"])
    assert r.status_code == 200 and r.content == PDF
    async with container.db.reader() as s:
        reads = (
            await s.scalars(select(AuditEvent).where(AuditEvent.action == "document.read"))
        ).all()
    assert [(e.actor_kind, e.actor_id, e.subject_id) for e in reads] == [
        ("staff", reviewer.client_id, document["id"])
    ]
    assert json.loads(reads[0].data)["sha256"] == document["sha256"]
    await read(agency, document["id"])
    async with container.db.reader() as s:
        readers = (
            await s.scalars(
                select(AuditEvent.actor_id)
                .where(AuditEvent.action == "document.read")
                .order_by(AuditEvent.seq)
            )
        ).all()
    assert readers == [reviewer.client_id, agency.client_id]


@pytest.mark.parametrize(
    "who", ["staff without review", "another agency", "missing id", "not an id"]
)
async def test_anyone_else_gets_the_answer_of_a_missing_document(world, agency, container, who):
    document = (await upload(agency, PDF)).json()
    target = document["id"]
    if who == "staff without review":
        actor = await world.staff_actor(["notices", "reports", "audit", "admin"])
    elif who == "another agency":
        actor = await world.agency_actor("FR")
    else:
        actor = agency
        target = "00000000-0000-4000-8000-000000000000" if who == "missing id" else "x'--"
    r = await read(actor, target)
    assert r.status_code == 404
    assert r.json() == {"error": "not_found", "error_description": "no such document"}
    async with container.db.reader() as s:
        reads = await s.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "document.read")
        )
    assert reads == 0


async def test_anonymous_read_is_401(world, agency):
    document = (await upload(agency, PDF)).json()
    r = await world.http.get(f"/documents/{document['id']}")
    assert r.status_code == 401


async def test_a_tampered_document_is_not_served(world, agency, container):
    document = (await upload(agency, PDF)).json()
    async with container.db.transaction() as s:
        chunk = await s.get(DocumentChunk, (uuid.UUID(document["id"]), 0))
        assert chunk is not None
        chunk.ciphertext = bytes([chunk.ciphertext[0] ^ 1]) + chunk.ciphertext[1:]
    reviewer = await world.staff_actor(["review"])
    r = await read(reviewer, document["id"])
    assert r.status_code == 500
    assert r.json()["error"] == "integrity"
    async with container.db.reader() as s:
        actions = (await s.scalars(select(AuditEvent.action))).all()
    assert "document.integrity_failed" in actions and "document.read" not in actions


# --- expiry -------------------------------------------------------------------------------------


async def test_an_upload_nobody_attached_within_a_day_is_purged(agency, container, clock):
    old = (await upload(agency, PDF)).json()
    clock.advance(timedelta(hours=23))
    await agency.fetch_token()
    assert (await read(agency, old["id"])).status_code == 200
    clock.advance(timedelta(hours=1))
    await agency.fetch_token()
    assert (await read(agency, old["id"])).status_code == 404  # expired: gone for readers too
    fresh = await upload(agency, PNG)  # each upload purges what has expired
    assert fresh.status_code == 201
    async with container.db.reader() as s:
        ids = {str(i) for i in (await s.scalars(select(Document.id))).all()}
        purged = (
            await s.scalars(select(AuditEvent).where(AuditEvent.action == "documents.purged"))
        ).all()
    assert ids == {fresh.json()["id"]}
    assert [json.loads(e.data)["documents"] for e in purged] == [[old["id"]]]
    assert await stored(container) == (1, 1)


def _purge_cli(container: Container) -> Any:
    return cli_json(container, "documents", "purge")


async def test_documents_purge_deletes_expired_uploads_from_the_command_line(
    agency, container, clock: FixedClock
):
    clock.set(datetime(2020, 1, 1, tzinfo=UTC))  # long expired for the command's real clock
    await agency.fetch_token()
    await upload(agency, PDF)
    await upload(agency, JPEG)
    assert await stored(container) == (2, 2)
    assert await asyncio.to_thread(_purge_cli, container) == {"purged": 2}
    assert await stored(container) == (0, 0)
    assert await asyncio.to_thread(_purge_cli, container) == {"purged": 0}


async def test_each_pass_of_the_notice_worker_purges_expired_uploads(agency, container, clock):
    """Where nobody uploads for a while, the worker still deletes what nobody attached."""
    old = (await upload(agency, PDF)).json()
    worker = container.notice_worker()
    assert (await worker.run_once(OPERATOR)).purged == 0  # within its day: kept
    clock.advance(timedelta(days=1))
    assert (await worker.run_once(OPERATOR)).purged == 1
    assert await stored(container) == (0, 0)
    await agency.fetch_token()
    assert (await read(agency, old["id"])).status_code == 404
    async with container.db.reader() as s:
        purged = (
            await s.scalars(select(AuditEvent).where(AuditEvent.action == "documents.purged"))
        ).all()
    assert [(e.actor_id, json.loads(e.data)["documents"]) for e in purged] == [
        ("notice-worker", [old["id"]])
    ]
    assert (await worker.run_once(OPERATOR)).purged == 0


async def test_trustcenter_worker_reports_the_uploads_it_purged(
    agency, container, clock: FixedClock
):
    clock.set(datetime(2020, 1, 1, tzinfo=UTC))  # long expired for the command's real clock
    await agency.fetch_token()
    await upload(agency, PDF)
    summary = await asyncio.to_thread(cli_json, container, "worker", "--once")
    assert summary["documents_purged"] == 1
    assert await stored(container) == (0, 0)
