"""The report's facts at the command line: ``trustcenter report rebuild-facts`` repairs facts
left behind by rows changed by hand, and a database that is already current is not checked key
by key at every start (SQLite's ``PRAGMA foreign_key_check`` reads every table).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import event

from tests.integration.cli_helpers import DEMO_GROUP, Invoke, _json
from trustcenter.db import migrate
from trustcenter.db.session import Database


@DEMO_GROUP
def test_rebuild_facts_gives_back_the_figures_after_the_facts_were_lost(
    demo_cli: Invoke, db_file: Path
) -> None:
    before = _json(demo_cli("report", "build", "--year", "2025", "--json"))
    assert before["requests"] > 0
    with sqlite3.connect(db_file) as con:  # e.g. the table restored empty from a backup
        requests = con.execute("SELECT count(*) FROM requests").fetchone()[0]
        con.execute("DELETE FROM report_facts")
    assert _json(demo_cli("report", "build", "--year", "2025", "--json"))["requests"] == 0

    rebuilt = demo_cli("report", "rebuild-facts")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert rebuilt.stdout.strip() == f"report facts rebuilt: {requests} requests"
    after = _json(demo_cli("report", "build", "--year", "2025", "--json"))
    assert after["figures_sha256"] == before["figures_sha256"]
    # again: the same facts, the same figures
    assert _json(demo_cli("report", "rebuild-facts", "--json")) == {"facts": requests}
    again = _json(demo_cli("report", "build", "--year", "2025", "--json"))
    assert again["figures_sha256"] == before["figures_sha256"]


async def test_the_foreign_keys_are_checked_only_when_a_migration_ran(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/keys.db")
    checks: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "foreign_key_check" in statement:
            checks.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await migrate.upgrade(db.engine, db.url)  # an empty file: every migration runs
        assert len(checks) == 1
        await migrate.upgrade(db.engine, db.url)  # already current: nothing to check
        assert len(checks) == 1
        await migrate.downgrade(db.engine, db.url, "-1")  # a step back is checked again
        assert len(checks) == 2
    finally:
        await db.dispose()
