"""counting keys: legal-basis references and target identifiers as the report compares them

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000


def counting_key(text: str) -> str:
    """Frozen copy of ``domain.report.counting_key`` as of this revision (a migration never
    imports live code): runs of whitespace collapsed, surrounding whitespace dropped, Unicode
    case folded."""
    return " ".join(text.split()).casefold()


def _backfill(table: str, column: str) -> None:
    """Fill ``<column>_key`` from ``column`` for the rows already there, in batches."""
    bind = op.get_bind()
    rows = sa.table(
        table, sa.column("id", sa.Uuid()), sa.column(column), sa.column(f"{column}_key")
    )
    update = (
        sa.update(rows)
        .where(rows.c.id == sa.bindparam("row_id"))
        .values({f"{column}_key": sa.bindparam("key")})
    )
    found = bind.execute(sa.select(rows.c.id, rows.c[column])).all()
    for start in range(0, len(found), BATCH):
        batch = found[start : start + BATCH]
        bind.execute(update, [{"row_id": i, "key": counting_key(v)} for i, v in batch])


def upgrade() -> None:
    with op.batch_alter_table("legal_bases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference_key", sa.Text(), nullable=True))
    with op.batch_alter_table("request_targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identifier_key", sa.Text(), nullable=True))
    _backfill("legal_bases", "reference")
    _backfill("request_targets", "identifier")
    # Text: case folding may lengthen a text ("ß" is "ss"); NOT NULL: a key the report would
    # compare as NULL would merge unrelated requests
    with op.batch_alter_table("legal_bases", schema=None) as batch_op:
        batch_op.alter_column("reference_key", existing_type=sa.Text(), nullable=False)
    with op.batch_alter_table("request_targets", schema=None) as batch_op:
        batch_op.alter_column("identifier_key", existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("request_targets", schema=None) as batch_op:
        batch_op.drop_column("identifier_key")
    with op.batch_alter_table("legal_bases", schema=None) as batch_op:
        batch_op.drop_column("reference_key")
