"""What counts as a legal document the product accepts: a PDF, a PNG or a JPEG, known by its
bytes (never by a header or a file name).

A document is of a type when it starts with that type's signature and its end marker lies in
its last KiB (after the signature): a PDF's ``%%EOF``, a PNG's ``IEND`` chunk, a JPEG's
end-of-image marker (``FF D9``). A body that starts right but lacks its end marker was cut
short (or is not what it claims) and is refused as incomplete: a reviewer could not open it.
The document is served as the type it starts with, as an attachment the browser must not
sniff, so bytes that are also another format (a polyglot) are never shown as that format.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DocumentType:
    content_type: str
    name: str
    signature: bytes
    end_marker: bytes
    #: how the end marker is named in the refusal
    end_name: str


TYPES: tuple[DocumentType, ...] = (
    DocumentType("application/pdf", "PDF", b"%PDF-", b"%%EOF", "%%EOF"),
    DocumentType(
        "image/png",
        "PNG",
        b"\x89PNG\r\n\x1a\n",
        b"\x00\x00\x00\x00IEND\xaeB`\x82",
        "the IEND chunk",
    ),
    DocumentType("image/jpeg", "JPEG", b"\xff\xd8\xff", b"\xff\xd9", "the end-of-image marker"),
)
#: how many first bytes tell the type
HEAD = max(len(t.signature) for t in TYPES)
#: the end marker must lie within this many last bytes
TAIL = 1024


def sniff(head: bytes) -> DocumentType | None:
    """The type the first bytes show, or None."""
    for kind in TYPES:
        if head.startswith(kind.signature):
            return kind
    return None


def incomplete(kind: DocumentType, tail: bytes, size: int) -> str | None:
    """Why a document of ``kind`` whose last bytes are ``tail`` (at most ``TAIL``) and whose
    length is ``size`` is not whole, or None when it is."""
    start = max(0, len(kind.signature) - (size - len(tail)))  # never inside the signature
    if tail.find(kind.end_marker, start) >= 0:
        return None
    return (
        f"the {kind.name} ends without {kind.end_name} in its last {TAIL} bytes: it looks cut "
        "short; send the whole document"
    )
