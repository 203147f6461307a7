"""ledger: refuse unbalanced entries and changes to posted lines in the database

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

On PostgreSQL a deferred constraint trigger checks, at commit, that every entry touched by
the transaction has equal debits and credits per currency; another trigger refuses UPDATE
and DELETE on posted lines and entries. On SQLite the second rule is enforced by triggers
too; the balance check runs in Python before insert (accord.ledger.model.validate).
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PG_UP = """
CREATE FUNCTION accord_check_entry_balanced() RETURNS trigger AS $$
DECLARE bad record;
BEGIN
  SELECT currency, SUM(debit_minor) AS d, SUM(credit_minor) AS c INTO bad
    FROM ledger_lines WHERE entry_id = NEW.entry_id
    GROUP BY currency HAVING SUM(debit_minor) <> SUM(credit_minor) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger entry % is unbalanced in %: debits % credits %',
      NEW.entry_id, bad.currency, bad.d, bad.c;
  END IF;
  RETURN NULL;
END $$ LANGUAGE plpgsql;

CREATE CONSTRAINT TRIGGER ledger_lines_balanced
  AFTER INSERT ON ledger_lines DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION accord_check_entry_balanced();

CREATE FUNCTION accord_refuse_ledger_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'ledger % are immutable: post a new entry instead', TG_TABLE_NAME;
END $$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_lines_immutable BEFORE UPDATE OR DELETE ON ledger_lines
  FOR EACH ROW EXECUTE FUNCTION accord_refuse_ledger_change();
CREATE TRIGGER ledger_entries_immutable BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION accord_refuse_ledger_change();
"""

PG_DOWN = """
DROP TRIGGER IF EXISTS ledger_entries_immutable ON ledger_entries;
DROP TRIGGER IF EXISTS ledger_lines_immutable ON ledger_lines;
DROP TRIGGER IF EXISTS ledger_lines_balanced ON ledger_lines;
DROP FUNCTION IF EXISTS accord_refuse_ledger_change();
DROP FUNCTION IF EXISTS accord_check_entry_balanced();
"""

SQLITE_UP = [
    """CREATE TRIGGER ledger_lines_no_update BEFORE UPDATE ON ledger_lines
       BEGIN SELECT RAISE(ABORT, 'ledger lines are immutable: post a new entry instead'); END""",
    """CREATE TRIGGER ledger_lines_no_delete BEFORE DELETE ON ledger_lines
       BEGIN SELECT RAISE(ABORT, 'ledger lines are immutable: post a new entry instead'); END""",
    """CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
       BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable: post a new entry instead'); END""",
    """CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
       BEGIN SELECT RAISE(ABORT, 'ledger entries are immutable: post a new entry instead'); END""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS ledger_lines_no_update",
    "DROP TRIGGER IF EXISTS ledger_lines_no_delete",
    "DROP TRIGGER IF EXISTS ledger_entries_no_update",
    "DROP TRIGGER IF EXISTS ledger_entries_no_delete",
]


def upgrade() -> None:
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
