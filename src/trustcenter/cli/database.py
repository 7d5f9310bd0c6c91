"""``trustcenter db``: the database schema's revision — upgrade, downgrade, current, history."""

from __future__ import annotations

import click

from trustcenter.bootstrap import Container
from trustcenter.cli import _run, main
from trustcenter.db import migrate

#: the revision before the first: an empty database
BASE = "base"


@main.group()
def db() -> None:
    """Database schema: its revision, upgraded or taken back."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (safe to run from several processes at once: they take
    turns)."""

    async def work(container: Container) -> str | None:
        return await migrate.current_revision(container.db.engine)

    click.echo(f"database at revision {_run(work, upgrade=True)}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Take the database back to REVISION (one 'db history' lists, or 'base': nothing), running
    the downgrade step of each newer revision in one transaction. The server refuses a database
    at an old revision; 'db upgrade' brings it forward again."""
    known = migrate.revisions()
    if revision not in (*known, BASE):
        raise click.BadParameter(
            f"no revision {revision[:40]!r}: one of {', '.join(known)} or {BASE} "
            "('trustcenter db history' lists them)",
            param_hint="REVISION",
        )

    async def work(container: Container) -> str | None:
        current = await migrate.current_revision(container.db.engine)
        if current is None:
            raise click.ClickException("the database has no schema yet: nothing to take back")
        if current not in known:
            raise click.ClickException(
                f"the database is at revision {current}, which this version of trustcenter does "
                "not know: downgrade with the version that made it"
            )
        if revision != BASE and known.index(revision) > known.index(current):
            raise click.ClickException(
                f"revision {revision} is newer than the database's ({current}): "
                "'trustcenter db upgrade' goes forward"
            )
        if revision != current:
            db = container.db
            await migrate.downgrade(db.engine, db.url, revision, container.settings.database_schema)
        return await migrate.current_revision(container.db.engine)

    click.echo(f"database at revision {_run(work, check=False) or 'none'}")


@db.command("current")
def db_current() -> None:
    """The database's revision and whether it is the one this version of trustcenter needs
    (exit code 1 when it is not)."""

    async def work(container: Container) -> str | None:
        return await migrate.current_revision(container.db.engine)

    current, head = _run(work, check=False), migrate.head_revision()
    if current == head:
        click.echo(f"{current} (current)")
        return
    click.echo(f"{current or 'none'} (this version needs {head}: run 'trustcenter db upgrade')")
    raise SystemExit(1)


@db.command("history")
def db_history() -> None:
    """Every revision, oldest first, with what it does; the database's own is marked."""

    async def work(container: Container) -> str | None:
        return await migrate.current_revision(container.db.engine)

    current = _run(work, check=False)
    for revision in migrate.revisions():
        mark = "*" if revision == current else " "
        click.echo(f"{mark} {revision}  {migrate.title(revision)}")
    if current is None:
        click.echo("(the database has no schema yet)")
