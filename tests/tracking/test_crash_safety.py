"""Killing the server with SIGKILL under load loses no click whose redirect was sent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import select

from accord.tracking.tables import Click
from tests.factories import add_partner, free_port, make_brand

pytestmark = pytest.mark.e2e


def _serve(database_url: str, data_dir: Path, port: int, flush_ms: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "ACCORD_DATABASE_URL": database_url,
        "ACCORD_DATA_DIR": str(data_dir),
        "ACCORD_CLICK_FLUSH_INTERVAL_MS": str(flush_ms),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "accord.cli", "serve", "--port", str(port), "--server", "uvicorn"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"server did not start: {process.stderr.read().decode()[-2000:]}")


def test_sigkill_under_load_loses_no_click_whose_redirect_was_sent(store, database_url, tmp_path):
    brand = make_brand(store)
    partners = [add_partner(brand) for _ in range(3)]
    port = free_port()
    # A long flush interval: when the process dies, most clicks exist only in the spool.
    server = _serve(database_url, tmp_path, port, flush_ms=5_000)
    answered: list[str] = []
    stop = time.monotonic() + 1.5

    def load(worker: int) -> list[str]:
        ids = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            while time.monotonic() < stop:
                code = partners[worker % len(partners)].link_code
                try:
                    response = http.get(f"/c/{code}")
                except httpx.HTTPError:
                    break
                if response.status_code == 302:
                    query = parse_qs(urlsplit(response.headers["location"]).query)
                    ids.append(query["accord_click"][0])
        return ids

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(load, i) for i in range(4)]
        time.sleep(1.0)
        os.killpg(server.pid, signal.SIGKILL)  # mid-load, no chance to flush
        server.wait(10)
        for future in futures:
            answered.extend(future.result())
    assert len(answered) > 100

    spooled = list((tmp_path / "spool").rglob("events-*.jsonl"))
    assert spooled, "the killed process left its spool behind"
    restarted = _serve(database_url, tmp_path, port, flush_ms=50)  # replays the spool
    try:
        with store.read() as session:
            stored = set(session.scalars(select(Click.id).where(Click.id.in_(answered))))
    finally:
        restarted.terminate()
        restarted.wait(10)
    missing = set(answered) - stored
    assert not missing, f"{len(missing)} of {len(answered)} answered clicks were lost"
    assert not list((tmp_path / "spool").rglob("events-*.jsonl"))
