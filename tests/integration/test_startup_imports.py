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


#: runs each ``trustcenter`` command given (a JSON list of argument lists) in turn in one
#: fresh process, as the installed command does, then reports every module loaded on the way
COMMANDS = """
import json, sys
from trustcenter.cli import main
for args in json.loads(sys.argv[1]):
    main(args, standalone_mode=False)
    print("--- done", flush=True)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules}
                        | {m for m in sys.modules if m.startswith("trustcenter.")})))
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


#: each command, and what it says when it has done its work
DATABASE_COMMANDS = [
    (["audit", "seal"], "0 event(s) sealed"),
    (["audit", "verify"], "audit chain intact: 0 events verified"),
    (["worker", "--once"], "notices: 0 delivered"),
    (["plugins", "--json"], '"name": "smtp"'),
]


def test_the_database_commands_load_nothing_only_serving_needs(tmp_path: Path) -> None:
    """One process for all four (what one loads, the others may use: the union is checked)."""
    done = subprocess.run(  # noqa: S603 - this interpreter, the script above
        [sys.executable, "-c", COMMANDS, json.dumps([args for args, _ in DATABASE_COMMANDS])],
        env={"TRUSTCENTER_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    *said, loaded_line = done.stdout.split("--- done\n")
    assert [s for (_, s), out in zip(DATABASE_COMMANDS, said, strict=True) if s not in out] == []
    loaded = set(json.loads(loaded_line))
    assert "trustcenter.cli" in loaded and "sqlalchemy" in loaded  # the script saw the runs
    assert sorted(loaded & SERVING_ONLY) == []
