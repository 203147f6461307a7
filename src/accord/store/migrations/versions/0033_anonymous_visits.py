"""leads: what browsers did before their person was known, by the tag's cookie id

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lead_anonymous_visits",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("cookie", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("utm", sa.JSON(), nullable=True),
        sa.Column("referrer", sa.String(length=2000), nullable=True),
        sa.Column("keyword", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_anonymous_visits")),
    )
    op.create_index("ix_lead_anonymous_visits_cookie", "lead_anonymous_visits",
                    ["organization_id", "cookie", "at"])  # fmt: skip


def downgrade() -> None:
    op.drop_table("lead_anonymous_visits")
