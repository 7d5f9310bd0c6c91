"""POST /documents: an agency uploads one legal document (streamed, sealed as it arrives).
GET /documents/{id}: reviewers and the uploading agency read it; to anyone else it does not
exist.

The type is read from the bytes (PDF, PNG or JPEG: the signature they start with and the end
marker near their end, ``domain.document_types``); the Content-Type header is ignored. Reads
stream through ``web.sealed``, like disclosure packages."""

from __future__ import annotations

import logging
import uuid

from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trustcenter.auth.principal import Principal
from trustcenter.bootstrap import Container
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
from trustcenter.web.sealed import Opened, SealedRoute, serve, unauthenticated

#: the refusal of a body that is not an acceptable document: (error, status)
REFUSED = {
    UnsupportedDocument.EMPTY: ("empty_document", 400),
    UnsupportedDocument.UNSUPPORTED: ("unsupported_document_type", 415),
    UnsupportedDocument.INCOMPLETE: ("incomplete_document", 400),
}
INSUFFICIENT = 'Bearer realm="trustcenter", error="insufficient_scope"'
EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


ROUTE = SealedRoute(
    what="document",
    stored_as="document",
    needs="review, or requests:read of the uploading agency,",
    not_found=DocumentNotFound,
    log=logging.getLogger("trustcenter.documents"),
    describe=lambda d: (
        d.content_type,
        f"document-{d.id}.{EXTENSIONS.get(d.content_type, 'bin')}",
    ),
    inline=True,
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
            return unauthenticated("requests:submit")
        try:
            document = await upload(container, principal, request.stream(), limit)
        except NotAuthenticated:
            return unauthenticated("requests:submit")
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
            error, status = REFUSED[exc.why]
            return JSONResponse({"error": error, "error_description": str(exc)}, status_code=status)
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

    async def opener(principal: Principal, document_id: uuid.UUID) -> Opened:
        return await open_document(container, principal, document_id)

    async def get(request: Request) -> Response:
        return await serve(request, ROUTE, opener)

    return [
        Route("/documents", post, methods=["POST"]),
        Route("/documents/{id}", get, methods=["GET"]),
    ]
