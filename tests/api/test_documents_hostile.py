"""Callers who try to bend the document rules, on SQLite and PostgreSQL: a Content-Length that
lies, a client that goes away halfway, a body that only starts like a PDF, PNG or JPEG, two
submissions racing for one upload, ids that are not ids — each answered with a clear refusal
and nothing half-stored or half-attached."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.api.test_documents import JPEG, PDF, PNG, read, stored, upload
from tests.api.test_documents_attached import basis, submit, uploaded
from tests.helpers import request_count
from trustcenter.bootstrap import Container
from trustcenter.db.models import AuditEvent, Document, Request
from trustcenter.disclosure.sealing import CHUNK_SIZE
from trustcenter.web.app import create_app

PIECE = 64 * 1024


async def raw_post(
    container: Container, token: str, messages: list[dict[str, Any]], headers: list[Any]
) -> tuple[int, dict[str, Any] | None]:
    """POST /documents straight through ASGI, the body as the given messages (what an HTTP
    client cannot be made to send: a body longer than its Content-Length, a disconnect)."""
    app = create_app(container)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/documents",
        "raw_path": b"/documents",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"authorization", f"Bearer {token}".encode()),
            *headers,
        ],
        "client": ("127.0.0.1", 40000),
        "server": ("localhost", 80),
    }
    queue = list(messages)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, (json.loads(body) if body else None)


def body_messages(first: bytes, total: int, *, end: bool = True) -> list[dict[str, Any]]:
    out = []
    sent = 0
    while sent < total:
        size = min(PIECE, total - sent)
        piece = (first + b"\0" * PIECE)[:size] if sent == 0 else b"\0" * size
        sent += size
        out.append({"type": "http.request", "body": piece, "more_body": sent < total or not end})
    return out


# --- the body ----------------------------------------------------------------------------------


async def test_a_content_length_that_says_small_does_not_let_more_in(agency, container):
    limit = CHUNK_SIZE + 1000  # a whole chunk is sealed and stored before the limit is passed
    container.settings = replace(container.settings, max_document_bytes=limit)
    status, answer = await raw_post(
        container,
        agency.token,
        body_messages(PDF, limit + PIECE),
        [(b"content-length", b"100"), (b"content-type", b"application/pdf")],
    )
    assert status == 413
    assert answer is not None and answer["error"] == "document_too_large"
    assert await stored(container) == (0, 0)


async def test_a_client_that_goes_away_halfway_leaves_nothing_stored(agency, container):
    messages = body_messages(PDF, 3 * CHUNK_SIZE, end=False)  # more to come …
    messages.append({"type": "http.disconnect"})  # … and then it is gone
    status, _ = await raw_post(container, agency.token, messages, [])
    assert status == 400
    assert await stored(container) == (0, 0)  # the two chunks already sealed are gone again
    async with container.db.reader() as s:
        uploads = await s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "document.uploaded")
        )
    assert uploads == 0


@pytest.mark.parametrize(
    "body",
    [
        PDF[: len(PDF) // 2],  # a PDF cut short: no %%EOF
        b"%PDF-",  # the signature alone
        PNG[:-12],  # a PNG without its IEND chunk
        JPEG[:-2],  # a JPEG without its end-of-image marker
        b"\xff\xd8\xff\xd9",  # "ends" inside its own signature
        PDF + b"\0" * 2000,  # the end marker is not near the end
    ],
    ids=["pdf-cut", "pdf-signature", "png-no-iend", "jpeg-no-eoi", "jpeg-overlap", "pdf-padded"],
)
async def test_a_body_that_only_starts_like_a_document_is_refused_as_incomplete(
    agency, container, body
):
    r = await upload(agency, body)
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "incomplete_document"
    assert "cut short" in r.json()["error_description"]
    assert await stored(container) == (0, 0)


@pytest.mark.parametrize("body", [b"%PDF", b"\x89PNG", b"\xff\xd8", b"GIF89a;"])
async def test_a_few_magic_bytes_are_no_document(agency, container, body):
    r = await upload(agency, body)
    assert r.status_code == 415
    assert r.json()["error"] == "unsupported_document_type"
    assert await stored(container) == (0, 0)


async def test_a_document_may_end_with_a_little_after_its_end_marker(agency):
    """A PDF with a line feed (or a scanner's few bytes) after %%EOF is whole."""
    r = await upload(agency, PDF + b"\r\n" + b" " * 100)
    assert r.status_code == 201, r.text


# --- attaching ---------------------------------------------------------------------------------


async def test_two_submissions_naming_one_upload_at_once_attach_it_once(agency, container):
    document_id = await uploaded(agency)
    first, second = await asyncio.gather(
        submit(agency, legalBasis=basis(documentIds=[document_id], reference="AG-2026-201")),
        submit(agency, legalBasis=basis(documentIds=[document_id], reference="AG-2026-202")),
    )
    won = [p for p in (first, second) if p["request"] is not None]
    lost = [p for p in (first, second) if p["request"] is None]
    assert len(won) == 1 and len(lost) == 1
    assert [e["code"] for e in lost[0]["userErrors"]] == ["DOCUMENT_ALREADY_ATTACHED"]
    assert await request_count(container) == 1
    async with container.db.reader() as s:
        row = await s.get(Document, uuid.UUID(document_id))
        winner = await s.scalar(select(Request.id))
    assert row is not None and row.request_id == winner
    assert [d["id"] for d in won[0]["request"]["legalBasis"]["documents"]] == [document_id]


@pytest.mark.parametrize(
    "target",
    [
        "not-a-uuid",
        "00000000-0000-0000-0000-00000000000g",
        "1" * 300,
        "%00",
        "..%2f..%2fetc",
        "{00000000-0000-4000-8000-000000000000",
    ],
)
async def test_a_malformed_document_id_is_404_never_a_server_error(agency, target):
    await uploaded(agency)
    r = await read(agency, target)
    assert r.status_code == 404, r.text
