"""plugin findings and issuer role

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_findings",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("plugin", sa.String(length=128), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overridden_by", sa.String(length=128), nullable=True),
        sa.Column("override_justification", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_request_findings_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_findings")),
    )
    with op.batch_alter_table("request_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_request_findings_request_id"), ["request_id"], unique=False
        )

    with op.batch_alter_table("legal_bases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("issuer_role", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("legal_bases", schema=None) as batch_op:
        batch_op.drop_column("issuer_role")

    with op.batch_alter_table("request_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_request_findings_request_id"))

    op.drop_table("request_findings")
