"""promotion periods a program names

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "promotion_periods",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("starts_at", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_promotion_periods_program_id_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotion_periods")),
    )
    op.create_index(
        "ix_promotion_periods_program_starts",
        "promotion_periods",
        ["program_id", "starts_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_promotion_periods_program_starts", table_name="promotion_periods")
    op.drop_table("promotion_periods")
