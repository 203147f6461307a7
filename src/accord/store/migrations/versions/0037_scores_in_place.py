"""leads: the daily pass rewrites a contact's score in place

The score column leaves the contacts' indexes, and on PostgreSQL each page of contacts keeps
room for new row versions, so that rewriting a score touches no index (a heap-only update).
The contacts list still sorts by score; at a million contacts of a brand that sort is a scan
of the brand's rows (about 0.2 s), where the index cost every daily pass far more.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04 20:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

#: Share of each contacts page filled by inserts; the rest takes the daily pass's rewrites.
FILLFACTOR = 70


def upgrade() -> None:
    op.drop_index("ix_contacts_org_score", table_name="contacts")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE contacts SET (fillfactor = {FILLFACTOR})")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE contacts RESET (fillfactor)")
    op.create_index(
        "ix_contacts_org_score", "contacts", ["organization_id", "merged_into", "behaviour"]
    )
