"""The bare endpoint ``bench/submit.py`` compares ``submitRequest`` with: Starlette and
SQLAlchemy Core, no GraphQL, no authentication, no validation, no plugins. ``POST /graphql``
takes the same body and inserts the same rows in one transaction: the legal basis, the request,
its targets and their items (one multi-row INSERT per table) and one audit event (unsealed,
as trustcenter's writers store it, numbered by the database). It answers the request's id and
its targets' and items' ids, as the benchmark's query asks.

Run by the benchmark: ``python bench/submit_bare.py PORT``, on the database of
TRUSTCENTER_DATABASE_URL (and TRUSTCENTER_DATABASE_SCHEMA), with uvicorn as ``trustcenter serve``
runs it (one worker, log level info, no access log).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import uvicorn
from sqlalchemy import insert
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from trustcenter.db.models import Base
from trustcenter.db.session import Database

TABLES = Base.metadata.tables
AGENCY = uuid.UUID(os.environ["BENCH_AGENCY_ID"])
CLIENT = uuid.UUID(os.environ["BENCH_CLIENT_PK"])


def rows(given: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    now = datetime.now(UTC)
    basis_in, officer = given["legalBasis"], given["officer"]
    basis = {
        "id": uuid.uuid4(),
        "kind": basis_in["kind"],
        "reference": basis_in["reference"],
        "reference_key": basis_in["reference"].casefold(),
        "issued_by": basis_in["issuedBy"],
        "issued_at": date.fromisoformat(basis_in["issuedAt"]),
        "created_at": now,
    }
    request = {
        "id": uuid.uuid4(),
        "agency_id": AGENCY,
        "client_id": CLIENT,
        "legal_basis_id": basis["id"],
        "jurisdiction": given["jurisdiction"],
        "country": given["jurisdiction"][:2],
        "category": "SUBSCRIBER",
        "status": "SUBMITTED",
        "emergency": False,
        "reason": given["reason"],
        "officer_name": officer["name"],
        "officer_title": officer.get("title", ""),
        "officer_email": officer["email"],
        "officer_phone": officer.get("phone", ""),
        "received_at": now,
        "deadline": now + timedelta(days=30),
        "updated_at": now,
        "version": 1,
        "hold_extensions": 0,
        "payload_sha256": hashlib.sha256(json.dumps(given).encode()).hexdigest(),
        "report_outcome": "pending",
    }
    targets, items = [], []
    for position, t in enumerate(given["targets"]):
        target = {
            "id": uuid.uuid4(),
            "request_id": request["id"],
            "position": position,
            "identifier_type": t["identifierType"],
            "identifier": t["identifier"],
            "identifier_key": t["identifier"].casefold(),
        }
        targets.append(target)
        items += [
            {"id": uuid.uuid4(), "request_id": request["id"], "target_id": target["id"],
             "info_type": info}
            for info in t["infoTypes"]
        ]  # fmt: skip
    data = json.dumps({"targets": len(targets), "items": len(items)}, sort_keys=True)
    event = {
        "occurred_at": now,
        "actor_kind": "agency",
        "actor_id": str(CLIENT),
        "action": "request.submitted",
        "subject_type": "request",
        "subject_id": str(request["id"]),
        "request_id": request["id"],
        "data": data,
        "prev_hash": "",
        "hash": hashlib.sha256(data.encode()).hexdigest(),
    }
    return basis, request, targets, items, event


def build() -> Starlette:
    db = Database(os.environ["TRUSTCENTER_DATABASE_URL"],
                  schema=os.environ.get("TRUSTCENTER_DATABASE_SCHEMA") or None)  # fmt: skip
    writer = db.engine.execution_options(tc_write=True)  # SQLite: BEGIN IMMEDIATE, as trustcenter

    async def submit(request: Request) -> JSONResponse:
        body = await request.json()
        basis, req, targets, items, event = rows(body["variables"]["input"])
        async with writer.begin() as conn:
            await conn.execute(insert(TABLES["legal_bases"]), [basis])
            await conn.execute(insert(TABLES["requests"]), [req])
            await conn.execute(insert(TABLES["request_targets"]), targets)
            await conn.execute(insert(TABLES["requested_items"]), items)
            await conn.execute(insert(TABLES["audit_events"]), [event])
        by_target: dict[Any, list[dict[str, str]]] = {}
        for i in items:
            by_target.setdefault(i["target_id"], []).append(
                {"id": str(i["id"]), "infoType": i["info_type"]}
            )
        answer = {
            "id": str(req["id"]),
            "status": req["status"],
            "targets": [
                {"id": str(t["id"]), "identifier": t["identifier"], "items": by_target[t["id"]]}
                for t in targets
            ],
        }
        return JSONResponse({"data": {"submitRequest": {"request": answer, "userErrors": []}}})

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[
            Route("/graphql", submit, methods=["POST"]),
            Route("/readyz", healthz, methods=["GET"]),
        ]
    )


if __name__ == "__main__":
    uvicorn.run(build(), host="127.0.0.1", port=int(sys.argv[1]), log_level="info",
                access_log=False)  # fmt: skip
