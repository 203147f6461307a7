"""partners' daily risk scores per program

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-03 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_risk",
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("previous", sa.Integer(), nullable=True),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("computed_at", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("program_id", "partner_id", "day", name=op.f("pk_partner_risk")),
    )
    op.create_index("ix_partner_risk_program_day", "partner_risk", ["program_id", "day"])
    op.create_index(op.f("ix_partner_risk_organization_id"), "partner_risk", ["organization_id"])


def downgrade() -> None:
    op.drop_table("partner_risk")
