"""leads: score weights per contact and group, so that the daily pass decays every score
without reading the activity log

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "contact_score_parts",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("score_group", sa.String(length=40), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "organization_id", "contact_id", "score_group", name=op.f("pk_contact_score_parts")
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("lead_settings") as batch:
        batch.add_column(sa.Column("score_epoch", UTC, nullable=True))
        batch.add_column(sa.Column("scored_with", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("fitted_with", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("zoned_with", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("scored_at", UTC, nullable=True))
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("groups")


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("groups", sa.JSON(), nullable=True))
    with op.batch_alter_table("lead_settings") as batch:
        batch.drop_column("scored_at")
        batch.drop_column("zoned_with")
        batch.drop_column("fitted_with")
        batch.drop_column("scored_with")
        batch.drop_column("score_epoch")
    op.drop_table("contact_score_parts")
