"""The report's facts: one narrow row per request, so that a year's figures are one GROUP BY

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_facts",
        sa.Column("request_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("unit_key", sa.Text(), nullable=True),
        sa.Column("counted", sa.Boolean(), nullable=False),
        sa.Column("with_data", sa.SmallInteger(), nullable=False),
        sa.Column("challenged", sa.SmallInteger(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("products", sa.Integer(), nullable=False),
        sa.Column("days", sa.Float(), nullable=True),
        sa.Column("day", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name=op.f("fk_report_facts_request_id_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_report_facts")),
    )
    op.create_index(
        "ix_report_facts_median",
        "report_facts",
        ["year", "day", "counted", "country", "category", "days"],
        unique=False,
    )
    op.create_index("ix_report_facts_unit", "report_facts", ["year", "unit_key"], unique=False)
    # the facts of every request already stored, by the rules the report counts with
    from trustcenter.db.report_facts import rebuild

    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_report_facts_unit", table_name="report_facts")
    op.drop_index("ix_report_facts_median", table_name="report_facts")
    op.drop_table("report_facts")
