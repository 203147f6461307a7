"""per-partner daily sums for reports, triggers that mark a summed day changed, and the
conversions and commissions by program and time

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 17:00:00

The triggers write `report_dirty_days` in the same transaction as any change to a click,
a conversion or a commission dated before the program's `covered_until`, whichever code
makes the change: a report then reads that day from the facts until it is summed again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

#: Each fact table, its time column, and the columns the daily sums read.
FACTS = {
    "clicks": ("at", ("at", "program_id", "partner_id", "duplicate")),
    "conversions": (
        "occurred_at",
        (
            "occurred_at",
            "program_id",
            "partner_id",
            "status",
            "amount_minor",
            "reversed_minor",
            "program_amount_minor",
            "customer_status",
        ),
    ),
    "commissions": ("occurred_at", ("occurred_at", "program_id", "partner_id", "amount_minor")),
}


def _sqlite_mark(row: str, at: str) -> str:
    return (
        "INSERT OR IGNORE INTO report_dirty_days (program_id, day) "
        f"SELECT {row}.program_id, substr({row}.{at}, 1, 10) || ' 00:00:00.000000' "
        f"WHERE {row}.{at} < (SELECT covered_until FROM report_day_cover "
        f"WHERE program_id = {row}.program_id);"
    )


def _sqlite_triggers() -> None:
    for table, (at, columns) in FACTS.items():
        op.execute(
            f"CREATE TRIGGER report_days_{table}_insert AFTER INSERT ON {table} "
            f"BEGIN {_sqlite_mark('NEW', at)} END"
        )
        op.execute(
            f"CREATE TRIGGER report_days_{table}_update AFTER UPDATE OF {', '.join(columns)} "
            f"ON {table} BEGIN {_sqlite_mark('OLD', at)} {_sqlite_mark('NEW', at)} END"
        )
        op.execute(
            f"CREATE TRIGGER report_days_{table}_delete AFTER DELETE ON {table} "
            f"BEGIN {_sqlite_mark('OLD', at)} END"
        )


def _pg_mark(row: str, at: str) -> str:
    return (
        "INSERT INTO report_dirty_days (program_id, day) "
        f"SELECT {row}.program_id, date_trunc('day', {row}.{at} AT TIME ZONE 'UTC') "
        "AT TIME ZONE 'UTC' FROM report_day_cover c "
        f"WHERE c.program_id = {row}.program_id AND {row}.{at} < c.covered_until "
        "ON CONFLICT DO NOTHING;"
    )


def _pg_triggers() -> None:
    for table, (at, columns) in FACTS.items():
        op.execute(
            f"CREATE FUNCTION report_days_mark_{table}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF TG_OP <> 'DELETE' THEN {_pg_mark('NEW', at)} END IF;\n"
            f"  IF TG_OP <> 'INSERT' THEN {_pg_mark('OLD', at)} END IF;\n"
            "  RETURN NULL;\n"
            "END $$"
        )
        op.execute(
            f"CREATE TRIGGER report_days_{table} AFTER INSERT OR DELETE OR UPDATE OF "
            f"{', '.join(columns)} ON {table} FOR EACH ROW "
            f"EXECUTE FUNCTION report_days_mark_{table}()"
        )


def upgrade() -> None:
    counts = [
        sa.Column(name, sa.BigInteger(), nullable=False)
        for name in (
            "clicks",
            "unique_clicks",
            "conversions",
            "revenue",
            "commissions",
            "new_conversions",
            "new_revenue",
            "returning_conversions",
            "returning_revenue",
            "reversed_conversions",
            "reversed_revenue",
            "attributed_amount",
            "attributed_revenue",
            "active_conversions",
            "active_revenue",
            "attributed_conversions",
            "commission_rows",
        )
    ]
    op.create_table(
        "report_partner_days",
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        *counts,
        sa.Column("first_active_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "program_id", "day", "partner_id", name=op.f("pk_report_partner_days")
        ),
    )
    op.create_index(
        "ix_report_partner_days_converting",
        "report_partner_days",
        [
            "program_id",
            "day",
            "partner_id",
            "active_conversions",
            "active_revenue",
            "attributed_amount",
            "attributed_revenue",
            "first_active_at",
            "last_active_at",
        ],
        sqlite_where=sa.text("attributed_conversions > 0"),
        postgresql_where=sa.text("attributed_conversions > 0"),
    )
    op.create_table(
        "report_day_cover",
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("covered_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("covered_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("program_id", name=op.f("pk_report_day_cover")),
    )
    op.create_table(
        "report_dirty_days",
        sa.Column("program_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("program_id", "day", name=op.f("pk_report_dirty_days")),
    )
    op.create_index("ix_conversions_program_occurred", "conversions", ["program_id", "occurred_at"])
    op.create_index("ix_commissions_program_occurred", "commissions", ["program_id", "occurred_at"])
    if op.get_bind().dialect.name == "postgresql":
        _pg_triggers()
    else:
        _sqlite_triggers()


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in FACTS:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS report_days_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS report_days_mark_{table}()")
        else:
            for when in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS report_days_{table}_{when}")
    op.drop_index("ix_commissions_program_occurred", table_name="commissions")
    op.drop_index("ix_conversions_program_occurred", table_name="conversions")
    op.drop_table("report_dirty_days")
    op.drop_table("report_day_cover")
    op.drop_table("report_partner_days")
