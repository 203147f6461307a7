"""Messages between a brand and a partner of one of its programs (partner_messages)

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-05 02:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0044"
down_revision = "0043"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partner_messages",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "organization_id", sa.String(40), sa.ForeignKey("organizations.id"), nullable=False
        ),
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), nullable=False),
        sa.Column("author", sa.String(8), nullable=False),
        sa.Column("author_user_id", sa.String(40), nullable=True),
        sa.Column("author_name", sa.String(320), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_partner_messages_organization_id", "partner_messages", ["organization_id"])
    op.create_index("ix_partner_messages_thread", "partner_messages", ["program_id", "partner_id"])


def downgrade() -> None:
    op.drop_table("partner_messages")
