"""The package at rest, on SQLite and PostgreSQL: it is encrypted, and sealed so that it cannot be
read, altered, cut short or moved to another request unnoticed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update

from tests.api.disclosure.support import SUSPECT_TARGETS, UserData
from tests.helpers import Flow
from trustcenter.bootstrap import Container
from trustcenter.db.models import (
    Disclosure,
    DisclosureChunk,
)

# --- at rest ----------------------------------------------------------------------------------


async def chunks_of(container: Container, disclosure_id: str) -> list[DisclosureChunk]:
    async with container.db.reader() as s:
        rows = await s.scalars(
            select(DisclosureChunk)
            .where(DisclosureChunk.disclosure_id == uuid.UUID(disclosure_id))
            .order_by(DisclosureChunk.idx)
        )
        return list(rows.all())


async def test_the_stored_package_is_encrypted(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    released = await flow.released(SUSPECT_TARGETS)
    disclosure = released["disclosure"]
    chunks = await chunks_of(container, disclosure["id"])
    assert chunks
    stored = b"".join(c.ciphertext for c in chunks)
    assert len(stored) >= disclosure["size"]
    suspect = userdata.people["suspect"]
    for value in (
        suspect.account["email"],
        suspect.account["username"],
        suspect.products[0]["verification_code"],
        suspect.usage[4]["ip_address"],
        "trustcenter-disclosure/1",
    ):
        assert value.encode() not in stored
        assert value.encode() not in b"".join(c.nonce for c in chunks)
    async with container.db.reader() as s:
        row = await s.get(Disclosure, uuid.UUID(disclosure["id"]))
    assert row is not None and row.key_id == container.disclosure_keys.current_id
    # ...and yet the agency reads the plaintext
    r = await flow.download(disclosure["downloadPath"], flow.agency.token)
    assert suspect.account["email"] in r.text


def assert_integrity_failure(r: Any, userdata: UserData) -> None:
    assert r.status_code == 500
    assert r.json()["error"] == "integrity"
    for value in userdata.everything():
        assert value not in r.text


async def test_a_package_copied_onto_another_request_does_not_open(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    first = await flow.released(SUSPECT_TARGETS)
    second = await flow.released(SUSPECT_TARGETS)  # the same shape: one chunk each
    a, b = first["disclosure"], second["disclosure"]
    a_chunks, b_chunks = await chunks_of(container, a["id"]), await chunks_of(container, b["id"])
    assert len(a_chunks) == len(b_chunks)
    async with container.db.transaction() as s:
        for chunk in a_chunks:
            await s.execute(
                update(DisclosureChunk)
                .where(
                    DisclosureChunk.disclosure_id == uuid.UUID(b["id"]),
                    DisclosureChunk.idx == chunk.idx,
                )
                .values(nonce=chunk.nonce, ciphertext=chunk.ciphertext)
            )
    moved = await flow.download(b["downloadPath"], flow.agency.token)
    assert_integrity_failure(moved, userdata)
    # the original still opens
    assert (await flow.download(a["downloadPath"], flow.agency.token)).status_code == 200


async def test_a_package_whose_whole_row_is_moved_to_another_request_does_not_open(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    """Even with its digest, size and chunk count copied too: the chunks name their request."""
    first = await flow.released(SUSPECT_TARGETS)
    second = await flow.released(SUSPECT_TARGETS)
    a, b = first["disclosure"], second["disclosure"]
    async with container.db.transaction() as s:
        source = await s.get(Disclosure, uuid.UUID(a["id"]))
        assert source is not None
        await s.execute(
            update(Disclosure)
            .where(Disclosure.id == uuid.UUID(b["id"]))
            .values(sha256=source.sha256, size=source.size, chunk_count=source.chunk_count)
        )
        await s.execute(
            update(DisclosureChunk)
            .where(DisclosureChunk.disclosure_id == uuid.UUID(b["id"]))
            .values(ciphertext=b"")
        )
        for chunk in await chunks_of(container, a["id"]):
            await s.execute(
                update(DisclosureChunk)
                .where(
                    DisclosureChunk.disclosure_id == uuid.UUID(b["id"]),
                    DisclosureChunk.idx == chunk.idx,
                )
                .values(nonce=chunk.nonce, ciphertext=chunk.ciphertext)
            )
    assert_integrity_failure(await flow.download(b["downloadPath"], flow.agency.token), userdata)


async def test_a_flipped_byte_at_rest_is_detected(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    released = await flow.released(SUSPECT_TARGETS)
    disclosure = released["disclosure"]
    chunk = (await chunks_of(container, disclosure["id"]))[0]
    tampered = bytearray(chunk.ciphertext)
    tampered[len(tampered) // 2] ^= 0x01
    async with container.db.transaction() as s:
        await s.execute(
            update(DisclosureChunk)
            .where(
                DisclosureChunk.disclosure_id == chunk.disclosure_id,
                DisclosureChunk.idx == chunk.idx,
            )
            .values(ciphertext=bytes(tampered))
        )
    assert_integrity_failure(
        await flow.download(disclosure["downloadPath"], flow.agency.token), userdata
    )


async def test_a_package_cut_short_is_detected(
    flow: Flow, userdata: UserData, container: Container
) -> None:
    released = await flow.released(SUSPECT_TARGETS)
    disclosure = released["disclosure"]
    async with container.db.transaction() as s:
        await s.execute(
            update(Disclosure)
            .where(Disclosure.id == uuid.UUID(disclosure["id"]))
            .values(chunk_count=Disclosure.chunk_count + 1)
        )
    assert_integrity_failure(
        await flow.download(disclosure["downloadPath"], flow.agency.token), userdata
    )
