"""customer journeys kept by the attribution stage

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("conversion_id", sa.String(40), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("program_id", sa.String(40), nullable=False),
        sa.Column("event_type", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(200), nullable=True),
        sa.Column("converted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("model", sa.String(32), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("steps", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversion_id"],
            ["conversions.id"],
            name=op.f("fk_journeys_conversion_id_conversions"),
        ),
        sa.PrimaryKeyConstraint("conversion_id", name=op.f("pk_journeys")),
    )
    op.create_index(
        "ix_journeys_program_converted",
        "journeys",
        ["program_id", "converted_at", "conversion_id"],
    )
    op.create_index("ix_journeys_program_customer", "journeys", ["program_id", "customer_id"])
    op.create_table(
        "journey_steps",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("conversion_id", sa.String(40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("step_type", sa.String(16), nullable=False),
        sa.Column("via", sa.String(16), nullable=False),
        sa.Column("ref", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("partner_id", sa.String(40), nullable=False),
        sa.Column("partner_type", sa.String(32), nullable=True),
        sa.Column("link_id", sa.String(40), nullable=True),
        sa.Column("credited", sa.Boolean(), nullable=False),
        sa.Column("share", sa.String(40), nullable=True),
        sa.ForeignKeyConstraint(
            ["conversion_id"],
            ["journeys.conversion_id"],
            name=op.f("fk_journey_steps_conversion_id_journeys"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_steps")),
        sa.UniqueConstraint(
            "conversion_id", "position", name=op.f("uq_journey_steps_conversion_id_position")
        ),
    )


def downgrade() -> None:
    op.drop_table("journey_steps")
    op.drop_index("ix_journeys_program_customer", table_name="journeys")
    op.drop_index("ix_journeys_program_converted", table_name="journeys")
    op.drop_table("journeys")
