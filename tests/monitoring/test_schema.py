"""The migration makes the alerts and report_digests tables exactly as the models declare
them, on both databases, and undoes them."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from accord.store.schema import metadata

OURS = {"alerts", "report_digests"}


def _ours(diff) -> bool:
    for item in diff if isinstance(diff, list) else [diff]:
        for part in item if isinstance(item, tuple) else (item,):
            if isinstance(part, str) and part in OURS:
                return True
            table = getattr(part, "table", None)
            name = getattr(table, "name", None) or getattr(part, "name", None)
            if name in OURS:
                return True
    return False


def test_the_migration_matches_the_models(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        diffs = [d for d in compare_metadata(context, metadata) if _ours(d)]
    assert diffs == []
    assert set(metadata.tables) >= OURS


def test_the_migration_is_undone_and_done_again(tmp_path):
    from alembic import command
    from sqlalchemy import inspect

    from accord.store.engine import make_engine
    from accord.store.migrate import alembic_config, upgrade

    engine = make_engine(f"sqlite:///{tmp_path}/accord.db")
    try:
        upgrade(engine)
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "0017")
        assert OURS.isdisjoint(inspect(engine).get_table_names())
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= OURS
    finally:
        engine.dispose()
