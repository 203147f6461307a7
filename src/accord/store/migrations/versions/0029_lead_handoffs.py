"""leads: hand-off of MQLs to the brand's CRM by signed webhook

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("lead_settings") as batch:
        batch.add_column(sa.Column("handoff", sa.JSON(), nullable=True))
    op.create_table(
        "lead_handoffs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", UTC, nullable=True),
        sa.Column("leased_until", UTC, nullable=True),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_handoffs")),
    )
    op.create_index("ix_lead_handoffs_due", "lead_handoffs", ["status", "next_at"])
    op.create_index("ix_lead_handoffs_org", "lead_handoffs", ["organization_id", "created_at"])
    op.create_index(op.f("ix_lead_handoffs_contact_id"), "lead_handoffs", ["contact_id"])


def downgrade() -> None:
    op.drop_table("lead_handoffs")
    with op.batch_alter_table("lead_settings") as batch:
        batch.drop_column("handoff")
