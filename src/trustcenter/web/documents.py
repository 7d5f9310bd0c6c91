"""POST /documents: an agency uploads one legal document (streamed, sealed as it arrives).
GET /documents/{id}: reviewers and the uploading agency read it; to anyone else it does not
exist.

The type is read from the bytes (PDF, PNG or JPEG); the Content-Type header is ignored."""

from __future__ import annotations

import base64
import logging
import uuid

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from trustcenter.bootstrap import Container
from trustcenter.disclosure.sealing import PackageIntegrityError
from trustcenter.services.access import AccessDenied, NotAuthenticated
from trustcenter.services.documents import (
    DocumentNotFound,
    DocumentTooLarge,
    UnsupportedDocument,
    open_document,
    upload,
)
from trustcenter.web.authentication import principal_of
from trustcenter.web.limits import BodyTooLarge

log = logging.getLogger("trustcenter.documents")

NOT_FOUND = {"error": "not_found", "error_description": "no such document"}
INSUFFICIENT = 'Bearer realm="trustcenter", error="insufficient_scope"'
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _unauthenticated(scope: str) -> JSONResponse:
    return JSONResponse(
        {"error": "invalid_token", "error_description": f"a bearer token with {scope} is needed"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer realm="trustcenter"'},
    )


def _too_large(limit: int) -> JSONResponse:
    return JSONResponse(
        {
            "error": "document_too_large",
            "error_description": f"a document may be at most {limit} bytes; nothing was stored",
        },
        status_code=413,
    )


def routes(container: Container) -> list[Route]:
    limit = container.settings.max_document_bytes

    async def post(request: Request) -> Response:
        principal = principal_of(request)
        if not principal.authenticated:
            return _unauthenticated("requests:submit")
        try:
            document = await upload(
                container.db,
                container.clock,
                principal,
                container.disclosure_keys,
                request.stream(),
                limit,
            )
        except NotAuthenticated:
            return _unauthenticated("requests:submit")
        except AccessDenied:
            return JSONResponse(
                {
                    "error": "insufficient_scope",
                    "error_description": "documents are uploaded by a verified agency's client "
                    "with requests:submit",
                },
                status_code=403,
                headers={"WWW-Authenticate": INSUFFICIENT},
            )
        except (DocumentTooLarge, BodyTooLarge):
            return _too_large(limit)
        except UnsupportedDocument as exc:
            return JSONResponse(
                {
                    "error": "empty_document" if exc.empty else "unsupported_document_type",
                    "error_description": str(exc),
                },
                status_code=400 if exc.empty else 415,
            )
        except ClientDisconnect:
            return Response(status_code=400)
        return JSONResponse(
            {
                "id": str(document.id),
                "sha256": document.sha256,
                "size": document.size,
                "contentType": document.content_type,
            },
            status_code=201,
            headers={"Location": f"/documents/{document.id}"},
        )

    async def get(request: Request) -> Response:
        principal = principal_of(request)
        if not principal.authenticated:
            return _unauthenticated("review, or requests:read of the uploading agency,")
        try:
            document_id = uuid.UUID(request.path_params["id"])
        except ValueError:
            return JSONResponse(NOT_FOUND, status_code=404)
        try:
            document, body = await open_document(
                container.db, container.clock, principal, container.disclosure_keys, document_id
            )
        except DocumentNotFound:
            return JSONResponse(NOT_FOUND, status_code=404)
        except PackageIntegrityError as exc:
            error_id = uuid.uuid4().hex[:12]
            log.error(
                "document %s failed its integrity check (%s), error %s", document_id, exc, error_id
            )
            return JSONResponse(
                {
                    "error": "integrity",
                    "error_description": "the stored document failed its integrity check; "
                    f"reference {error_id}",
                },
                status_code=500,
            )
        digest = base64.b64encode(bytes.fromhex(document.sha256)).decode()
        name = f"document-{document.id}.{EXTENSIONS.get(document.content_type, 'bin')}"
        return StreamingResponse(
            body,
            media_type=document.content_type,
            headers={
                "Content-Length": str(document.size),
                "Content-Disposition": f'attachment; filename="{name}"',
                "Repr-Digest": f"sha-256=:{digest}:",
                "X-Content-Type-Options": "nosniff",
                "Cache-Control": "no-store",
            },
        )

    return [
        Route("/documents", post, methods=["POST"]),
        Route("/documents/{id}", get, methods=["GET"]),
    ]
