"""roles of users, scopes of API keys, and the append-only audit log

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 08:00:00

Users who exist become their organization's owner (a partner company's admin), and keys
that exist keep full access (`*`). audit_events refuses UPDATE and DELETE in the database,
as the ledger does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

PG_UP = """
CREATE FUNCTION accord_refuse_audit_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit events are append-only';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
  FOR EACH ROW EXECUTE FUNCTION accord_refuse_audit_change();
"""

PG_DOWN = """
DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events;
DROP FUNCTION IF EXISTS accord_refuse_audit_change();
"""

SQLITE_UP = [
    """CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
    """CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
]


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("role", sa.String(16), nullable=False, server_default="owner")
        )
    op.execute(
        "UPDATE users SET role = 'admin' WHERE organization_id IN "
        "(SELECT id FROM organizations WHERE kind = 'partner')"
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("scopes", sa.String(400), nullable=False, server_default="*"))
        batch_op.add_column(sa.Column("created_by", sa.String(40), nullable=True))
    op.create_table(
        "audit_events",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("organization_id", sa.String(40), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(40), nullable=True),
        sa.Column("actor_label", sa.String(320), nullable=True),
        sa.Column("actor_organization_id", sa.String(40), nullable=True),
        sa.Column("address", sa.String(64), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_org_at", "audit_events", ["organization_id", "id"])
    op.create_index("ix_audit_events_object", "audit_events", ["object_type", "object_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_UP)
    else:
        for statement in SQLITE_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_DOWN)
    else:
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.drop_index("ix_audit_events_object", table_name="audit_events")
    op.drop_index("ix_audit_events_org_at", table_name="audit_events")
    op.drop_table("audit_events")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("created_by")
        batch_op.drop_column("scopes")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("role")
