"""Alembic environment: runs on the connection Accord hands it (see accord.store.migrate)."""

from __future__ import annotations

from alembic import context

from accord.store.schema import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - only when alembic is run by hand
    from accord.settings import get_settings
    from accord.store.engine import make_engine

    engine = make_engine(get_settings().resolved_database_url())
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
