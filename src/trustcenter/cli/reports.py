"""Transparency reports at the command line: build a draft, publish it, confirm the statement."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from trustcenter.auth.scopes import ADMIN, REPORTS
from trustcenter.bootstrap import Container
from trustcenter.cli import _acting, _emit, _run, main

STEPS = ("figures", "store", "done")


@main.group()
def report() -> None:
    """The yearly transparency report."""


def _summary(row: Any) -> dict[str, Any]:
    figures = json.loads(row.figures)
    return {
        "year": row.year,
        "version": row.version,
        "status": row.status,
        "method_version": row.method_version,
        "figures_sha256": row.figures_sha256,
        "requests": figures["totals"]["worldwide"]["requests"],
        "excluded_countries": figures["excluded_countries"],
        # with their reasons (reports built under method 2026.1 recorded none)
        "exclusions": figures.get("exclusions")
        or [{"country": c, "reason": None} for c in figures["excluded_countries"]],
    }


@report.command("build")
@click.option("--year", required=True, type=int, help="The year the requests were received.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report_build(year: int, as_json: bool) -> None:
    """Compute the year's figures in the database and keep them as the year's draft."""
    from trustcenter.services.reports import build_report

    async def work(c: Container) -> Any:
        excluded = await c.report_exclusions()
        bar: Any = click.progressbar(length=len(STEPS), label=f"building {year}", file=sys.stderr)
        with bar:

            def advance(_step: str) -> None:
                bar.update(1)

            return await build_report(c, _acting(REPORTS), year, excluded, on_step=advance)

    row = _run(work)
    s = _summary(row)
    _emit(
        s,
        as_json,
        f"draft {year} (would be version {row.version}): {s['requests']} requests, "
        f"figures {row.figures_sha256[:16]}…; publish with 'trustcenter report publish "
        f"--year {year}'",
    )


@report.command("publish")
@click.option("--year", required=True, type=int)
@click.option("--changelog", help="What a correction changes (needed after the first version).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report_publish(year: int, changelog: str | None, as_json: bool) -> None:
    """Publish the year's draft as a new, immutable version: only after the year has ended (UTC)
    and with the statement confirmed after it ended."""
    from trustcenter.services.reports import publish_report

    async def work(c: Container) -> Any:
        return await publish_report(c, _acting(REPORTS), year, changelog)

    row = _run(work)
    _emit(
        _summary(row),
        as_json,
        f"published {year} version {row.version} (figures {row.figures_sha256})",
    )


@report.command("show")
@click.option("--year", required=True, type=int)
@click.option("--draft", "want_draft", is_flag=True, help="The draft instead of the published.")
def report_show(year: int, want_draft: bool) -> None:
    """Print a report's figures document as JSON."""
    from trustcenter.services import reports

    async def work(c: Container) -> Any:
        if want_draft:
            return await reports.draft(c, _acting(REPORTS), year)
        found = await reports.published(c, _acting(REPORTS), year)
        return found.row if found else None

    row = _run(work)
    if row is None:
        raise click.ClickException(f"no {'draft' if want_draft else 'published report'} for {year}")
    click.echo(json.dumps(json.loads(row.figures), indent=2, ensure_ascii=False))


@report.command("rebuild-facts")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def report_rebuild_facts(as_json: bool) -> None:
    """Recompute the report's facts of every request from the request tables (safe to repeat:
    current facts come out the same). Every change keeps them by itself; this is for rows
    changed by hand in the database."""
    from trustcenter.services.reports import rebuild_facts

    async def work(c: Container) -> Any:
        return await rebuild_facts(c, _acting(REPORTS))

    count = _run(work)
    _emit({"facts": count}, as_json, f"report facts rebuilt: {count} requests")


@report.command("confirm-statement")
@click.argument("text")
def report_confirm_statement(text: str) -> None:
    """Confirm (or reword) the public statement; the next draft carries it, dated today."""
    from trustcenter.services.reports import confirm_statement

    async def work(c: Container) -> Any:
        return await confirm_statement(c, _acting(ADMIN), text)

    row = _run(work)
    click.echo(f"statement confirmed on {row.confirmed_at:%Y-%m-%d}")
