"""tracking: sub ids, deep links, link expiry, duplicate clicks, impressions, identities

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:02:04.138918
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identities",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("click_id", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("seen_at", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identities")),
        sa.UniqueConstraint(
            "program_id", "kind", "value", name=op.f("uq_identities_program_id_kind_value")
        ),
    )
    op.create_table(
        "impressions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("link_id", sa.String(length=40), nullable=False),
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("at", accord.store.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("sub1", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impressions")),
    )
    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_impressions_link_id"), ["link_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_impressions_partner_id"), ["partner_id"], unique=False)
        batch_op.create_index("ix_impressions_program_at", ["program_id", "at"], unique=False)

    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("destination_url", sa.String(length=2000), nullable=True))
        batch_op.add_column(sa.Column("sub1", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("sub2", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("sub3", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("sub4", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("sub5", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("duplicate", sa.Boolean(), nullable=False, server_default=sa.false())
        )

    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="api")
        )
        batch_op.add_column(sa.Column("email_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("ip", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("identities", sa.JSON(), nullable=True))

    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", accord.store.base.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("permitted_domains", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("duplicate_click_seconds", sa.Integer(), nullable=False, server_default="30")
        )


def downgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("duplicate_click_seconds")
        batch_op.drop_column("permitted_domains")

    with op.batch_alter_table("links", schema=None) as batch_op:
        batch_op.drop_column("expires_at")

    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.drop_column("identities")
        batch_op.drop_column("user_agent")
        batch_op.drop_column("ip")
        batch_op.drop_column("email_sha256")
        batch_op.drop_column("source")

    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.drop_column("duplicate")
        batch_op.drop_column("sub5")
        batch_op.drop_column("sub4")
        batch_op.drop_column("sub3")
        batch_op.drop_column("sub2")
        batch_op.drop_column("sub1")
        batch_op.drop_column("destination_url")

    with op.batch_alter_table("impressions", schema=None) as batch_op:
        batch_op.drop_index("ix_impressions_program_at")
        batch_op.drop_index(batch_op.f("ix_impressions_partner_id"))
        batch_op.drop_index(batch_op.f("ix_impressions_link_id"))

    op.drop_table("impressions")
    op.drop_table("identities")
