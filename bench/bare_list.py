"""The baseline of ``bench/graphql_list.py``: a bare Starlette + SQLAlchemy Core endpoint that
answers the same rows as the GraphQL agency list, as JSON.

``POST /list`` with ``{"agency": "<uuid>", "first": 100}``: the agency's requests, newest first
(the same order and the same ten fields as the GraphQL query, the agency's name by a join), in
one statement on one pooled connection; no authentication, no validation, no schema. The same
uvicorn settings serve it as serve trustcenter (``graphql_list.serve``).

Served by uvicorn as ``bare_list:served_app`` (``--factory``) with ``BENCH_DATABASE_URL`` and,
for PostgreSQL, ``BENCH_DATABASE_SCHEMA``; ``make_app`` gives the same app in-process.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from trustcenter.db.models import Agency
from trustcenter.db.models import Request as RequestRow
from trustcenter.db.session import normalise_url

R, A = RequestRow.__table__.c, Agency.__table__.c
LIST = (
    select(
        R.id,
        R.status,
        R.category,
        R.jurisdiction,
        R.emergency,
        R.reason,
        R.received_at,
        R.deadline,
        R.version,
        A.name.label("agency_name"),
    )
    .join_from(RequestRow.__table__, Agency.__table__, A.id == R.agency_id)
    .where(R.agency_id == bindparam("agency"))
    .order_by(R.received_at.desc(), R.id.desc())
    .limit(bindparam("first"))
)


def engine_for(url: str, schema: str | None) -> AsyncEngine:
    url = normalise_url(url)
    kwargs: dict[str, Any] = {}
    if schema and url.startswith("postgresql"):
        kwargs["connect_args"] = {"server_settings": {"search_path": schema}}
    return create_async_engine(url, **kwargs)


def make_app(engine: AsyncEngine) -> Starlette:
    async def listing(request: Request) -> Response:
        body = await request.json()
        agency, first = uuid.UUID(body["agency"]), int(body["first"])
        async with engine.connect() as conn:
            rows = (await conn.execute(LIST, {"agency": agency, "first": first + 1})).all()
        nodes = [
            {
                "id": str(r.id),
                "status": r.status,
                "category": r.category,
                "jurisdiction": r.jurisdiction,
                "emergency": r.emergency,
                "reason": r.reason,
                "receivedAt": r.received_at.isoformat(),
                "deadline": r.deadline.isoformat(),
                "version": r.version,
                "agency": {"name": r.agency_name},
            }
            for r in rows[:first]
        ]
        return JSONResponse({"data": {"requests": nodes, "hasNextPage": len(rows) > first}})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route("/list", listing, methods=["POST"]), Route("/healthz", healthz)],
    )


def served_app() -> Starlette:
    """The app uvicorn serves (``--factory``), on the database the environment names."""
    return make_app(
        engine_for(os.environ["BENCH_DATABASE_URL"], os.environ.get("BENCH_DATABASE_SCHEMA"))
    )
