"""A small install runs `accord serve` and nothing else: its own threads run the jobs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

from accord.jobs import service as jobs
from accord.jobs.tables import Job
from tests.factories import make_brand
from tests.jobs.conftest import SRC, open_store, wait_until


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_accord_serve_alone_runs_the_jobs_it_starts(tmp_path, use_queue):
    port = _free_port()
    url = f"sqlite:///{tmp_path}/accord.db"
    env = {**os.environ, "PYTHONPATH": str(SRC), "ACCORD_DATA_DIR": str(tmp_path)}
    env.pop("ACCORD_QUEUE_URL", None)  # the default: a file beside the database
    with open(tmp_path / "serve.log", "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "accord.cli", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_until(lambda: _listening(port), 60, "accord serve to listen")
        use_queue(f"sqlite:///{tmp_path}/accord.db.queue.sqlite")
        store = open_store(url)
        brand = make_brand(store)
        job = jobs.start(store, brand.caller, "sleep", {"seconds": 0.2, "steps": 4})

        def ended():
            with store.read() as session:
                row = session.get(Job, job.id)
            return row.status == "done" and row

        done = wait_until(ended, 30, "the server to run the job", poll=0.1)
        assert (done.attempts, done.done, done.total, done.result) == (1, 4, 4, {"steps": 4})
        assert done.claimed_by.split(":")[1] != str(os.getpid())  # the server ran it
        store.dispose()
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
