"""Streaming a sealed object (a disclosure package, a legal document) to its reader.

The service opens and checks it whole before a byte is sent (``services.sealed``); here the
answers are shaped alike for both: 401 without a token, 404 for an id that is malformed,
missing or not the caller's (the same answer), 500 with a reference when the stored bytes
failed their check, else the bytes as an attachment with their length and SHA-256."""

from __future__ import annotations

import base64
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from trustcenter.auth.principal import Principal
from trustcenter.disclosure.sealing import PackageIntegrityError
from trustcenter.web.authentication import principal_of

#: the service opening the object for the principal (bound to the application's parts by the
#: route): (its row, with ``id``, ``sha256`` and ``size``; the plaintext), or raising the
#: route's "not found"
Opened = tuple[Any, AsyncIterator[bytes]]
Opener = Callable[[Principal, uuid.UUID], Awaitable[Opened]]


@dataclass(frozen=True, slots=True)
class SealedRoute:
    what: str  # "disclosure", "document": in the 404 and the log
    stored_as: str  # "package", "document": in the integrity failure
    needs: str  # who may read, in the 401
    not_found: type[Exception]
    log: logging.Logger
    #: the media type and file name of the row served
    describe: Callable[[Any], tuple[str, str]]
    #: shown in the browser (the console frames a legal document on the request's page: only
    #: by pages of this origin) rather than saved as a file
    inline: bool = False


def unauthenticated(needs: str) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_token", "error_description": f"a bearer token with {needs} is needed"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="trustcenter"'},
    )


async def serve(request: Request, route: SealedRoute, opener: Opener) -> Response:
    principal = principal_of(request)
    if not principal.authenticated:
        return unauthenticated(route.needs)
    missing = {"error": "not_found", "error_description": f"no such {route.what}"}
    try:
        object_id = uuid.UUID(request.path_params["id"])
    except ValueError:
        return JSONResponse(missing, status_code=404)
    try:
        row, body = await opener(principal, object_id)
    except route.not_found:
        return JSONResponse(missing, status_code=404)
    except PackageIntegrityError as exc:
        error_id = uuid.uuid4().hex[:12]
        route.log.error(
            "%s %s failed its integrity check (%s), error %s", route.what, object_id, exc, error_id
        )
        return JSONResponse(
            {
                "error": "integrity",
                "error_description": f"the stored {route.stored_as} failed its integrity "
                f"check; reference {error_id}",
            },
            status_code=500,
        )
    media_type, filename = route.describe(row)
    digest = base64.b64encode(bytes.fromhex(row.sha256)).decode()
    disposition = "inline" if route.inline else "attachment"
    headers = {
        "Content-Length": str(row.size),
        "Content-Disposition": f'{disposition}; filename="{filename}"',
        "Repr-Digest": f"sha-256=:{digest}:",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    if route.inline:
        headers["Content-Security-Policy"] = "frame-ancestors 'self'"
        headers["X-Frame-Options"] = "SAMEORIGIN"
    return StreamingResponse(body, media_type=media_type, headers=headers)
