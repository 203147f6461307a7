"""Small SQL building blocks shared by every stage's repository code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

_STATEMENTS: dict[tuple[str, str, str], Any] = {}


def insert_ignore(session: Session, table: Table, values: dict[str, Any], *, key: str) -> bool:
    """INSERT ... ON CONFLICT (key) DO NOTHING; True if the row was inserted.

    Used for idempotent writes (ledger entries, accounts) where a concurrent or retried
    insert of the same business key must be a no-op, on SQLite and PostgreSQL alike. The
    statement is built once per dialect, table and key; the values are its parameters.
    """
    dialect = session.get_bind().dialect.name
    slot = (dialect, table.name, key)
    statement = _STATEMENTS.get(slot)
    if statement is None:
        build = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = _STATEMENTS[slot] = (
            build(table)
            .on_conflict_do_nothing(index_elements=[key])
            .returning(table.c[key])  # rowcount is not reliable here on every driver
        )
    return session.execute(statement, values).first() is not None
