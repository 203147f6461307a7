"""leads: settings, contacts, identities, activities, merges, stage history

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 02:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lead_settings",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("default_region", sa.String(length=2), nullable=True),
        sa.Column("scoring", sa.JSON(), nullable=True),
        sa.Column("fit", sa.JSON(), nullable=True),
        sa.Column("mql_zone", sa.JSON(), nullable=True),
        sa.Column("captures", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_lead_settings_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("organization_id", name=op.f("pk_lead_settings")),
    )  # fmt: skip
    op.create_table(
        "contacts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("company", sa.String(length=200), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("industry", sa.String(length=100), nullable=True),
        sa.Column("company_size", sa.Integer(), nullable=True),
        sa.Column("region", sa.String(length=2), nullable=True),
        sa.Column("city", sa.String(length=100), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("behaviour", sa.Integer(), nullable=False),
        sa.Column("fit", sa.Integer(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=True),
        sa.Column("armed", sa.Boolean(), nullable=False),
        sa.Column("merged_into", sa.String(length=40), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("last_activity_at", UTC, nullable=True),
        sa.Column("scored_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"],
            name=op.f("fk_contacts_organization_id_organizations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
    )  # fmt: skip
    op.create_index(
        "ix_contacts_org_score", "contacts", ["organization_id", "merged_into", "behaviour"]
    )
    op.create_index("ix_contacts_org_stage", "contacts", ["organization_id", "stage"])
    op.create_index(op.f("ix_contacts_merged_into"), "contacts", ["merged_into"])
    op.create_table(
        "contact_identities",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("origin_contact_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("first_seen", UTC, nullable=False),
        sa.Column("last_seen", UTC, nullable=False),
        sa.Column("activity_id", sa.String(length=40), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_identities")),
    )
    op.create_index(
        "ix_contact_identities_lookup", "contact_identities", ["organization_id", "kind", "value"]
    )
    op.create_index("ix_contact_identities_contact", "contact_identities", ["contact_id"])
    op.create_index("ix_contact_identities_origin", "contact_identities", ["origin_contact_id"])
    op.create_table(
        "identity_pairs",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("other_kind", sa.String(length=16), nullable=False),
        sa.Column("other_value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint(
            "organization_id", "kind", "value", "other_kind", "other_value",
            name=op.f("pk_identity_pairs"),
        ),
    )  # fmt: skip
    op.create_table(
        "lead_activities",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("origin_contact_id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("campaign", sa.String(length=200), nullable=True),
        sa.Column("utm", sa.JSON(), nullable=True),
        sa.Column("referrer", sa.String(length=2000), nullable=True),
        sa.Column("keyword", sa.String(length=200), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_activities")),
    )
    op.create_index("ix_lead_activities_contact_at", "lead_activities", ["contact_id", "at"])
    op.create_index("ix_lead_activities_origin", "lead_activities", ["origin_contact_id"])
    op.create_index("ix_lead_activities_org_at", "lead_activities", ["organization_id", "at"])
    op.create_table(
        "contact_merges",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("survivor_id", sa.String(length=40), nullable=False),
        sa.Column("absorbed_id", sa.String(length=40), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("activity_id", sa.String(length=40), nullable=True),
        sa.Column("at", UTC, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=True),
        sa.Column("undone_at", UTC, nullable=True),
        sa.Column("undone_by", sa.String(length=200), nullable=True),
        sa.Column("undo_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_merges")),
    )
    op.create_index("ix_contact_merges_survivor", "contact_merges", ["survivor_id"])
    op.create_index("ix_contact_merges_absorbed", "contact_merges", ["absorbed_id"])
    op.create_index(
        op.f("ix_contact_merges_organization_id"), "contact_merges", ["organization_id"]
    )
    op.create_table(
        "contacts_kept_apart",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("first_id", sa.String(length=40), nullable=False),
        sa.Column("second_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint(
            "organization_id", "first_id", "second_id", name=op.f("pk_contacts_kept_apart")
        ),
    )
    op.create_table(
        "lead_stage_changes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("contact_id", sa.String(length=40), nullable=False),
        sa.Column("stage_before", sa.String(length=16), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("by", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lead_stage_changes")),
    )
    op.create_index(op.f("ix_lead_stage_changes_contact_id"), "lead_stage_changes", ["contact_id"])


def downgrade() -> None:
    for table in (
        "lead_stage_changes", "contacts_kept_apart", "contact_merges", "lead_activities",
        "identity_pairs", "contact_identities", "contacts", "lead_settings",
    ):  # fmt: skip
        op.drop_table(table)
