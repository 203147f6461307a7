"""Promo-code pools partners take codes from (code_pools, pool_codes), creatives (banners and
copy), and creator briefs with the posts submitted for them (briefs, brief_submissions)

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-05 07:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0045"
down_revision = "0044"
branch_labels = None
depends_on = None


def _owned(name: str, *columns: sa.Column) -> None:
    op.create_table(
        name,
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "organization_id", sa.String(40), sa.ForeignKey("organizations.id"), nullable=False
        ),
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), nullable=False),
        *columns,
    )
    op.create_index(f"ix_{name}_organization_id", name, ["organization_id"])
    op.create_index(f"ix_{name}_program_id", name, ["program_id"])


def upgrade() -> None:
    _owned(
        "code_pools",
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("group_id", sa.String(40), nullable=True),
        sa.Column("promotion", sa.String(60), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "pool_codes",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("pool_id", sa.String(40), sa.ForeignKey("code_pools.id"), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("partner_id", sa.String(40), nullable=True),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("pool_id", "code"),
        sa.UniqueConstraint("pool_id", "partner_id"),
    )
    _owned(
        "creatives",
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("image", sa.LargeBinary(), nullable=True),
        sa.Column("image_type", sa.String(32), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("landing_url", sa.String(2000), nullable=True),
        sa.Column("group_id", sa.String(40), nullable=True),
        sa.Column("promotion", sa.String(60), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    _owned(
        "briefs",
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("deliverables", sa.Text(), nullable=False),
        sa.Column("starts_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("due_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("hashtags", sa.JSON(), nullable=False),
        sa.Column("disclosure", sa.JSON(), nullable=False),
        sa.Column("forbidden", sa.JSON(), nullable=False),
        sa.Column("fee_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("group_id", sa.String(40), nullable=True),
        sa.Column("promotion", sa.String(60), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "brief_submissions",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("brief_id", sa.String(40), sa.ForeignKey("briefs.id"), nullable=False),
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("commission_id", sa.String(40), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_brief_submissions_partner_id", "brief_submissions", ["partner_id"])
    op.create_index(
        "ix_brief_submissions_brief_partner", "brief_submissions", ["brief_id", "partner_id"]
    )


def downgrade() -> None:
    op.drop_table("brief_submissions")
    op.drop_table("briefs")
    op.drop_table("creatives")
    op.drop_table("pool_codes")
    op.drop_table("code_pools")
