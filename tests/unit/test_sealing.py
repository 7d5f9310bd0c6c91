"""The package document, its chunked AES-GCM sealing and the key ring (no database)."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from trustcenter.disclosure.keyring import KEY_BYTES, KeyConfigError, KeyRing
from trustcenter.disclosure.package import ChunkWriter, Section, TargetSection, write_package
from trustcenter.disclosure.sealing import (
    PackageIntegrityError,
    associated_data,
    open_chunk,
    seal,
)

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
REQUEST, OTHER_REQUEST = uuid.uuid4(), uuid.uuid4()
AGENCY, OTHER_AGENCY = uuid.uuid4(), uuid.uuid4()


class Collect:
    """A chunk sink that keeps what it is given, checking indexes arrive in order."""

    def __init__(self) -> None:
        self.chunks: list[tuple[int, bytes, bool]] = []

    async def __call__(self, index: int, data: bytes, last: bool) -> None:
        assert index == len(self.chunks)
        self.chunks.append((index, data, last))

    @property
    def body(self) -> bytes:
        return b"".join(c for _, c, _ in self.chunks)


async def agen(records: list[Mapping[str, Any]]) -> AsyncIterator[Mapping[str, Any]]:
    for r in records:
        yield r


HEADER = {
    "request": {"id": str(REQUEST), "jurisdiction": "DE"},
    "released_at": "2026-11-30T09:00:00+00:00",
}


def targets() -> list[TargetSection]:
    return [
        TargetSection(
            "email",
            "suspect@example.com",
            [
                Section(
                    "A",
                    {"outcome": "approve", "fields": ["email", "username"]},
                    agen([{"email": "suspect@example.com", "username": "sus"}]),
                ),
                Section(
                    "C",
                    {"outcome": "narrow", "fields": ["ip_address"], "from": "2026-03-01"},
                    agen([{"ip_address": f"203.0.113.{n}"} for n in range(25)]),
                ),
            ],
        ),
        TargetSection(
            "serial_number",
            "C6N1234567",
            [Section("B", {"outcome": "approve"}, agen([{"model": "C6N", "name": "Kamera ü"}]))],
        ),
    ]


# --- ChunkWriter and write_package ------------------------------------------------------------


@pytest.mark.parametrize("chunk_size", [1, 7, 64, 256 * 1024])
async def test_package_is_valid_json_whose_digest_and_length_match(chunk_size: int) -> None:
    sink = Collect()
    writer = ChunkWriter(sink, chunk_size=chunk_size)
    count = await write_package(writer, HEADER, targets())
    digest = await writer.close()

    body = sink.body
    assert count == 27
    assert digest == hashlib.sha256(body).hexdigest()
    assert writer.length == len(body)
    assert writer.chunks == len(sink.chunks)
    doc = json.loads(body)
    assert doc["format"] == "trustcenter-disclosure/1"
    assert doc["request"] == HEADER["request"]
    assert doc["released_at"] == HEADER["released_at"]
    first, second = doc["targets"]
    assert (first["identifier_type"], first["identifier"]) == ("email", "suspect@example.com")
    assert [i["info_type"] for i in first["items"]] == ["A", "C"]
    assert first["items"][1]["decision"]["fields"] == ["ip_address"]
    assert len(first["items"][1]["records"]) == 25
    assert second["items"][0]["records"] == [{"model": "C6N", "name": "Kamera ü"}]


async def test_small_chunks_are_full_and_only_the_final_one_is_last() -> None:
    sink = Collect()
    writer = ChunkWriter(sink, chunk_size=7)
    await write_package(writer, HEADER, targets())
    await writer.close()
    assert len(sink.chunks) > 50
    *middle, final = sink.chunks
    assert all(len(c) == 7 and not last for _, c, last in middle)
    assert final[2] is True
    assert 1 <= len(final[1]) <= 7  # a byte is always kept back for the last chunk


async def test_exact_multiple_of_the_chunk_size_still_ends_with_a_last_chunk() -> None:
    sink = Collect()
    writer = ChunkWriter(sink, chunk_size=4)
    await writer.write(b"12345678")
    await writer.close()
    assert [(c, last) for _, c, last in sink.chunks] == [(b"1234", False), (b"5678", True)]


async def test_the_empty_package() -> None:
    sink = Collect()
    writer = ChunkWriter(sink, chunk_size=7)
    count = await write_package(writer, HEADER, [])
    digest = await writer.close()
    assert count == 0
    assert json.loads(sink.body)["targets"] == []
    assert digest == hashlib.sha256(sink.body).hexdigest()
    assert writer.length == len(sink.body)
    assert sink.chunks[-1][2] is True


async def test_nothing_written_is_one_empty_last_chunk() -> None:
    sink = Collect()
    writer = ChunkWriter(sink, chunk_size=7)
    assert await writer.close() == hashlib.sha256(b"").hexdigest()
    assert sink.chunks == [(0, b"", True)]


async def test_an_item_without_records_is_an_empty_list() -> None:
    sink = Collect()
    writer = ChunkWriter(sink, chunk_size=5)
    sections = [TargetSection("email", "x@example.com", [Section("E", {}, agen([]))])]
    assert await write_package(writer, HEADER, sections) == 0
    await writer.close()
    assert json.loads(sink.body)["targets"][0]["items"][0]["records"] == []


async def test_awkward_strings_stay_valid_json() -> None:
    sink = Collect()
    writer = ChunkWriter(sink, chunk_size=3)
    nasty = 'quote " backslash \\ newline \n null \x00 emoji 📷 ],"x":'
    sections = [TargetSection("username", nasty, [Section("A", {}, agen([{"username": nasty}]))])]
    await write_package(writer, {"note": nasty}, sections)
    await writer.close()
    doc = json.loads(sink.body)
    assert doc["note"] == nasty
    assert doc["targets"][0]["identifier"] == nasty
    assert doc["targets"][0]["items"][0]["records"] == [{"username": nasty}]


# --- seal / open ----------------------------------------------------------------------------


def test_seal_and_open_round_trip() -> None:
    aad = associated_data(REQUEST, AGENCY, 3, False)
    nonce, ciphertext = seal(KEY, b"secret plaintext", aad)
    assert len(nonce) == 12
    assert b"secret plaintext" not in ciphertext
    assert open_chunk(KEY, nonce, ciphertext, aad) == b"secret plaintext"


def test_every_seal_uses_a_fresh_nonce() -> None:
    aad = associated_data(REQUEST, AGENCY, 0, True)
    (n1, c1), (n2, c2) = seal(KEY, b"same", aad), seal(KEY, b"same", aad)
    assert n1 != n2 and c1 != c2


@pytest.mark.parametrize(
    "opened_as",
    [
        (OTHER_REQUEST, AGENCY, 3, False),
        (REQUEST, OTHER_AGENCY, 3, False),
        (REQUEST, AGENCY, 2, False),
        (REQUEST, AGENCY, 4, False),
        (REQUEST, AGENCY, 3, True),
    ],
    ids=["other-request", "other-agency", "earlier-index", "later-index", "marked-last"],
)
def test_a_chunk_opened_out_of_its_place_fails(opened_as: tuple[Any, ...]) -> None:
    nonce, ciphertext = seal(KEY, b"chunk", associated_data(REQUEST, AGENCY, 3, False))
    with pytest.raises(PackageIntegrityError):
        open_chunk(KEY, nonce, ciphertext, associated_data(*opened_as))


def test_a_last_chunk_opened_as_not_last_fails() -> None:
    nonce, ciphertext = seal(KEY, b"end", associated_data(REQUEST, AGENCY, 0, True))
    with pytest.raises(PackageIntegrityError):
        open_chunk(KEY, nonce, ciphertext, associated_data(REQUEST, AGENCY, 0, False))


def test_a_flipped_bit_a_wrong_nonce_or_a_wrong_key_fails() -> None:
    aad = associated_data(REQUEST, AGENCY, 0, True)
    nonce, ciphertext = seal(KEY, b"payload", aad)
    flipped = bytes([ciphertext[0] ^ 1]) + ciphertext[1:]
    with pytest.raises(PackageIntegrityError):
        open_chunk(KEY, nonce, flipped, aad)
    with pytest.raises(PackageIntegrityError):
        open_chunk(KEY, bytes(12), ciphertext, aad)
    with pytest.raises(PackageIntegrityError):
        open_chunk(OTHER_KEY, nonce, ciphertext, aad)
    with pytest.raises(PackageIntegrityError):
        open_chunk(KEY, nonce, ciphertext[:-1], aad)


# --- KeyRing --------------------------------------------------------------------------------


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_keyring_parses_a_list_and_seals_with_the_first() -> None:
    ring = KeyRing.parse(f" new:{b64(OTHER_KEY)} , old:{b64(KEY)} ,")
    assert ring.current_id == "new"
    assert ring.current == OTHER_KEY
    assert ring.key("old") == KEY
    assert ring.key("new") == OTHER_KEY


def test_keyring_single_key() -> None:
    ring = KeyRing.parse(f"k1:{b64(KEY)}")
    assert (ring.current_id, ring.current) == ("k1", KEY)


def test_a_key_not_configured_is_a_clear_error() -> None:
    ring = KeyRing.parse(f"k1:{b64(KEY)}")
    with pytest.raises(KeyConfigError, match="k0"):
        ring.key("k0")


@pytest.mark.parametrize(
    "spec",
    [
        "",
        " , ",
        b64(KEY),  # no key id
        f":{b64(KEY)}",  # empty key id
        "k1:not base64!!",
        f"k1:{b64(KEY[:16])}",  # AES-128: too short
        f"k1:{b64(KEY + b'x')}",  # too long
        f"k1:{b64(KEY)},k2:@@@",
    ],
)
def test_keyring_refuses_bad_specs(spec: str) -> None:
    with pytest.raises(KeyConfigError):
        KeyRing.parse(spec)


def test_configured_keys_win_over_the_key_file(tmp_path: Path) -> None:
    path = tmp_path / "disclosure.key"
    ring = KeyRing.from_settings(f"k1:{b64(KEY)}", str(path), production=True)
    assert ring.current == KEY
    assert not path.exists()


def test_production_refuses_to_invent_a_key(tmp_path: Path) -> None:
    path = tmp_path / "disclosure.key"
    with pytest.raises(KeyConfigError, match="production"):
        KeyRing.from_settings("", str(path), production=True)
    assert not path.exists()


def test_outside_production_a_key_file_is_made_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "disclosure.key"
    ring = KeyRing.from_settings("  ", str(path), production=False)
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(ring.current) == KEY_BYTES
    # the next start reads the same key: packages sealed before still open
    again = KeyRing.from_settings("", str(path), production=False)
    assert (again.current_id, again.current) == (ring.current_id, ring.current)
    assert KeyRing.parse(path.read_text()).current == ring.current
