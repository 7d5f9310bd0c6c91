"""``trustcenter webhooks``: the operators' list of deliveries (``--failed``, ``--json``) and an
admin's exception for a private address, audited; and agency clients made with the scope
``webhooks:manage``."""

from __future__ import annotations

import base64
import sqlite3
import uuid
from pathlib import Path

from tests.integration.cli_helpers import Invoke, _create_agency, _json, _rows

AT = "2026-12-01 10:00:00.000000"


def _endpoint_with_deliveries(db_file: Path, agency_id: str) -> uuid.UUID:
    endpoint = uuid.uuid4()
    agency = uuid.UUID(agency_id).hex
    with sqlite3.connect(db_file) as conn:
        conn.execute(
            "INSERT INTO webhook_endpoints (id, agency_id, url, description, event_types, secret,"
            " enabled, private_allowed, created_at, updated_at, version) VALUES"
            " (?, ?, 'https://hooks.example.org/h', '', ' request.decided ', 'whsec_x', 1, 0,"
            " ?, ?, 1)",
            (endpoint.hex, agency, AT, AT),
        )
        for status, error in (("failed", "HTTP 503"), ("delivered", None)):
            conn.execute(
                "INSERT INTO webhook_deliveries (id, endpoint_id, agency_id, message_id,"
                " event_type, payload, status, attempts, available_at, created_at, last_error)"
                " VALUES (?, ?, ?, ?, 'request.decided', '{}', ?, 3, ?, ?, ?)",
                (uuid.uuid4().hex, endpoint.hex, agency, f"msg_{uuid.uuid4().hex}", status,
                 AT, AT, error),
            )  # fmt: skip
    return endpoint


def test_an_agency_client_may_hold_the_webhooks_scope(cli: Invoke) -> None:
    agency = _create_agency(cli)
    out = _json(cli("client", "create", "--agency", agency, "--scopes",
                    "requests:read webhooks:manage", "--json"))  # fmt: skip
    assert out["scopes"] == ["requests:read", "webhooks:manage"]
    staff = cli("client", "create", "--staff", "--scopes", "webhooks:manage")
    assert staff.exit_code != 0 and "cannot be given to a staff client" in staff.output


def test_the_failed_deliveries_and_a_private_address_allowed(cli: Invoke, db_file: Path) -> None:
    endpoint = _endpoint_with_deliveries(db_file, _create_agency(cli))
    failed = _json(cli("webhooks", "list", "--failed", "--json"))
    assert [(d["status"], d["last_error"]) for d in failed] == [("failed", "HTTP 503")]
    assert failed[0]["endpoint_url"] == "https://hooks.example.org/h"
    assert len(_json(cli("webhooks", "list", "--json"))) == 2
    text = cli("webhooks", "list", "--failed")
    assert text.exit_code == 0 and "HTTP 503" in text.output and "delivered" not in text.output

    # by the id the API shows (a global id), as by the one this tool prints
    global_id = base64.b64encode(f"WebhookEndpoint:{endpoint}".encode()).decode()
    done = cli("webhooks", "allow-private", global_id)
    assert done.exit_code == 0, done.output
    assert _rows(db_file, "SELECT private_allowed FROM webhook_endpoints") == [(1,)]
    assert cli("webhooks", "allow-private", str(endpoint), "--revoke").exit_code == 0
    assert _rows(db_file, "SELECT private_allowed FROM webhook_endpoints") == [(0,)]
    actions = _rows(db_file, "SELECT action, actor_id FROM audit_events WHERE subject_type ="
                             " 'webhook_endpoint' ORDER BY seq")  # fmt: skip
    assert [a for a, _ in actions] == [
        "webhook_endpoint.private_allowed", "webhook_endpoint.private_refused"]  # fmt: skip
    assert all(actor.startswith("cli:") for _, actor in actions)

    unknown = cli("webhooks", "allow-private", str(uuid.uuid4()))
    assert unknown.exit_code == 2 and "no such endpoint" in unknown.output
