"""The notice worker, and the operators' view of the notices."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import signal
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.engine import make_url

from trustcenter.auth.principal import Principal
from trustcenter.auth.scopes import NOTICES
from trustcenter.bootstrap import Container
from trustcenter.cli import SEAL_EVERY, _acting, _emit, _run, main
from trustcenter.domain.notice_states import NoticeStatus
from trustcenter.plugins.manager import PluginLoadError

if TYPE_CHECKING:  # the worker's services load with the worker command (docs/performance.md)
    from trustcenter.services.notice_worker import NoticeWorker, PassResult
    from trustcenter.services.webhook_worker import WebhookPass, WebhookWorker

STATUSES = tuple(s.value for s in NoticeStatus)


@contextlib.contextmanager
def _single_sqlite_worker(container: Container) -> Iterator[bool]:
    """On SQLite one worker runs: hold an exclusive lock next to the database file. Yields
    True when this is SQLite (so stale claims of a crashed worker may be released at once)."""
    if container.db.dialect != "sqlite":
        yield False
        return
    database = make_url(container.db.url).database or ""
    if database in ("", ":memory:"):
        yield True
        return
    path = Path(f"{database}.worker-lock")
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise click.ClickException(
                f"another notice worker is running on {database}; on SQLite one worker runs "
                "(use PostgreSQL for several)"
            ) from None
        yield True


def _summary(result: PassResult, hooks: WebhookPass) -> dict[str, Any]:
    return {
        "resumed": result.resumed,
        "delivered": result.delivered,
        "retrying": result.retrying,
        "failed": result.failed,
        "lost": result.lost,
        "batches": result.batches,
        "documents_purged": result.purged,
        "status_emails": result.emails,
        "status_emails_failed": result.emails_failed,
        "webhooks": {
            "delivered": hooks.delivered,
            "retrying": hooks.retrying,
            "failed": hooks.failed,
            "lost": hooks.lost,
            "endpoints_disabled": hooks.disabled,
            "unsent": hooks.unsent,
            "batches": hooks.batches,
        },
    }


def _describe(result: PassResult) -> str:
    return (
        f"notices: {result.delivered} delivered, {result.retrying} to retry, "
        f"{result.failed} failed, {result.resumed} due again after an exception ended"
    )


def _describe_hooks(hooks: WebhookPass) -> str:
    return (
        f"webhooks: {hooks.delivered} delivered, {hooks.retrying} to retry, "
        f"{hooks.failed} failed, {hooks.disabled} endpoint(s) disabled"
    )


async def _loop(
    worker: NoticeWorker, hooks: WebhookWorker, operator: Principal, poll: float
) -> tuple[PassResult, WebhookPass]:
    from trustcenter.services.notice_worker import PassResult
    from trustcenter.services.webhook_worker import WebhookPass

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    total, hooks_total = PassResult(), WebhookPass()
    click.echo(f"notice worker {worker.token} running; SIGTERM or Ctrl-C stops it")
    while not stop.is_set():
        result = await worker.run_with_emails(operator, max_batches=1)
        sent = await hooks.run_once(operator, max_batches=1)
        total.add(result)
        hooks_total.add(sent)
        if result.delivered or result.failed or result.resumed:
            click.echo(_describe(result))
        if sent.delivered or sent.failed or sent.disabled:
            click.echo(_describe_hooks(sent))
        if result.purged:
            click.echo(f"{result.purged} expired document upload(s) deleted")
        if result.emails or result.emails_failed:
            click.echo(f"status e-mails: {result.emails} sent, {result.emails_failed} failed")
        if not result.batches and not sent.batches:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), poll)
    return total, hooks_total


@main.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
@click.option(
    "--poll", default=10.0, show_default=True, type=float, help="Seconds to wait when idle."
)
@click.option("--batch-size", type=click.IntRange(1, 10_000), help="Notices claimed at once.")
@click.option(
    "--lease",
    type=click.IntRange(1),
    help="Seconds a claim lasts before another worker may take it over.",
)
@click.option(
    "--webhook-concurrency",
    type=click.IntRange(1, 256),
    default=16,
    show_default=True,
    help="Webhook deliveries of one batch sent at once.",
)
@SEAL_EVERY
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
def worker_cmd(
    once: bool,
    poll: float,
    batch_size: int | None,
    lease: int | None,
    webhook_concurrency: int,
    seal_every: float,
    as_json: bool,
) -> None:
    """Deliver due user notices through the configured channels (TRUSTCENTER_NOTICE_CHANNELS,
    default: the outbox), the agencies' status e-mails through those that send e-mail (e.g.
    smtp) and due status webhooks to the agencies' endpoints; delete uploaded documents nobody
    attached within their day. On PostgreSQL several workers may run at once; on SQLite one."""
    from trustcenter.services.audit import seal
    from trustcenter.services.audit_sealer import sealing

    overrides: dict[str, Any] = {}
    if batch_size:
        overrides["batch_size"] = batch_size
    if lease:
        overrides["lease"] = timedelta(seconds=lease)

    async def work(c: Container) -> tuple[PassResult, WebhookPass]:
        try:
            worker = c.notice_worker(**overrides)
        except PluginLoadError as error:
            raise click.ClickException(str(error)) from None
        hooks = c.webhook_worker(**overrides, concurrency=webhook_concurrency)
        operator = _acting(NOTICES)
        try:
            with _single_sqlite_worker(c) as alone:
                if alone:
                    await worker.release_claims()
                    await hooks.release_claims()
                if once:
                    result = await worker.run_with_emails(operator)
                    sent = await hooks.run_once(operator)
                    if seal_every:
                        await seal(c)
                    return result, sent
                async with sealing(c, seal_every):
                    return await _loop(worker, hooks, operator, poll)
        finally:
            await hooks.sender.close()

    result, sent = _run(work)
    _emit(_summary(result, sent), as_json, _describe(result) + "\n" + _describe_hooks(sent))


@main.group()
def notices() -> None:
    """User notices: what is scheduled, held back, delivered or failed."""


@notices.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only notices in this status.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def notices_list(status: str | None, as_json: bool) -> None:
    """Every notice, the next due first."""
    from trustcenter.services.notices import notice_listing

    async def work(c: Container) -> list[dict[str, Any]]:
        return await notice_listing(c, _acting(NOTICES), NoticeStatus(status) if status else None)

    rows = _run(work)
    lines = [
        f"{r['id']}  {r['status']:<10} due {r['due_at'][:16].replace('T', ' ')}  "
        f"{r['jurisdiction']:<6} "
        f"deliveries {r['deliveries']}" + (f"  held: {r['exception']}" if r["exception"] else "")
        for r in rows
    ]
    _emit(rows, as_json, "\n".join(lines) or "no notices")
