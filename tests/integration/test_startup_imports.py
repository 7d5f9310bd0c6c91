"""Start-up does only what serving needs (docs/performance.md, start-up): on a database whose
schema is current, ``serve`` reads the revision with one ``SELECT`` and never loads the
migration machinery, the single sign-on client or a password hash. The commands that only read
and write the database (``audit verify``, ``audit seal``, ``worker``) load no web framework,
no OAuth or rate-limit library and none of the submission's checks (docs/performance.md, the
suite): each one's start costs a fifth less CPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from trustcenter.db import migrate

SERVE_START = """
import asyncio, sys
from trustcenter.cli import _run
from trustcenter.config import Settings
from trustcenter.bootstrap import build
from trustcenter.web.app import create_app

async def nothing(container):
    return None

settings = Settings.from_env(None)
_run(nothing, settings=settings)  # what serve does before it listens

async def start():
    container = build(settings)
    create_app(container, manage_lifecycle=True)
    await container.start()
    await container.close()

asyncio.run(start())
import trustcenter.auth.passwords as passwords
print(" ".join(sorted(m for m in ("alembic", "httpx", "authlib.integrations.starlette_client")
                      if m in sys.modules)))
print("dummy" if passwords._DUMMY is not None else "")
"""


def test_the_head_revision_read_from_the_files_is_alembics() -> None:
    scripts = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert migrate.head_revision() == scripts.get_current_head()


def _start(db_file: Path) -> list[str]:
    done = subprocess.run(  # noqa: S603 - this interpreter, the script above
        [sys.executable, "-c", SERVE_START],
        env={"TRUSTCENTER_DATABASE_URL": f"sqlite+aiosqlite:///{db_file}", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()


def test_a_start_on_a_current_schema_loads_no_migration_machinery(tmp_path: Path) -> None:
    db_file = tmp_path / "serve.db"
    first = _start(db_file)  # an empty file: migrated, so Alembic is loaded
    assert "alembic" in first[0].split()
    again = _start(db_file)  # current: one SELECT, nothing else
    assert again[0].split() == []
    assert again[1:] in ([], [""])  # no password hashed before the first sign-in


#: runs ``trustcenter ARGS…`` as the installed command does, then reports what it loaded
COMMAND = """
import atexit, json, sys
def loaded():
    tops = sorted({m.split(".")[0] for m in sys.modules} | {m for m in sys.modules
                  if m.startswith("trustcenter.")})
    print(json.dumps(tops), file=sys.stderr)
atexit.register(loaded)
sys.argv = ["trustcenter", *sys.argv[1:]]
from trustcenter.launch import main
main()
"""

#: what only serving (the web app, GraphQL, OAuth, throttles) or taking a request in needs
SERVING_ONLY = {
    "strawberry",
    "graphql",
    "starlette",
    "uvicorn",
    "httpx",
    "trustcenter.web",
    "trustcenter.graphql",
    "trustcenter.demo",
    "authlib",
    "joserfc",
    "limits",
    "trustcenter.auth.server",
    "trustcenter.auth.throttle",
    "phonenumbers",
    "email_validator",
    "aiosmtplib",
}


def _command(db_file: Path, *args: str) -> tuple[str, set[str]]:
    done = subprocess.run(  # noqa: S603 - this interpreter, the script above
        [sys.executable, "-c", COMMAND, *args],
        env={"TRUSTCENTER_DATABASE_URL": f"sqlite+aiosqlite:///{db_file}", "PATH": "/usr/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout, set(json.loads(done.stderr.splitlines()[-1]))


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("audit", "verify"), "audit chain intact: 0 events verified"),
        (("audit", "seal"), "0 event(s) sealed"),
        (("worker", "--once"), "notices: 0 delivered"),
        (("plugins", "--json"), '"name": "smtp"'),
    ],
)
def test_a_database_command_loads_nothing_only_serving_needs(
    tmp_path: Path, args: tuple[str, ...], said: str
) -> None:
    db_file = tmp_path / "cli.db"
    _command(db_file, "db", "upgrade")
    out, loaded = _command(db_file, *args)
    assert said in out  # the command did its work
    assert loaded & SERVING_ONLY == set()
    assert "trustcenter.cli" in loaded and "sqlalchemy" in loaded  # the script saw the run
