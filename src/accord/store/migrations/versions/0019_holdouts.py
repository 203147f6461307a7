"""holdout tests

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "holdouts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("program_id", sa.String(40), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("design", sa.String(16), nullable=False),
        sa.Column("scope_kind", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(40), nullable=False),
        sa.Column("share", sa.String(40), nullable=True),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("on_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("on_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("exposed_visitors", sa.BigInteger(), nullable=True),
        sa.Column("exposed_conversions", sa.BigInteger(), nullable=True),
        sa.Column("held_visitors", sa.BigInteger(), nullable=True),
        sa.Column("held_conversions", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_holdouts_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_holdouts_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_holdouts")),
    )
    op.create_index("ix_holdouts_program_created", "holdouts", ["program_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_holdouts_program_created", table_name="holdouts")
    op.drop_table("holdouts")
