"""per-program attribution policies with effective dates; journeys say which decided

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 13:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attribution_policies",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("program_id", sa.String(40), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=True),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("model", sa.String(32), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=True),
        sa.Column("first_weight", sa.String(40), nullable=False),
        sa.Column("last_weight", sa.String(40), nullable=False),
        sa.Column("half_life_hours", sa.Integer(), nullable=False),
        sa.Column("code_policy", sa.String(32), nullable=False),
        sa.Column("type_priority", sa.JSON(), nullable=False),
        sa.Column("priority_hours", sa.Integer(), nullable=False),
        sa.Column("split", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["programs.id"],
            name=op.f("fk_attribution_policies_program_id_programs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attribution_policies")),
    )
    op.create_index(
        "ix_attribution_policies_program",
        "attribution_policies",
        ["program_id", "effective_from"],
    )
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("policy_id", sa.String(40), nullable=True))
    with op.batch_alter_table("journey_steps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journey_steps", schema=None) as batch_op:
        batch_op.drop_column("note")
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.drop_column("policy_id")
    op.drop_index("ix_attribution_policies_program", table_name="attribution_policies")
    op.drop_table("attribution_policies")
