"""leads: a contact's owner, tasks, and the amount of a deal

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 03:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("owner_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("owned_since", UTC, nullable=True))
    op.create_index(op.f("ix_contacts_owner_id"), "contacts", ["owner_id"])
    with op.batch_alter_table("lead_stage_changes") as batch:
        batch.add_column(sa.Column("amount_minor", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("currency", sa.String(length=3), nullable=True))
    op.create_table(
        "lead_tasks",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("origin_contact_id", sa.String(length=40), nullable=False),
        sa.Column("owner_id", sa.String(length=40), nullable=True),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("done_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_tasks")),
    )
    op.create_index("ix_lead_tasks_owner_due", "lead_tasks", ["organization_id", "owner_id", "due"])
    op.create_index(op.f("ix_lead_tasks_contact_id"), "lead_tasks", ["contact_id"])


def downgrade() -> None:
    op.drop_table("lead_tasks")
    with op.batch_alter_table("lead_stage_changes") as batch:
        batch.drop_column("currency")
        batch.drop_column("amount_minor")
    op.drop_index(op.f("ix_contacts_owner_id"), table_name="contacts")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("owned_since")
        batch.drop_column("owner_id")
