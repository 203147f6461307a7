"""postbacks: partners' postback endpoints and the deliveries made to them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 04:06:31.929723
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "postback_endpoints",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("program_id", sa.String(length=40), nullable=True),
        sa.Column("url_template", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_postback_endpoints_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["program_id"], ["programs.id"], name=op.f("fk_postback_endpoints_program_id_programs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postback_endpoints")),
    )
    with op.batch_alter_table("postback_endpoints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_postback_endpoints_partner_id"), ["partner_id"], unique=False
        )

    op.create_table(
        "postback_deliveries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("endpoint_id", sa.String(length=40), nullable=False),
        sa.Column("commission_id", sa.String(length=40), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", accord.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", accord.store.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["commission_id"],
            ["commissions.id"],
            name=op.f("fk_postback_deliveries_commission_id_commissions"),
        ),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["postback_endpoints.id"],
            name=op.f("fk_postback_deliveries_endpoint_id_postback_endpoints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_postback_deliveries")),
    )
    with op.batch_alter_table("postback_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_postback_deliveries_commission_id"), ["commission_id"], unique=False
        )
        batch_op.create_index(
            "ix_postback_deliveries_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_postback_deliveries_endpoint_id"), ["endpoint_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("postback_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postback_deliveries_endpoint_id"))
        batch_op.drop_index("ix_postback_deliveries_due")
        batch_op.drop_index(batch_op.f("ix_postback_deliveries_commission_id"))

    op.drop_table("postback_deliveries")
    with op.batch_alter_table("postback_endpoints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postback_endpoints_partner_id"))

    op.drop_table("postback_endpoints")
