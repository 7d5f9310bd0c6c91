"""GET /disclosures/{id}: the package, streamed to the agency that asked and to nobody else."""

from __future__ import annotations

import base64
import logging
import uuid

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from trustcenter.bootstrap import Container
from trustcenter.disclosure.sealing import PackageIntegrityError
from trustcenter.services.disclosure import DisclosureNotFound, open_for_download
from trustcenter.web.authentication import principal_of

log = logging.getLogger("trustcenter.disclosures")

NOT_FOUND = {"error": "not_found", "error_description": "no such disclosure"}


def routes(container: Container) -> list[Route]:
    async def download(request: Request) -> Response:
        principal = principal_of(request)
        if not principal.authenticated:
            return JSONResponse(
                {
                    "error": "invalid_token",
                    "error_description": "a bearer token with disclosures:read is needed",
                },
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="trustcenter"'},
            )
        try:
            disclosure_id = uuid.UUID(request.path_params["id"])
        except ValueError:
            return JSONResponse(NOT_FOUND, status_code=404)
        try:
            disclosure, body = await open_for_download(
                container.db, container.clock, principal, container.disclosure_keys, disclosure_id
            )
        except DisclosureNotFound:
            return JSONResponse(NOT_FOUND, status_code=404)
        except PackageIntegrityError as exc:
            error_id = uuid.uuid4().hex[:12]
            log.error(
                "disclosure %s failed its integrity check (%s), error %s",
                disclosure_id,
                exc,
                error_id,
            )
            return JSONResponse(
                {
                    "error": "integrity",
                    "error_description": "the stored package failed its integrity check; "
                    f"reference {error_id}",
                },
                status_code=500,
            )
        digest = base64.b64encode(bytes.fromhex(disclosure.sha256)).decode()
        return StreamingResponse(
            body,
            media_type="application/json",
            headers={
                "Content-Length": str(disclosure.size),
                "Content-Disposition": f'attachment; filename="disclosure-{disclosure.id}.json"',
                "Repr-Digest": f"sha-256=:{digest}:",
                "Cache-Control": "no-store",
            },
        )

    return [Route("/disclosures/{id}", download, methods=["GET"])]
