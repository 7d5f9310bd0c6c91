"""Reading the audit log directly, and running ``trustcenter audit`` on the test database, for
the audit tests."""

from __future__ import annotations

import asyncio
import os

from click.testing import CliRunner
from sqlalchemy import func, select

from trustcenter.bootstrap import Container
from trustcenter.cli import main
from trustcenter.db.models import AuditEvent, AuditHead
from trustcenter.services.audit import seal


async def event_count(container: Container) -> int:
    async with container.db.reader() as session:
        return int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def head(container: Container) -> tuple[int, str]:
    """The chain's head (newest sealed position, its hash) once what is committed is sealed."""
    assert (await seal(container)).stuck is None
    return await stored_head(container)


async def stored_head(container: Container) -> tuple[int, str]:
    """The head as it stands, nothing sealed first."""
    async with container.db.reader() as session:
        row = await session.get(AuditHead, 1)
        assert row is not None
        return row.seq, row.hash


async def all_events(container: Container) -> list[AuditEvent]:
    """Every event, in number order, as the sealer leaves them: what is committed is sealed
    first (serve seals every few seconds; the tests' app runs no sealer)."""
    assert (await seal(container)).stuck is None
    async with container.db.reader() as session:
        return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.seq))).all())


def cli_env(container: Container) -> dict[str, str]:
    """The environment of a ``trustcenter`` command on the test database: this one's, without
    its other ``TRUSTCENTER_*`` settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTCENTER_")}
    env["TRUSTCENTER_DATABASE_URL"] = container.settings.database_url
    if container.settings.database_schema:
        env["TRUSTCENTER_DATABASE_SCHEMA"] = container.settings.database_schema
    return env


async def verify_in_process(container: Container, *args: str) -> tuple[int, str]:
    """Exit code and standard output of ``trustcenter audit verify`` run in this process by
    click's runner, with the environment ``cli_env`` gives a started one (the command itself:
    its own container, engine and event loop, in a thread). One test per backend still starts
    the installed command (``test_audit_tamper.run_cli``)."""
    unset: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TRUSTCENTER_")}
    env = {**unset, **cli_env(container)}
    run = CliRunner().invoke
    result = await asyncio.to_thread(
        run, main, ["audit", "verify", *args], env=env, catch_exceptions=False
    )
    return result.exit_code, result.stdout
