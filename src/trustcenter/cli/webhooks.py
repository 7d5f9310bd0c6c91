"""Status webhooks at the command line: sending a FAILED delivery again."""

from __future__ import annotations

import uuid

import click

from trustcenter.auth.scopes import NOTICES
from trustcenter.bootstrap import Container
from trustcenter.cli import _acting, _emit, _run, main
from trustcenter.services.webhook_worker import RetryRefused, retry_delivery


@main.group()
def webhooks() -> None:
    """Status webhooks to the agencies' endpoints (delivered by ``trustcenter worker``)."""


@webhooks.command("retry")
@click.argument("delivery")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def retry_cmd(delivery: str, as_json: bool) -> None:
    """Send a FAILED delivery again (DELIVERY: its id, or its webhook-id "msg_…"): pending,
    due at once, retried for three more days, with the same webhook-id. Audited."""
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
