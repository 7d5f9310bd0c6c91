"""Uploaded legal documents: deleting the uploads nobody attached within a day."""

from __future__ import annotations

import click

from trustcenter.auth.scopes import ADMIN
from trustcenter.bootstrap import Container
from trustcenter.cli import _acting, _emit, _run, main


@main.group()
def documents() -> None:
    """Legal documents agencies upload (POST /documents)."""


@documents.command("purge")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def purge_cmd(as_json: bool) -> None:
    """Delete uploads that were not attached to a request within a day of upload (each upload
    also purges them; run this from cron where uploads are rare). Audited."""
    from trustcenter.services.notice_worker import purge_documents

    async def work(c: Container) -> int:
        return await purge_documents(c, _acting(ADMIN))

    count = _run(work)
    _emit({"purged": count}, as_json, f"{count} expired upload{'s' if count != 1 else ''} deleted")
