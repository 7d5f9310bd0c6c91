"""Alembic environment: runs on a connection handed over by trustcenter.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from trustcenter.db.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )


connection = config.attributes.get("connection")
if connection is not None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()
else:
    # The plain ``alembic`` command line, used by developers to write new revisions.
    url = config.get_main_option("sqlalchemy.url") or "sqlite:///trustcenter.db"
    url = url.replace("+aiosqlite", "").replace("+asyncpg", "+psycopg")
    engine = create_engine(url)
    with engine.begin() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
