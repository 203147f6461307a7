"""Small SQL building blocks shared by every stage's repository code."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_ignore(session: Session, table: Table, values: dict[str, Any], *, key: str) -> bool:
    """INSERT ... ON CONFLICT (key) DO NOTHING; True if the row was inserted.

    Used for idempotent writes (ledger entries, accounts) where a concurrent or retried
    insert of the same business key must be a no-op, on SQLite and PostgreSQL alike.
    """
    dialect = session.get_bind().dialect.name
    build = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        build(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[key])
        .returning(table.c[key])  # rowcount is not reliable here on every driver
    )
    return session.execute(statement).first() is not None
