"""Audit events name the HTTP request that caused them (its X-Request-ID, as in the logs)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

A new nullable column, ``correlation_id``; an event's hash covers it when it is set, so events
stored before hash as they did. Sealing may not change it either: the triggers that let an
update only seal an event now compare it too.

Going back below this revision drops the column, which is possible only while no event carries
one (their hashes cover it).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: what sealing may not change, before this revision
CONTENT = (
    "seq",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "actor_name",
    "actor_via",
    "action",
    "subject_type",
    "subject_id",
    "request_id",
    "data",
)
REFUSED = "audit events are append-only"


def _seal_only(content: Sequence[str]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        row = ", ".join(f"NEW.{c}" for c in content)
        old = ", ".join(f"OLD.{c}" for c in content)
        op.execute(
            "CREATE OR REPLACE FUNCTION tc_audit_seal_only() RETURNS trigger LANGUAGE plpgsql "
            "AS $$ BEGIN "
            "IF OLD.position IS NULL AND NEW.position IS NOT NULL AND NEW.prev_hash <> '' "
            f"AND ({row}) IS NOT DISTINCT FROM ({old}) THEN RETURN NEW; END IF; "
            f"RAISE EXCEPTION '{REFUSED} (only sealing may place an event, once)'; END $$"
        )
        return
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in content)
    op.execute("DROP TRIGGER audit_events_no_update")
    op.execute(
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "WHEN NOT (OLD.position IS NULL AND NEW.position IS NOT NULL AND NEW.prev_hash <> '' "
        f"AND {same}) "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED} (only sealing may place an event, once)'); END"
    )


def upgrade() -> None:
    # in place, not in batch mode (that would rebuild the table and lose its triggers)
    op.add_column("audit_events", sa.Column("correlation_id", sa.String(128), nullable=True))
    _seal_only((*CONTENT, "correlation_id"))


def downgrade() -> None:
    carried = (
        op.get_bind()
        .execute(sa.text("SELECT COUNT(*) FROM audit_events WHERE correlation_id IS NOT NULL"))
        .scalar()
    )
    if carried:
        raise RuntimeError(
            f"{carried} audit event(s) name the HTTP request that caused them and their hashes "
            "cover it: the column cannot be dropped without breaking the chain, so the "
            "database cannot go below revision 0017"
        )
    _seal_only(CONTENT)
    op.drop_column("audit_events", "correlation_id")
