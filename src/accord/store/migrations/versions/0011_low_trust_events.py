"""browser events held until confirmed, order bounds, commission holds

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

#: ISO 4217 minor-unit digits of the currencies a program may already use; the default
#: maximum order is a million units of the program's currency.
_DEFAULT_MAX_MAJOR = 1_000_000


def upgrade() -> None:
    with op.batch_alter_table("programs", schema=None) as batch_op:
        # Programs that already exist keep taking browser events, but held until the
        # brand's server confirms them; new programs start with them off.
        batch_op.add_column(
            sa.Column("browser_events", sa.String(16), nullable=False, server_default="held")
        )
        batch_op.add_column(sa.Column("browser_signing_secret", sa.String(80), nullable=True))
        batch_op.add_column(
            sa.Column(
                "browser_event_max_age_minutes",
                sa.Integer(),
                nullable=False,
                server_default="60",
            )
        )
        batch_op.add_column(sa.Column("max_order_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "order_total_tolerance_percent",
                sa.String(40),
                nullable=False,
                server_default="1",
            )
        )
    from accord.money import exponent

    bind = op.get_bind()
    programs = sa.table(
        "programs",
        sa.column("id", sa.String),
        sa.column("currency", sa.String),
        sa.column("max_order_minor", sa.BigInteger),
    )
    for currency in bind.execute(sa.select(programs.c.currency).distinct()).scalars():
        bind.execute(
            programs.update()
            .where(programs.c.currency == currency)
            .values(max_order_minor=_DEFAULT_MAX_MAJOR * 10 ** exponent(currency))
        )

    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmation", sa.String(16), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("commissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hold_reason", sa.String(40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("commissions", schema=None) as batch_op:
        batch_op.drop_column("hold_reason")
    with op.batch_alter_table("conversions", schema=None) as batch_op:
        batch_op.drop_column("confirmed_at")
        batch_op.drop_column("confirmation")
    with op.batch_alter_table("programs", schema=None) as batch_op:
        batch_op.drop_column("order_total_tolerance_percent")
        batch_op.drop_column("max_order_minor")
        batch_op.drop_column("browser_event_max_age_minutes")
        batch_op.drop_column("browser_signing_secret")
        batch_op.drop_column("browser_events")
