"""GET /disclosures/{id}: the package, streamed to the agency that asked and to nobody else."""

from __future__ import annotations

import logging
import uuid

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trustcenter.auth.principal import Principal
from trustcenter.bootstrap import Container
from trustcenter.services.disclosure import DisclosureNotFound, open_for_download
from trustcenter.web.sealed import Opened, SealedRoute, serve

ROUTE = SealedRoute(
    what="disclosure",
    stored_as="package",
    needs="disclosures:read",
    not_found=DisclosureNotFound,
    log=logging.getLogger("trustcenter.disclosures"),
    describe=lambda d: ("application/json", f"disclosure-{d.id}.json"),
)


def routes(container: Container) -> list[Route]:
    async def opener(principal: Principal, disclosure_id: uuid.UUID) -> Opened:
        return await open_for_download(container, principal, disclosure_id)

    async def download(request: Request) -> Response:
        return await serve(request, ROUTE, opener)

    return [Route("/disclosures/{id}", download, methods=["GET"])]
