"""Fuzz ``POST /documents``: bodies that start like a PDF, PNG or JPEG and go wrong, raw bytes,
odd content types, as the verified agency that may upload, as staff and anonymously. A refusal
(401, 403, 413, 415, 422) or a 201 is an answer; a 5xx, an INTERNAL_SERVER_ERROR or an ERROR
in the server's log is a failure (see ``harness``)."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.harness import Server, bounded, in_thread, scaled
from tests.helpers import World

PREFIXES = st.sampled_from(
    [b"", b"%PDF-1.4\n", b"%PDF-", b"\x89PNG\r\n\x1a\n", b"\x89PNG", b"\xff\xd8\xff", b"\xff\xd8"]
)
ENDINGS = st.sampled_from([b"", b"\n%%EOF\n", b"IEND\xaeB`\x82", b"\xff\xd9"])
BODIES = st.tuples(PREFIXES, st.binary(max_size=2048), ENDINGS).map(b"".join)
CONTENT_TYPES = st.sampled_from(
    ["application/pdf", "image/png", "image/jpeg", "application/octet-stream", "text/html", ""]
)

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


async def test_document_upload_fuzz(
    world: World, http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    agency = await world.agency_actor()
    staff = await world.staff_actor()
    tokens = {"agency": agency.token, "staff": staff.token, "anonymous": None, "forged": "x.y.z"}
    server = Server(asyncio.get_running_loop(), http, caplog)

    @bounded(scaled(300))
    @example(who="agency", body=PDF, content_type="application/pdf")
    @given(who=st.sampled_from(sorted(tokens)), body=BODIES, content_type=CONTENT_TYPES)
    def fuzz(who: str, body: bytes, content_type: str) -> None:
        headers = {"Content-Type": content_type} if content_type else {}
        token = tokens[who]
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        server.send(
            f"{who} {headers.get('Content-Type')!r} {body[:200]!r}",
            lambda: http.post("/documents", content=body, headers=headers),
        )

    await in_thread(fuzz)
    # the run reached the upload itself: documents were stored and bodies refused
    assert 201 in server.statuses and 401 in server.statuses, server.statuses
    assert any(s in server.statuses for s in (415, 422)), server.statuses
