"""The operators' view of the status webhooks: deliveries (FAILED ones above all), sending a
FAILED one again, and an admin's exception for an endpoint at a private address."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import asdict
from typing import Any

import click

from trustcenter.auth.scopes import ADMIN, NOTICES
from trustcenter.bootstrap import Container
from trustcenter.cli import _acting, _emit, _run, _uuid, main
from trustcenter.domain.webhooks import DeliveryStatus
from trustcenter.services.webhooks import MAX_DELIVERIES


@main.group()
def webhooks() -> None:
    """Status webhooks: the deliveries owed to the agencies' endpoints."""


@webhooks.command("list")
@click.option("--failed", is_flag=True, help="Only the deliveries given up on (FAILED).")
@click.option(
    "--status",
    type=click.Choice([s.value for s in DeliveryStatus]),
    help="Only deliveries in this status.",
)
@click.option("--limit", type=click.IntRange(1, MAX_DELIVERIES), default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def webhooks_list(failed: bool, status: str | None, limit: int, as_json: bool) -> None:
    """The newest deliveries: which event, to which endpoint, how many attempts, the last
    answer. The body is not shown (it holds ids and links only; the event type says it)."""
    from trustcenter.services.webhooks import list_deliveries

    wanted = DeliveryStatus.FAILED if failed else (DeliveryStatus(status) if status else None)

    async def work(c: Container) -> list[dict[str, Any]]:
        rows = await list_deliveries(c, _acting(NOTICES), wanted, limit)
        return [{**asdict(r), "status": r.status.value} for r in rows]

    rows = _run(work)
    lines = [
        f"{r['message_id']}  {r['status']:<9} {r['event_type']:<32} attempts {r['attempts']:<3} "
        f"{r['endpoint_url'][:60]}  {r['last_error'] or ''}"
        for r in rows
    ]
    _emit(rows, as_json, "\n".join(lines) or "no deliveries")


def _endpoint_id(raw: str) -> uuid.UUID:
    """An endpoint's id as the API shows it (a global id) or as this tool prints it."""
    try:
        kind, _, node = base64.b64decode(raw, validate=True).decode().partition(":")
        if kind == "WebhookEndpoint":
            return uuid.UUID(node)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    return _uuid(raw)


@webhooks.command("allow-private")
@click.argument("endpoint_id")
@click.option("--revoke", is_flag=True, help="Take the exception back.")
def webhooks_allow_private(endpoint_id: str, revoke: bool) -> None:
    """Let one endpoint's deliveries go to a private, loopback or link-local address (an
    agency's receiver inside a network you trust); audited."""
    from trustcenter.services.webhooks import allow_private_address

    endpoint = _endpoint_id(endpoint_id)

    async def work(c: Container) -> None:
        await allow_private_address(c, _acting(ADMIN), endpoint, not revoke)

    _run(work)
    click.echo(f"endpoint {endpoint}: private addresses {'refused' if revoke else 'allowed'}")


@webhooks.command("retry")
@click.argument("delivery")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def retry_cmd(delivery: str, as_json: bool) -> None:
    """Send a FAILED delivery again (DELIVERY: its id, or its webhook-id "msg_…"): pending,
    due at once, retried for three more days, with the same webhook-id. Audited."""
    from trustcenter.services.webhook_worker import RetryRefused, retry_delivery

    try:
        ref: uuid.UUID | str = uuid.UUID(delivery)
    except ValueError:
        ref = delivery

    async def work(c: Container) -> tuple[str, bool]:
        try:
            return await retry_delivery(c.uow, c.clock, _acting(NOTICES), ref)
        except RetryRefused as refused:
            raise click.ClickException(str(refused)) from None

    message_id, enabled = _run(work)
    text = f"{message_id} will be sent again by the worker"
    if not enabled:
        text += " once its endpoint is enabled again (it is disabled)"
    _emit({"webhook_id": message_id, "endpoint_enabled": enabled}, as_json, text)
