"""leads: nurturing sequences, who is in them, and each mail sent with its opens and clicks

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-04 17:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "nurture_sequences",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("auto_enrol", sa.Boolean(), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("needs_consent", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("from_name", sa.String(length=200), nullable=True),
        sa.Column("per_hour", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_nurture_sequences_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nurture_sequences")),
    )
    op.create_index(
        op.f("ix_nurture_sequences_organization_id"), "nurture_sequences", ["organization_id"]
    )
    op.create_table(
        "nurture_enrolments",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("sequence_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_at", UTC, nullable=True),
        sa.Column("leased_until", UTC, nullable=True),
        sa.Column("enrolled_at", UTC, nullable=False),
        sa.Column("enrolled_by", sa.String(length=200), nullable=True),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("reason", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nurture_enrolments")),
    )
    op.create_index("ux_nurture_enrolments_once", "nurture_enrolments",
                    ["sequence_id", "contact_id"], unique=True)  # fmt: skip
    op.create_index("ix_nurture_enrolments_due", "nurture_enrolments", ["status", "next_at"])
    op.create_index("ix_nurture_enrolments_contact", "nurture_enrolments", ["contact_id"])
    op.create_table(
        "nurture_sends",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("sequence_id", sa.String(length=40), nullable=False),
        sa.Column("enrolment_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=1000), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("opened_at", UTC, nullable=True),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("clicked_at", UTC, nullable=True),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("clicked_links", sa.JSON(), nullable=True),
        sa.Column("unsubscribed_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nurture_sends")),
    )
    op.create_index("ix_nurture_sends_sequence", "nurture_sends", ["sequence_id", "created_at"])
    op.create_index("ix_nurture_sends_contact", "nurture_sends", ["contact_id"])
    op.create_index("ix_nurture_sends_enrolment", "nurture_sends", ["enrolment_id"])


def downgrade() -> None:
    op.drop_table("nurture_sends")
    op.drop_table("nurture_enrolments")
    op.drop_table("nurture_sequences")
