"""Writing the package: a JSON document streamed record by record into sealed chunks.

    {"format": "trustcenter-disclosure/1",
     "request": {...}, "released_at": "...",
     "targets": [{"identifier_type": "email", "identifier": "...",
                  "items": [{"info_type": "C", "decision": {...}, "records": [{...}, ...]}]}]}

Only the current chunk is ever in memory; the SHA-256 digest is over the whole plaintext.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trustcenter.disclosure.sealing import CHUNK_SIZE

ChunkSink = Callable[[int, bytes, bool], Awaitable[None]]


class ChunkWriter:
    """Collects bytes and hands out full chunks; the last chunk is marked as such."""

    def __init__(self, sink: ChunkSink, chunk_size: int = CHUNK_SIZE) -> None:
        self._sink = sink
        self._size = chunk_size
        self._buffer = bytearray()
        self._digest = hashlib.sha256()
        self.length = 0
        self.chunks = 0

    async def write(self, data: bytes) -> None:
        self._digest.update(data)
        self.length += len(data)
        self._buffer += data
        # keep at least one byte back, so that the chunk sealed at close is the last one
        while len(self._buffer) > self._size:
            piece = bytes(self._buffer[: self._size])
            del self._buffer[: self._size]
            await self._sink(self.chunks, piece, False)
            self.chunks += 1

    async def close(self) -> str:
        await self._sink(self.chunks, bytes(self._buffer), True)
        self.chunks += 1
        self._buffer.clear()
        return self._digest.hexdigest()


def _dump(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Section:
    """One item of the package: its decision, and the records it allows (already minimised)."""

    info_type: str
    decision: Mapping[str, Any]
    records: AsyncIterator[Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class TargetSection:
    identifier_type: str
    identifier: str
    items: list[Section]


async def write_package(
    out: ChunkWriter, header: Mapping[str, Any], targets: list[TargetSection]
) -> int:
    """Stream the document into ``out``; return how many records it holds."""
    count = 0
    await out.write(b'{"format":"trustcenter-disclosure/1",')
    for key, value in sorted(header.items()):
        await out.write(_dump(key) + b":" + _dump(value) + b",")
    await out.write(b'"targets":[')
    for t_index, target in enumerate(targets):
        if t_index:
            await out.write(b",")
        await out.write(
            b'{"identifier_type":'
            + _dump(target.identifier_type)
            + b',"identifier":'
            + _dump(target.identifier)
            + b',"items":['
        )
        for i_index, section in enumerate(target.items):
            if i_index:
                await out.write(b",")
            await out.write(
                b'{"info_type":'
                + _dump(section.info_type)
                + b',"decision":'
                + _dump(section.decision)
                + b',"records":['
            )
            first = True
            async for record in section.records:
                await out.write((b"" if first else b",") + _dump(record))
                first = False
                count += 1
            await out.write(b"]}")
        await out.write(b"]}")
    await out.write(b"]}")
    return count
