"""notice exceptions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notice_exceptions",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(length=128), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("review_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lifted_by", sa.String(length=128), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"], ["requests.id"], name=op.f("fk_notice_exceptions_request_id_requests")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_exceptions")),
    )
    with op.batch_alter_table("notice_exceptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notice_exceptions_request_id"), ["request_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notice_exceptions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notice_exceptions_request_id"))

    op.drop_table("notice_exceptions")
