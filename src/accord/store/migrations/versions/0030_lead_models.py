"""leads: the predictive model per brand, and each contact's predicted chance

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("predicted", sa.Float(), nullable=True))
    op.create_table(
        "lead_models",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("model", sa.JSON(), nullable=True),
        sa.Column("won", sa.Integer(), nullable=False),
        sa.Column("lost", sa.Integer(), nullable=False),
        sa.Column("predicted", sa.Integer(), nullable=False),
        sa.Column("trained_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_lead_models")),
    )


def downgrade() -> None:
    op.drop_table("lead_models")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("predicted")
