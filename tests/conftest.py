"""Test fixtures: every test that touches the store runs on SQLite and on PostgreSQL.

PostgreSQL is taken from ACCORD_TEST_POSTGRES_URL (default: the local server,
postgresql+psycopg://postgres@127.0.0.1:5432/test). Each run creates its own database and
drops it afterwards. Without a reachable server the PostgreSQL half is skipped and the
summary says so; under CI (CI=true) it is required and its absence fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord.clock import FixedClock
from accord.store.engine import Store, make_engine
from accord.store.migrate import upgrade

PG_URL = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_backend_notes: dict[str, str] = {}

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def _create_pg_database() -> str:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")  # CREATE DATABASE refuses a tx
    name = f"accord_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg_database(url: str) -> None:
    name = make_url(url).database
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A freshly migrated database per backend, shared by the session's tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store')}/accord.db"
        _backend_notes["sqlite"] = "ran"
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    try:
        url = _create_pg_database()
    except Exception as exc:  # connection refused, auth failure, missing driver
        reason = f"PostgreSQL not reachable at {PG_URL} ({type(exc).__name__})"
        if IN_CI:
            pytest.fail(f"{reason}; CI requires the PostgreSQL run", pytrace=False)
        _backend_notes["postgresql"] = f"SKIPPED: {reason}"
        pytest.skip(reason)
    _backend_notes["postgresql"] = f"ran against {make_url(PG_URL).host}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    _drop_pg_database(url)


@pytest.fixture(scope="session")
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_settings():
    """Each test reads the environment it sets: the settings a command or app reads are
    cached per process (`get_settings`), and a worker runs many tests."""
    from accord.settings import get_settings

    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def store(engine, clock) -> Store:
    """A store on the current backend with a clock the test moves by hand.

    Tests share the database; each creates its own brand, so tenancy keeps them apart.
    """
    return Store(engine, clock)


def pytest_terminal_summary(terminalreporter) -> None:
    if not _backend_notes:
        return
    terminalreporter.section("database backends")
    for backend in ("sqlite", "postgresql"):
        note = _backend_notes.get(backend, "not used by the selected tests")
        terminalreporter.write_line(f"{backend}: {note}")


def pytest_sessionfinish(session) -> None:
    """Under pytest-xdist, each worker hands its backends' notes to the controller."""
    output = getattr(session.config, "workeroutput", None)
    if output is not None:
        output["backend_notes"] = dict(_backend_notes)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    for backend, note in getattr(node, "workeroutput", {}).get("backend_notes", {}).items():
        if backend not in _backend_notes or _backend_notes[backend].startswith("SKIPPED"):
            _backend_notes[backend] = note


# The browser -----------------------------------------------------------------------------
# Debian's Chromium through Playwright (headless, no sandbox), one per test process: a
# second Playwright in the same process would find the first one's event loop running.
CHROMIUM = os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message}; CI requires the browser tests", pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()


#: Files whose tests take minutes (the slowest first). pytest-xdist's `--dist worksteal`
#: hands each worker a share of the tests in collection order and lets an idle worker take
#: over another's queue: these start first, so that a long test does not begin alone at the
#: end of the run.
SLOW_FILES = (
    "tests/integration/test_ledger_state_machine.py",
    "tests/tracking/test_native_edge.py",
    "tests/tracking/test_edge_fuzz.py",
    "tests/protect/test_simulate.py",
    "tests/jobs/test_killed_worker.py",
    "tests/tracking/test_crash_safety.py",
    "tests/e2e/test_tracking_port.py",
    "tests/browser/test_journeys_in_chromium.py",
    "tests/browser/test_growth_in_chromium.py",
)


def pytest_collection_modifyitems(session, config, items):
    """Move the slow files' tests to the front, keeping every other order as collected
    (the same on every worker, as xdist requires)."""
    rank = {path: i for i, path in enumerate(SLOW_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))
