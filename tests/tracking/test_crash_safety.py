"""Killing the server with SIGKILL under load loses no click whose redirect was sent."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import make_url, select

from accord.edge.recorder import _encode
from accord.settings import Settings
from accord.tracking.tables import Click
from tests.factories import add_partner, free_port, make_brand, wait_healthy

pytestmark = pytest.mark.e2e


def _start(
    args: list[str], env: dict[str, str], port: int, within: float, cwd: Path | None = None
) -> subprocess.Popen:
    """Start `accord ARGS` in its own process group and wait for its /health."""
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", *args],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
        cwd=cwd,
    )
    wait_healthy(f"http://127.0.0.1:{port}/health", process, within)
    return process


def _serve(
    database_url: str, data_dir: Path, port: int, flush_ms: int, cwd: Path | None = None
) -> subprocess.Popen:
    env = {
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_DATA_DIR": str(data_dir),
        "ACCORD_CLICK_FLUSH_INTERVAL_MS": str(flush_ms),
    }
    return _start(["serve", "--port", str(port), "--server", "uvicorn"], env, port, 30, cwd)


def _serve_native_edge(
    database_url: str, data_dir: Path, port: int, flush_ms: int
) -> subprocess.Popen:
    env = {
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_DATA_DIR": str(data_dir),
        "ACCORD_CLICK_FLUSH_INTERVAL_MS": str(flush_ms),
    }
    # The first start compiles the edge.
    return _start(["edge", "--port", str(port), "--quiet"], env, port, 60)


def _clicks_until_killed(port: int, codes: list[str], server: subprocess.Popen) -> list[str]:
    """Four clients click; the server's process group is killed once it has answered at
    least 100 clicks and 1 s has passed (later on a loaded machine), mid-load. Returns the
    click ids of every 302 the clients received."""
    stop = threading.Event()
    count = [0]
    count_lock = threading.Lock()

    def load(worker: int) -> list[str]:
        ids = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            while not stop.is_set():
                try:
                    response = http.get(f"/c/{codes[worker % len(codes)]}?sub1=w{worker}")
                except httpx.HTTPError:
                    break
                if response.status_code == 302:
                    query = parse_qs(urlsplit(response.headers["location"]).query)
                    ids.append(query["accord_click"][0])
                    with count_lock:
                        count[0] += 1
        return ids

    answered: list[str] = []
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(load, i) for i in range(4)]
        started = time.monotonic()
        time.sleep(1.0)
        while count[0] <= 100 and time.monotonic() - started < 30:
            time.sleep(0.05)
        os.killpg(server.pid, signal.SIGKILL)  # mid-load, no chance to flush
        server.wait(10)
        stop.set()
        for future in futures:
            answered.extend(future.result())
    assert len(answered) > 100
    return answered


def _missing_after(restarted: subprocess.Popen, store, answered: list[str]) -> set[str]:
    try:
        with store.read() as session:
            stored = set(session.scalars(select(Click.id).where(Click.id.in_(answered))))
    finally:
        restarted.terminate()
        restarted.wait(10)
    return set(answered) - stored


def test_sigkill_under_load_loses_no_click_whose_redirect_was_sent(store, database_url, tmp_path):
    brand = make_brand(store)
    codes = [add_partner(brand).link_code for _ in range(3)]
    port = free_port()
    # A long flush interval: when the process dies, most clicks exist only in the spool.
    server = _serve(database_url, tmp_path, port, flush_ms=5_000)
    answered = _clicks_until_killed(port, codes, server)

    assert list((tmp_path / "spool").rglob("events-*.jsonl")), "the spool was left behind"
    restarted = _serve(database_url, tmp_path, port, flush_ms=50)  # replays the spool
    missing = _missing_after(restarted, store, answered)
    assert not missing, f"{len(missing)} of {len(answered)} answered clicks were lost"
    assert not list((tmp_path / "spool").rglob("events-*.jsonl"))


def test_sigkill_of_the_native_edge_loses_no_click_whose_redirect_was_sent(
    store, database_url, tmp_path
):
    """The edge and its loader are killed together; the next start stores the spool."""
    brand = make_brand(store)
    codes = [add_partner(brand).link_code for _ in range(3)]
    port = free_port()
    # A long loading interval: when the edge dies, its clicks exist only in the spool.
    edge = _serve_native_edge(database_url, tmp_path, port, flush_ms=10_000)
    answered = _clicks_until_killed(port, codes, edge)

    left = list((tmp_path / "spool").rglob("edge-*"))
    assert left, "the killed edge left spooled clicks that were not stored yet"
    restarted = _serve_native_edge(database_url, tmp_path, port, flush_ms=50)  # stores the rest
    missing = _missing_after(restarted, store, answered)
    assert not missing, f"{len(missing)} of {len(answered)} answered clicks were lost"
    assert not list((tmp_path / "spool").rglob("edge-*"))


def _respelled(database_url: str, cwd: Path) -> str:
    """The same database under another spelling of its URL."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":  # relative to the working directory
        return f"sqlite:///{os.path.relpath(url.database, cwd)}"
    host = {"127.0.0.1": "localhost", "localhost": "127.0.0.1"}.get(url.host, url.host)
    return url.set(host=host, port=None if url.port == 5432 else url.port).render_as_string(
        hide_password=False
    )


def test_a_restart_under_another_spelling_of_the_store_stores_the_spool(
    store, database_url, tmp_path
):
    """The spool's folder is named after the store, not after how its URL or the data
    directory was written: a restart with a relative path or another host name for the same
    database stores every click the killed process answered."""
    brand = make_brand(store)
    codes = [add_partner(brand).link_code for _ in range(2)]
    port = free_port()
    server = _serve(database_url, tmp_path / "data", port, flush_ms=5_000)
    answered = _clicks_until_killed(port, codes, server)

    respelled = _respelled(database_url, tmp_path)
    assert respelled != database_url
    restarted = _serve(respelled, Path("data"), port, flush_ms=50, cwd=tmp_path)
    missing = _missing_after(restarted, store, answered)
    assert not missing, f"{len(missing)} of {len(answered)} answered clicks were lost"
    assert not list((tmp_path / "data" / "spool").rglob("events-*.jsonl"))


def _legacy_spool(settings: Settings, url: str) -> Path:
    """The folder earlier versions named after the URL as written."""
    return settings.data_dir / "spool" / hashlib.sha256(url.encode()).hexdigest()[:16]


def test_a_spool_left_under_the_earlier_folder_name_is_stored_once(store, tmp_path):
    from accord.server import AccordApp
    from accord.tracking.service import click_row, link_target

    brand = make_brand(store)
    partner = add_partner(brand)
    settings = Settings(data_dir=tmp_path)
    url = store.engine.url.render_as_string(hide_password=True)
    with store.read() as session:
        target = link_target(session, partner.link_code)
    row = click_row(
        target,
        "clk_01KOLDSP00L000000000000000",
        store.clock.now(),
        "203.0.113.5",
        "Old/1.0",
        None,
        destination_url=target.destination_url,
        subs={"sub1": "old"},
        duplicate=False,
    )
    mine = _legacy_spool(settings, url)
    mine.mkdir(parents=True)
    (mine / "events-999999999-00000000-000001.jsonl").write_bytes(_encode("click", row))
    # a folder of another store (its link is unknown here) is left as it is
    foreign = _legacy_spool(settings, "sqlite:///elsewhere/accord.db")
    foreign.mkdir(parents=True)
    other = dict(row, id="clk_01KF0RE1GN0000000000000000", link_id="lnk_not_here")
    (foreign / "events-999999998-00000000-000001.jsonl").write_bytes(_encode("click", other))

    app = AccordApp(store, settings)
    app.start()
    app.stop()
    with store.read() as session:
        stored = session.get(Click, row["id"])
        assert stored is not None and stored.sub1 == "old"
        assert session.get(Click, other["id"]) is None
    assert not list(mine.glob("events-*"))
    assert list(foreign.glob("events-*"))
