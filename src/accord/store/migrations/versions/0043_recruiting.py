"""Recruiting: programs' questions to applicants and the rules that decide applications at
once (application_rules), what decided an application and its answers (enrollments),
invitations by e-mail or link (partner_invitations), groups of partners
(partner_groups, partner_group_members), and partners' ids on the platform a program moved
from (partner_import_keys)

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-05 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0043"
down_revision = "0042"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("programs") as batch:
        batch.add_column(sa.Column("application_questions", sa.JSON(), nullable=True))
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("application_answers", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("decided_by", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("invitation_id", sa.String(40), nullable=True))
    op.create_table(
        "application_rules",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_application_rules_program_id", "application_rules", ["program_id"])
    op.create_table(
        "partner_invitations",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column(
            "organization_id", sa.String(40), sa.ForeignKey("organizations.id"), nullable=False
        ),
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("contract_id", sa.String(40), sa.ForeignKey("contracts.id"), nullable=True),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("preapproved", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_partner_invitations_organization_id", "partner_invitations", ["organization_id"]
    )
    op.create_index("ix_partner_invitations_program_id", "partner_invitations", ["program_id"])
    op.create_table(
        "partner_groups",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("contract_id", sa.String(40), sa.ForeignKey("contracts.id"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("program_id", "name"),
    )
    op.create_index("ix_partner_groups_program_id", "partner_groups", ["program_id"])
    op.create_table(
        "partner_group_members",
        sa.Column("group_id", sa.String(40), sa.ForeignKey("partner_groups.id"), primary_key=True),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), primary_key=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_partner_group_members_partner_id", "partner_group_members", ["partner_id"])

    op.create_table(
        "partner_import_keys",
        sa.Column("program_id", sa.String(40), sa.ForeignKey("programs.id"), primary_key=True),
        sa.Column("platform", sa.String(16), primary_key=True),
        sa.Column("external_id", sa.String(200), primary_key=True),
        sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), nullable=False),
    )
    op.create_index("ix_partner_import_keys_partner_id", "partner_import_keys", ["partner_id"])


def downgrade() -> None:
    op.drop_table("partner_import_keys")
    op.drop_table("partner_group_members")
    op.drop_table("partner_groups")
    op.drop_table("partner_invitations")
    op.drop_table("application_rules")
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("invitation_id")
        batch.drop_column("decided_by")
        batch.drop_column("application_answers")
    with op.batch_alter_table("programs") as batch:
        batch.drop_column("application_questions")
