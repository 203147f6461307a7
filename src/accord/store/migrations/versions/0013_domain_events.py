"""domain events between stages (the outbox) and what each handler has done with them

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 09:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from accord.store.base import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "domain_events",
        sa.Column("sequence", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=False),
        sa.Column("program_id", sa.String(40), nullable=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("subject_id", sa.String(40), nullable=True),
        sa.Column("partner_id", sa.String(40), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("handled_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_domain_events")),
        sa.UniqueConstraint("id", name=op.f("uq_domain_events_id")),
    )
    op.create_index("ix_domain_events_pending", "domain_events", ["status", "sequence"])
    op.create_index(op.f("ix_domain_events_organization_id"), "domain_events", ["organization_id"])
    op.create_index(op.f("ix_domain_events_subject_id"), "domain_events", ["subject_id"])
    op.create_table(
        "event_handlings",
        sa.Column("id", BIGINT, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(40), nullable=False),
        sa.Column("handler", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("handled_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["domain_events.id"],
            name=op.f("fk_event_handlings_event_id_domain_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_handlings")),
        sa.UniqueConstraint(
            "event_id", "handler", name=op.f("uq_event_handlings_event_id_handler")
        ),
    )
    op.create_index("ix_event_handlings_status", "event_handlings", ["status"])


def downgrade() -> None:
    op.drop_index("ix_event_handlings_status", table_name="event_handlings")
    op.drop_table("event_handlings")
    op.drop_index(op.f("ix_domain_events_subject_id"), table_name="domain_events")
    op.drop_index(op.f("ix_domain_events_organization_id"), table_name="domain_events")
    op.drop_index("ix_domain_events_pending", table_name="domain_events")
    op.drop_table("domain_events")
