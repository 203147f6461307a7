"""leads: events (conferences, seminars, trade shows, livestreams) and their registrations
with tickets, reminders and attendance

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lead_events",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("place", sa.String(length=500), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("reminders", sa.JSON(), nullable=False),
        sa.Column("consents", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_lead_events_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_events")),
    )
    op.create_index("ix_lead_events_org", "lead_events", ["organization_id", "starts_at"])
    op.create_table(
        "lead_event_registrations",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("registered_at", UTC, nullable=False),
        sa.Column("reminded", sa.JSON(), nullable=False),
        sa.Column("attended_at", UTC, nullable=True),
        sa.Column("attended_by", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_event_registrations")),
        sa.UniqueConstraint("token", name=op.f("uq_lead_event_registrations_token")),
    )
    op.create_index("ux_lead_event_registrations_once", "lead_event_registrations",
                    ["event_id", "contact_id"], unique=True)  # fmt: skip
    op.create_index("ix_lead_event_registrations_contact", "lead_event_registrations",
                    ["contact_id"])  # fmt: skip
    op.create_index(op.f("ix_lead_event_registrations_event_id"), "lead_event_registrations",
                    ["event_id"])  # fmt: skip


def downgrade() -> None:
    op.drop_table("lead_event_registrations")
    op.drop_table("lead_events")
