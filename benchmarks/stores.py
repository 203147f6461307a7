"""The stores under test: a temporary PostgreSQL database, row counts, the bulk-insert baseline."""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"
BASELINE_TABLE = "bench_conversions_baseline"


def _driver_dsn(url: str) -> str:
    """A psycopg DSN from a SQLAlchemy URL."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def postgres_unreachable(server_url: str) -> str | None:
    """None if PostgreSQL at `server_url` (no database part) answers, else why not."""
    import psycopg

    try:
        with psycopg.connect(_driver_dsn(f"{server_url}/postgres"), connect_timeout=3):
            return None
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


@contextlib.contextmanager
def temp_postgres(server_url: str) -> Iterator[str]:
    """Create a database with a random name; yield its SQLAlchemy URL; drop it afterwards."""
    import psycopg

    name = f"accord_bench_{secrets.token_hex(5)}"
    admin = _driver_dsn(f"{server_url}/postgres")
    # CREATE DATABASE refuses to run inside a transaction: autocommit.
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server_url}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def count_rows(url: str, table: str, where: str = "") -> int:
    """`SELECT count(*)` on one table (a fresh connection, nothing cached)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.text(f"SELECT count(*) FROM {table} {where}")) or 0)
    finally:
        engine.dispose()


def wait_until_stable(url: str, table: str, *, settle: float = 0.3, timeout: float = 30.0) -> int:
    """Count rows until two counts `settle` seconds apart agree (the click buffer drained)."""
    deadline = time.monotonic() + timeout
    last = count_rows(url, table)
    while time.monotonic() < deadline:
        time.sleep(settle)
        now = count_rows(url, table)
        if now == last:
            return now
        last = now
    return last


@dataclass(frozen=True)
class BulkInsert:
    """Plain bulk inserts into a copy of the conversions table."""

    rows: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def bulk_insert_baseline(
    url: str, order_prefix: str, chunk: int = 1000, attempts: int = 3
) -> BulkInsert:
    """Insert the conversions whose order id starts with `order_prefix` again, in bulk.

    The rows are the very ones the API stored, so the baseline writes the same data into a
    table with the same columns, keys, indexes and foreign keys as `conversions`, in
    `executemany` chunks of `chunk` rows, one transaction per chunk, into a freshly created
    table each time; the best of `attempts` counts (the first pays for a new connection's
    catalog lookups). It measures what the database can take; the API also attributes,
    computes commissions and posts to the ledger.
    """
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        metadata = sa.MetaData()
        source = sa.Table("conversions", metadata, autoload_with=engine)
        with engine.connect() as conn:
            rows = [
                dict(r)
                for r in conn.execute(
                    sa.select(source).where(source.c.order_id.startswith(order_prefix))
                ).mappings()
            ]
        if not rows:
            return BulkInsert(0, 0.0)
        target = _copy_table(source, metadata, BASELINE_TABLE)
        best = float("inf")
        for _ in range(attempts):
            target.drop(engine, checkfirst=True)
            target.create(engine)
            with engine.connect() as conn:
                started = time.perf_counter()
                for start in range(0, len(rows), chunk):
                    with conn.begin():
                        conn.execute(target.insert(), rows[start : start + chunk])
                best = min(best, time.perf_counter() - started)
            stored = count_rows(url, BASELINE_TABLE)
            if stored != len(rows):
                raise RuntimeError(f"baseline stored {stored} of {len(rows)} rows")
        target.drop(engine)
        return BulkInsert(len(rows), best)
    finally:
        engine.dispose()


def _copy_table(source: sa.Table, metadata: sa.MetaData, name: str) -> sa.Table:
    """`source` under a new name, its constraint and index names prefixed to stay unique."""
    target = source.to_metadata(metadata, name=name)
    for item in [*target.constraints, *target.indexes]:
        if item.name:
            item.name = f"bench_{item.name}"
    return target
