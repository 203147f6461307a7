"""partners' own marks; orders' payment fingerprint, referrer host and device

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 02:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_marks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("first_seen", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_marks")),
        sa.UniqueConstraint(
            "partner_id", "kind", "value", name=op.f("uq_partner_marks_partner_id_kind_value")
        ),
    )
    op.create_index("ix_partner_marks_kind_value", "partner_marks", ["kind", "value"])
    with op.batch_alter_table("conversions") as batch:
        batch.add_column(sa.Column("payment_sha256", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("referrer_host", sa.String(length=255), nullable=True))
    with op.batch_alter_table("risk_scores") as batch:
        batch.add_column(sa.Column("device", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("new_device", sa.Boolean(), nullable=True))
    op.create_index("ix_risk_scores_program_device", "risk_scores", ["program_id", "device", "at"])


def downgrade() -> None:
    op.drop_index("ix_risk_scores_program_device", table_name="risk_scores")
    with op.batch_alter_table("risk_scores") as batch:
        batch.drop_column("new_device")
        batch.drop_column("device")
    with op.batch_alter_table("conversions") as batch:
        batch.drop_column("referrer_host")
        batch.drop_column("payment_sha256")
    op.drop_table("partner_marks")
