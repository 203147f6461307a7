"""Job queue fixtures: fresh stores and queues of each backend, and real worker processes.

Each fixture makes its own database (SQLite file or PostgreSQL database) and its own queue
(a SQLite file, Redis database 11 flushed of this queue's keys, or a PostgreSQL database),
so that workers started here see no other test's jobs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.jobs import queue as job_queue
from accord.settings import Settings, get_settings
from accord.store.engine import Store, make_engine
from accord.store.migrate import upgrade
from tests.conftest import PG_URL

SRC = Path(__file__).resolve().parents[2] / "src"
#: A Redis database of these tests' own; each pytest-xdist worker has another (the rate-limit
#: tests use 13).
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
REDIS_URL = os.environ.get(
    "ACCORD_TEST_REDIS_URL", f"redis://127.0.0.1:6379/{(11, 12, 14, 15)[_WORKER % 4]}"
)
#: Short leases so that a killed worker's job is taken over within seconds.
FAST = {
    "ACCORD_JOB_LEASE_SECONDS": "2",
    "ACCORD_JOB_RECOVER_EVERY": "0.5",
    "ACCORD_QUEUE_PERIODIC_OFF": '["deliver_postbacks", "money_schedule"]',
}


def _admin():
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def create_pg_database(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    admin = _admin()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def pg_reachable() -> bool:
    try:
        admin = _admin()
        with admin.connect():
            pass
        admin.dispose()
        return True
    except Exception:
        return False


def redis_reachable() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


def need(backend: str) -> None:
    if backend == "postgresql" and not pg_reachable():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}")
    if backend == "redis" and not redis_reachable():
        pytest.skip(f"Redis not reachable at {REDIS_URL}")


def fresh_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database of its own."""
    need(backend)
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/accord.db"
    else:
        url = create_pg_database("accord_jobs")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        if backend == "postgresql":
            drop_pg_database(url)


def fresh_queue(backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty queue of its own."""
    need(backend)
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/queue.sqlite"
        return
    if backend == "redis":
        job_queue.make_huey(REDIS_URL).storage.flush_all()
        try:
            yield REDIS_URL
        finally:
            job_queue.make_huey(REDIS_URL).storage.flush_all()
        return
    url = create_pg_database("accord_queue")
    try:
        yield url
    finally:
        drop_pg_database(url)


@pytest.fixture
def use_queue(monkeypatch):
    """Point this process's settings at a queue (and job settings); undone afterwards."""

    def use(url: str, **env: str) -> Settings:
        monkeypatch.setenv("ACCORD_QUEUE_URL", url)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        get_settings.cache_clear()
        return get_settings()

    yield use
    monkeypatch.undo()
    get_settings.cache_clear()


class Workers:
    """`accord worker` processes on a store and a queue; every one is stopped at the end."""

    def __init__(self, database_url: str, queue_url: str, logs: Path) -> None:
        self.env = {
            **os.environ,
            "PYTHONPATH": str(SRC),
            "ACCORD_DATABASE_URL": database_url,
            "ACCORD_QUEUE_URL": queue_url,
            "ACCORD_DATA_DIR": str(logs),
            **FAST,
        }
        self.logs = logs
        self.started: list[subprocess.Popen] = []

    def start(self, threads: int = 2) -> subprocess.Popen:
        with open(self.logs / f"worker-{len(self.started)}.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "accord.cli", "worker", "--workers", str(threads)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        self.started.append(process)
        return process

    def log_of(self, index: int) -> str:
        return (self.logs / f"worker-{index}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for process in self.started:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until(predicate, seconds: float, what: str, poll: float = 0.05):
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {seconds} s for {what}")
        time.sleep(poll)


def open_store(url: str) -> Store:
    return Store(make_engine(url))
