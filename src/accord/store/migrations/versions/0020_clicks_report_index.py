"""clicks by program and time carry their partner and duplicate flag, for reports

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03 14:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.drop_index("ix_clicks_program_at")
        batch_op.create_index(
            "ix_clicks_program_at", ["program_id", "at", "partner_id", "duplicate"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.drop_index("ix_clicks_program_at")
        batch_op.create_index("ix_clicks_program_at", ["program_id", "at"], unique=False)
