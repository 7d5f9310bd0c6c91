"""What counts as a legal document the product accepts: a PDF, a PNG or a JPEG, known by its
bytes (never by a header or a file name).

A document is of a type when it starts with that type's signature and its end marker lies in
its last KiB (after the signature): a PDF's ``%%EOF``, a PNG's ``IEND`` chunk, a JPEG's
end-of-image marker (``FF D9``). A body that starts right but lacks its end marker was cut
short (or is not what it claims) and is refused as incomplete: a reviewer could not open it.
The document is served as the type it starts with, as an attachment the browser must not
sniff, so bytes that are also another format (a polyglot) are never shown as that format.

An upload is attached once — to a request's legal basis or to an answer — by the agency that
made it, within its day (``attachment_problems``).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from trustcenter.domain.errors import DomainError, ErrorCode, Problem

#: how many documents one legal basis or one answer may attach
MAX_ATTACHED = 20


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


class Upload(Protocol):
    """What attaching looks at in a stored upload."""

    @property
    def sha256(self) -> str: ...  # empty while it is still being written

    @property
    def attached_at(self) -> datetime | None: ...

    @property
    def expires_at(self) -> datetime | None: ...


K = TypeVar("K", bound=Hashable)


def check_attach_count(ids: Sequence[object], field: str) -> None:
    if len(ids) > MAX_ATTACHED:
        raise DomainError.single(
            field, f"attach at most {MAX_ATTACHED} documents at once", ErrorCode.INVALID_INPUT
        )


def attachment_problems(
    ids: Sequence[K], found: Mapping[K, Upload], now: datetime, field: str
) -> list[Problem]:
    """Why the uploads ``ids`` (``found``: those of the attaching agency, by id) cannot be
    attached at ``now``, each at its place in ``field``: missing (or another agency's, or still
    being written), named twice, attached already, or past its day. Empty: they can."""
    problems: list[Problem] = []
    for n, document_id in enumerate(ids):
        path = f"{field}[{n}]"
        document = found.get(document_id)
        if document is None or not document.sha256:
            problems.append(Problem(path, "no such document", ErrorCode.NOT_FOUND))
        elif ids.index(document_id) != n:
            problems.append(Problem(path, "names a document twice", ErrorCode.INVALID_INPUT))
        elif document.attached_at is not None:
            problems.append(
                Problem(
                    path,
                    "this document is already attached to a request; a document is attached "
                    "once (upload it again to attach it here)",
                    ErrorCode.DOCUMENT_ALREADY_ATTACHED,
                )
            )
        elif document.expires_at is not None and document.expires_at <= now:
            problems.append(
                Problem(
                    path,
                    "this upload expired a day after it was made without being attached; "
                    "upload it again",
                    ErrorCode.DOCUMENT_EXPIRED,
                )
            )
    return problems
