"""Bounties: tasks for partners with a fixed reward (sales or revenue in a period, or content
the brand approves), and each partner's claim (bounties, bounty_claims)

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-05 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0046"
down_revision = "0045"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bounties",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "organization_id", sa.String(40), sa.ForeignKey("organizations.id"), nullable=False
        ),
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("target", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reward_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("group_id", sa.String(40), nullable=True),
        sa.Column("promotion", sa.String(60), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_bounties_organization_id", "bounties", ["organization_id"])
    op.create_index("ix_bounties_program_id", "bounties", ["program_id"])
    op.create_table(
        "bounty_claims",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("bounty_id", sa.String(40), sa.ForeignKey("bounties.id"), nullable=False),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), nullable=False),
        sa.Column("url", sa.String(2000), nullable=True),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("commission_id", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("bounty_id", "partner_id"),
    )
    op.create_index("ix_bounty_claims_partner_id", "bounty_claims", ["partner_id"])


def downgrade() -> None:
    op.drop_table("bounty_claims")
    op.drop_table("bounties")
