"""The tables the code declares are the tables the migrations build: a column added to a
model without its migration (or the reverse) fails here, on SQLite and PostgreSQL, before
it fails in production on the first insert."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import accord.store.schema  # noqa: F401 - every stage's tables on Base.metadata
from accord.store.base import Base


def test_the_migrated_schema_matches_the_declared_tables(store):
    with store.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == [], "migrations and models differ:\n" + "\n".join(map(str, differences))
