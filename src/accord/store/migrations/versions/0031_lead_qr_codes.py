"""leads: QR codes that open a hosted form and credit the place they hang

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lead_qr_codes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("form_id", sa.String(length=40), nullable=False),
        sa.Column("place", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("scans", sa.Integer(), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_qr_codes")),
    )
    op.create_index("ix_lead_qr_codes_form", "lead_qr_codes", ["form_id"])
    op.create_index(op.f("ix_lead_qr_codes_organization_id"), "lead_qr_codes", ["organization_id"])


def downgrade() -> None:
    op.drop_table("lead_qr_codes")
