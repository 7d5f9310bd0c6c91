"""Importing the company's earlier requests: ``trustcenter requests import FILE``."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click

from trustcenter.auth.scopes import ADMIN
from trustcenter.bootstrap import Container
from trustcenter.cli import _acting, _emit, _run, main


@main.group()
def requests() -> None:
    """Requests: importing the company's earlier history."""


class _Bars:
    """One progress bar per phase on standard error, opened when the phase starts."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.bar: Any = None
        self.shown = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            self.phase, self.shown = phase, 0
            self.bar = click.progressbar(length=total, label=phase, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.shown)
        self.shown = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@requests.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def requests_import(file: IO[bytes], as_json: bool) -> None:
    """Import past requests from FILE (JSON lines, one request per line; '-' reads standard
    input). Every line is checked first: if any is bad, each problem is printed with its line
    number, nothing is written and the exit status is 2. Requests imported before (same
    external_id, same content) are skipped, so importing a file again writes nothing."""
    from trustcenter.services.history_import import HistoryImportRejected, import_history

    data = file.read()

    async def work(c: Container) -> Any:
        bars = _Bars()
        try:
            return await import_history(c, _acting(ADMIN), data, on_progress=bars)
        finally:
            bars.close()

    try:
        result = _run(work)
    except HistoryImportRejected as rejected:
        for problem in rejected.problems:
            click.echo(str(problem), err=True)
        if as_json:
            problems = [
                {"line": p.line, "field": p.field, "message": p.message} for p in rejected.problems
            ]
            click.echo(json.dumps({"errors": problems}, indent=2))
        click.echo(f"refused: {len(rejected.problems)} problem(s); nothing was imported", err=True)
        sys.exit(2)
    nothing = "; nothing written" if result.imported == 0 else ""
    _emit(
        result.as_dict(),
        as_json,
        f"imported {result.imported}, skipped {result.skipped} (already imported){nothing}",
    )
