"""enrollments: the moves of a partner to another contract from a date; contracts: the
partner types a contract is meant for (the one an applicant of that type is offered)

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-04 23:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("contract_moves", sa.JSON(), nullable=True))
    with op.batch_alter_table("contracts") as batch:
        batch.add_column(sa.Column("partner_types", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contracts") as batch:
        batch.drop_column("partner_types")
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("contract_moves")
