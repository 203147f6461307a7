"""Product feeds: a program's products, which partners download with their own links
(feed_products)

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-05 07:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0047"
down_revision = "0046"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_products",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("sku", sa.String(100), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("price_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("url", sa.String(2000), nullable=False),
        sa.Column("image_url", sa.String(2000), nullable=True),
        sa.Column("category", sa.String(300), nullable=False),
        sa.Column("in_stock", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("program_id", "sku"),
    )
    op.create_index("ix_feed_products_program_id", "feed_products", ["program_id"])


def downgrade() -> None:
    op.drop_table("feed_products")
