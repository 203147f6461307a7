"""fraud settings, risk scores of conversions and their review, program baselines

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 19:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import accord.store.base

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

UTC = accord.store.base.UTCDateTime


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "fraud_settings",
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("hold_at", sa.Integer(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=40), nullable=True),
        _fk("fraud_settings", "organization_id", "organizations"),
        _fk("fraud_settings", "program_id", "programs"),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_fraud_settings")),
    )
    op.create_index(
        op.f("ix_fraud_settings_organization_id"), "fraud_settings", ["organization_id"]
    )
    op.create_table(
        "risk_scores",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("conversion_id", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=True),
        sa.Column("order_id", sa.String(length=200), nullable=False),
        sa.Column("at", UTC(timezone=True), nullable=False),
        sa.Column("scored_at", UTC(timezone=True), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("email_sha256", sa.String(length=64), nullable=True),
        sa.Column("click_seconds", sa.Float(), nullable=True),
        sa.Column("promo_code", sa.String(length=64), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("signals", sa.JSON(), nullable=False),
        sa.Column("codes", sa.String(length=400), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("review", sa.String(length=16), nullable=True),
        sa.Column("reviewed_by", sa.String(length=40), nullable=True),
        sa.Column("reviewed_at", UTC(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
        _fk("risk_scores", "conversion_id", "conversions"),
        _fk("risk_scores", "organization_id", "organizations"),
        _fk("risk_scores", "program_id", "programs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_scores")),
        sa.UniqueConstraint("conversion_id", name=op.f("uq_risk_scores_conversion_id")),
    )
    op.create_index(op.f("ix_risk_scores_organization_id"), "risk_scores", ["organization_id"])
    op.create_index("ix_risk_scores_partner_at", "risk_scores", ["partner_id", "at"])
    op.create_index(
        "ix_risk_scores_program_code", "risk_scores", ["program_id", "promo_code", "at"]
    )
    op.create_index("ix_risk_scores_program_at", "risk_scores", ["program_id", "at"])
    op.create_index(
        "ix_risk_scores_program_action", "risk_scores", ["program_id", "action", "review"]
    )
    op.create_index("ix_risk_scores_program_ip", "risk_scores", ["program_id", "ip", "at"])
    op.create_index(
        "ix_risk_scores_program_email", "risk_scores", ["program_id", "email_sha256", "at"]
    )
    op.create_index(
        "ix_risk_scores_program_click_seconds", "risk_scores", ["program_id", "click_seconds"]
    )
    op.create_table(
        "fraud_baselines",
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("quantiles", sa.JSON(), nullable=False),
        sa.Column("computed_at", UTC(timezone=True), nullable=False),
        _fk("fraud_baselines", "program_id", "programs"),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_fraud_baselines")),
    )

    op.create_table(
        "fraud_click_days",
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("fired", sa.BigInteger(), nullable=False),
        sa.Column("invalid", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("program_id", "day", "code", name=op.f("pk_fraud_click_days")),
    )
    # clicks: how the browser fetched the link (Sec-Fetch-Dest)
    op.add_column("clicks", sa.Column("fetch_dest", sa.String(length=16), nullable=True))
    # clicks: fraud protection's score, its reasons, and whether it judged the click invalid
    # (plain ADD COLUMN with a default: no table rebuild, the clicks' triggers stay)
    op.add_column(
        "clicks", sa.Column("risk", sa.SmallInteger(), server_default="0", nullable=False)
    )
    op.add_column("clicks", sa.Column("risk_reasons", sa.String(length=100), nullable=True))
    op.add_column(
        "clicks", sa.Column("invalid", sa.Boolean(), server_default=sa.false(), nullable=False)
    )


def downgrade() -> None:
    for column in ("invalid", "risk_reasons", "risk", "fetch_dest"):
        op.drop_column("clicks", column)
    op.drop_table("fraud_click_days")
    op.drop_table("fraud_baselines")
    op.drop_table("risk_scores")
    op.drop_table("fraud_settings")
