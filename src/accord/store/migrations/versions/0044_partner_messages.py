"""Messages between a brand and a partner of one of its programs (partner_messages), and
announcements to a program's partners with who read them (announcements,
announcement_reads)

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

    op.create_table(
        "announcements",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "organization_id", sa.String(40), sa.ForeignKey("organizations.id"), nullable=False
        ),
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(8), nullable=False),
        sa.Column("audience_value", sa.String(40), nullable=True),
        sa.Column("by_mail", sa.Boolean(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_announcements_organization_id", "announcements", ["organization_id"])
    op.create_index("ix_announcements_program_id", "announcements", ["program_id"])
    op.create_table(
        "announcement_reads",
        sa.Column(
            "announcement_id", sa.String(40), sa.ForeignKey("announcements.id"), primary_key=True
        ),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), primary_key=True),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("announcement_reads")
    op.drop_table("announcements")
    op.drop_table("partner_messages")
