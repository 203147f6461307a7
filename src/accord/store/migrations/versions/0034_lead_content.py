"""leads: the content library (articles, white papers, decks, videos, event pages) and the
tokens that let a person who sent a gate form download a file

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 17:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lead_content",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("form_id", sa.String(length=40), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=True),
        sa.Column("file_type", sa.String(length=100), nullable=True),
        sa.Column("file_size", sa.Integer(), nullable=True),
        sa.Column("file", sa.LargeBinary(), nullable=True),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.Column("downloads", sa.Integer(), nullable=False),
        sa.Column("shares", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_lead_content_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_content")),
    )
    op.create_index("ix_lead_content_org", "lead_content", ["organization_id", "created_at"])
    op.create_table(
        "lead_content_grants",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("content_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_lead_content_grants")),
    )
    op.create_index(op.f("ix_lead_content_grants_content_id"), "lead_content_grants",
                    ["content_id"])  # fmt: skip
    op.create_index(op.f("ix_lead_content_grants_contact_id"), "lead_content_grants",
                    ["contact_id"])  # fmt: skip


def downgrade() -> None:
    op.drop_table("lead_content_grants")
    op.drop_table("lead_content")
