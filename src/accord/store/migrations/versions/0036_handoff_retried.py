"""leads: a hand-off sent again keeps when it was made, and starts its attempts from then

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("lead_handoffs") as batch:
        batch.add_column(sa.Column("retried_at", UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lead_handoffs") as batch:
        batch.drop_column("retried_at")
