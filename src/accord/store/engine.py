"""Engine and unit of work: one Store per process, one transaction per use case."""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from accord.clock import Clock, SystemClock
from accord.settings import Settings, get_settings
from accord.store.migrate import upgrade

log = logging.getLogger("accord.store")
#: The key in a session's info holding the calls to make after its unit commits.
_AFTER_COMMIT = "accord.after_commit"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
    dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, see _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # statement journals (a write that fires triggers) and sorts in memory, not temp files
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    try:  # SQLite built without its math functions: lend it Python's
        cursor.execute("SELECT exp(0), floor(0.5)")
    except sqlite3.OperationalError:
        dbapi_connection.create_function("exp", 1, math.exp, deterministic=True)
        dbapi_connection.create_function("floor", 1, math.floor, deterministic=True)
    cursor.close()


def _sqlite_begin(conn) -> None:
    """Writers take SQLite's write lock up front (BEGIN IMMEDIATE), so a unit of work never
    fails half-way when it upgrades from reading to writing; read-only sessions stay deferred."""
    mode = "DEFERRED" if conn.get_execution_options().get("accord_read_only") else "IMMEDIATE"
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL mode, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


class Store:
    """The operational store of one process: engine, sessions and the clock."""

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        self.engine = engine
        self.clock: Clock = clock or SystemClock()
        # Here, not at the top: the recorder imports every stage's tables, which import
        # accord.store (a real cycle). Importing it records audited changes in every unit.
        import accord.audit.recorder  # noqa: F401

        info = {"accord_store": self}  # the audit log reads the clock through it
        self._sessions = sessionmaker(engine, expire_on_commit=False, info=info)
        self._read_sessions = sessionmaker(
            engine.execution_options(accord_read_only=True), expire_on_commit=False, info=info
        )
        # SQLite: one writer per process at a time (see unit); PostgreSQL: no such limit.
        self._writer = threading.RLock() if engine.dialect.name == "sqlite" else nullcontext()
        self._units = threading.local()  # this thread's open units and after-commit calls

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One unit of work: commits once at the end, rolls back on any error.

        SQLite has one writer at a time. Threads of this process take turns here rather
        than in SQLite's busy handler, which sleeps in growing steps while it waits: under
        concurrent requests that sleeping, not the work, was most of the time.
        """
        units = self._units
        depth = getattr(units, "depth", 0)
        if not depth:
            units.after = {}
        units.depth = depth + 1
        try:
            with self._writer:
                session = self._sessions()
                try:
                    yield session
                    session.commit()
                    units.after.update(session.info.pop(_AFTER_COMMIT, {}))
                except BaseException:
                    session.rollback()
                    raise
                finally:
                    session.close()
        finally:
            units.depth = depth
            if not depth:
                self._run_after_commit()

    def on_commit(self, session: Session, call: Callable[[Store], None]) -> None:
        """Call `call(store)` once after `session`'s unit commits, when the thread's
        outermost unit has ended and SQLite's write lock is free; nothing if it rolls back.
        The same callable registered twice is called once."""
        session.info.setdefault(_AFTER_COMMIT, {})[call] = call

    def _run_after_commit(self) -> None:
        calls = list(self._units.after.values())
        self._units.after = {}
        for call in calls:
            try:
                call(self)
            except Exception:  # the change is committed: a failing follow-up must not undo it
                log.exception("after-commit call %r failed", call)

    def ping(self) -> None:
        """Ask the database a trivial question: raises when it cannot be reached."""
        with self.read() as session:
            session.connection().exec_driver_sql("SELECT 1")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reads only; nothing is committed."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.close()  # ends the transaction; loaded objects stay readable

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(
    settings: Settings | None = None,
    *,
    url: str | None = None,
    clock: Clock | None = None,
    migrate: bool = True,
) -> Store:
    """Open the configured store and bring its schema up to date."""
    settings = settings or get_settings()
    url = url or settings.resolved_database_url()
    store = Store(make_engine(url), clock)
    if migrate:
        upgrade(store.engine)
    return store


def is_deadlock(error: DBAPIError) -> bool:
    """Whether the database cancelled this transaction to break a deadlock or a
    serialization conflict (PostgreSQL SQLSTATE 40P01 or 40001): trying again is safe."""
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return state in ("40P01", "40001")
