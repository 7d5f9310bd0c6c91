"""The audit chain sealed by one sealer: writers insert numbered, self-hashed events without
locking the chain's head; the sealer gives them their chain position later

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

Events already stored were appended to the chain one by one: they become sealed at their own
number (``position = seq``), their chain unchanged. On PostgreSQL new events are numbered by a
sequence that continues after the newest one; on SQLite the row number does that already (the
``seq`` column is the table's INTEGER PRIMARY KEY). The append-only triggers are replaced: an
update may only seal an unsealed event (set its position, previous hash and hash once, its
content unchanged); deletions stay refused.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from trustcenter.db.base import UTCDateTime
from trustcenter.domain.audit import AuditRecord, seal, tail_break

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: what sealing may not change
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


def _postgres_triggers() -> None:
    row = ", ".join(f"NEW.{c}" for c in CONTENT)
    old = ", ".join(f"OLD.{c}" for c in CONTENT)
    op.execute(
        "CREATE FUNCTION tc_audit_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF OLD.position IS NULL AND NEW.position IS NOT NULL AND NEW.prev_hash <> '' "
        f"AND ({row}) IS NOT DISTINCT FROM ({old}) THEN RETURN NEW; END IF; "
        f"RAISE EXCEPTION '{REFUSED} (only sealing may place an event, once)'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_events_seal_only BEFORE UPDATE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION tc_audit_seal_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION tc_audit_append_only()"
    )


def _sqlite_triggers() -> None:
    same = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in CONTENT)
    op.execute(
        "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
        "WHEN NOT (OLD.position IS NULL AND NEW.position IS NOT NULL AND NEW.prev_hash <> '' "
        f"AND {same}) "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED} (only sealing may place an event, once)'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    # in place, not in batch mode (that would rebuild the table)
    op.add_column(
        "audit_events",
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    )
    op.execute("UPDATE audit_events SET position = seq")
    op.create_index("ix_audit_events_position", "audit_events", ["position"], unique=True)
    op.create_index(
        "ix_audit_events_unsealed",
        "audit_events",
        ["seq"],
        postgresql_where=sa.text("position IS NULL"),
        sqlite_where=sa.text("position IS NULL"),
    )
    if postgres:
        op.execute("CREATE SEQUENCE audit_events_seq_seq OWNED BY audit_events.seq")
        op.execute(
            "SELECT setval('audit_events_seq_seq', COALESCE(MAX(seq), 0) + 1, false) "
            "FROM audit_events"
        )
        op.execute(
            "ALTER TABLE audit_events ALTER COLUMN seq SET DEFAULT nextval('audit_events_seq_seq')"
        )
        _postgres_triggers()
    else:
        _sqlite_triggers()


_EVENTS = sa.table(
    "audit_events",
    sa.column("seq", sa.BigInteger()),
    sa.column("occurred_at", UTCDateTime()),
    *(sa.column(c, sa.String()) for c in CONTENT[2:9]),
    sa.column("request_id", sa.Uuid()),
    sa.column("data", sa.Text()),
    sa.column("prev_hash", sa.String()),
    sa.column("hash", sa.String()),
    sa.column("position", sa.BigInteger()),
)


def _seal_at_their_numbers(bind: sa.Connection) -> None:
    """Seal the unsealed events that follow the head number by number, each at its own
    number: the chain the earlier design would have made of them."""
    head_seq, head_hash = bind.execute(
        sa.text("SELECT seq, hash FROM audit_head WHERE id = 1")
    ).one()
    e = _EVENTS.c
    rows = bind.execute(sa.select(_EVENTS).where(e.position.is_(None)).order_by(e.seq)).all()
    sealed = []
    for row in rows:
        event = AuditRecord(
            seq=row.seq,
            occurred_at=row.occurred_at,
            actor_kind=row.actor_kind,
            actor_id=row.actor_id,
            actor_name=row.actor_name,
            actor_via=row.actor_via,
            action=row.action,
            subject_type=row.subject_type,
            subject_id=row.subject_id,
            request_id=str(row.request_id) if row.request_id else None,
            data=json.loads(row.data),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )
        if row.seq != head_seq + 1 or tail_break(event) is not None:
            break
        linked = seal(event, row.seq, head_hash)
        sealed.append({"s": row.seq, "ph": head_hash, "h": linked.hash})
        head_seq, head_hash = row.seq, linked.hash
    if sealed:
        bind.execute(
            sa.update(_EVENTS)
            .where(e.seq == sa.bindparam("s"))
            .values(
                position=sa.bindparam("s"), prev_hash=sa.bindparam("ph"), hash=sa.bindparam("h")
            ),
            sealed,
        )
        bind.execute(
            sa.text("UPDATE audit_head SET seq = :s, hash = :h WHERE id = 1"),
            {"s": head_seq, "h": head_hash},
        )


def downgrade() -> None:
    """Back to one chain appended under the head's lock: possible while every event is sealed
    at its own number. Unsealed events that follow the head number by number are sealed so
    first; a chain whose order differs from the numbers cannot go back (each hash covers its
    number, the old chain's order was the numbers')."""
    bind = op.get_bind()
    _seal_at_their_numbers(bind)
    astray = bind.execute(
        sa.text("SELECT COUNT(*) FROM audit_events WHERE position IS NULL OR position <> seq")
    ).scalar()
    if astray:
        raise RuntimeError(
            f"{astray} audit event(s) are unsealed or sealed away from their number: run "
            "'trustcenter audit seal' first; a chain sealed out of number order cannot be "
            "downgraded"
        )
    if bind.dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_delete ON audit_events")
        op.execute("DROP TRIGGER audit_events_seal_only ON audit_events")
        op.execute("DROP FUNCTION tc_audit_seal_only()")
        op.execute("ALTER TABLE audit_events ALTER COLUMN seq DROP DEFAULT")
        op.execute("DROP SEQUENCE audit_events_seq_seq")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    op.drop_index("ix_audit_events_unsealed", table_name="audit_events")
    op.drop_index("ix_audit_events_position", table_name="audit_events")
    # not in batch mode: on SQLite that would rebuild the table and lose its triggers
    op.execute("ALTER TABLE audit_events DROP COLUMN position")
    if bind.dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION tc_audit_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
            )
