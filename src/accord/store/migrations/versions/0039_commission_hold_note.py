"""commissions: a brand may hold one commission with a reason of its own words (the partner
reads it) until it releases it

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-04 21:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("commissions") as batch:
        batch.add_column(sa.Column("hold_note", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("commissions") as batch:
        batch.drop_column("hold_note")
