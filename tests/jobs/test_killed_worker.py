"""A worker killed with SIGKILL in the middle of a job loses nothing: the real `accord
worker` process, on each queue backend, with a store on SQLite and on PostgreSQL.

An import of many rows starts on one worker; the worker is killed once part of the file is
stored; a second worker takes the job over when the first one's lease has run out, and
finishes it. Every row is then stored exactly once, and the job says it took two attempts.
"""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import func, select

from accord.conversions.tables import Conversion
from accord.jobs import queue as job_queue
from accord.jobs import service as jobs
from accord.jobs.tables import Job
from tests.factories import make_brand
from tests.jobs.conftest import (
    FAST,
    Workers,
    fresh_database,
    fresh_queue,
    open_store,
    wait_until,
)

ROWS = 600

#: (store, queue): each queue backend once, and each store with its default queue (a SQLite
#: file) and with the server a production install would share.
COMBINATIONS = [
    ("sqlite", "sqlite"),
    ("sqlite", "redis"),
    ("postgresql", "sqlite"),
    ("postgresql", "postgresql"),
]


@pytest.fixture(params=COMBINATIONS, ids=[f"{s}_store-{q}_queue" for s, q in COMBINATIONS])
def setup(request, tmp_path, use_queue):
    store_backend, queue_backend = request.param
    databases = fresh_database(store_backend, tmp_path)
    queues = fresh_queue(queue_backend, tmp_path)
    database_url = next(databases)
    queue_url = next(queues)
    settings = use_queue(queue_url, **FAST)
    store = open_store(database_url)
    workers = Workers(database_url, queue_url, tmp_path)
    try:
        yield store, workers, settings
    finally:
        workers.stop_all()
        store.dispose()
        for generator in (queues, databases):
            generator.close()


def _job(store, job_id: str) -> Job:
    with store.read() as session:
        return session.get(Job, job_id)


def test_a_killed_worker_loses_no_job_and_no_row_is_stored_twice(setup):
    store, workers, settings = setup
    brand = make_brand(store)
    lines = ["order_id,amount,currency"] + [f"K-{i:05d},{10 + i % 90}.00,USD" for i in range(ROWS)]
    job = jobs.start(
        store,
        brand.caller,
        "import_conversions",
        {"program_id": brand.program_id, "file": "big.csv"},
        payload="\n".join(lines),
        program_id=brand.program_id,
    )
    queue = job_queue.for_store(store, settings)

    first = workers.start()
    # killed while it works: some rows stored, most not
    wait_until(
        lambda: (queue.peek_live(job.id) or {}).get("done", 0) >= 50,
        60,
        f"the first worker to get going; its log:\n{workers.log_of(0)}",
        poll=0.01,
    )
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    killed = _job(store, job.id)
    assert (killed.status, killed.attempts) == ("running", 1)
    with store.read() as session:
        stored_then = session.scalar(
            select(func.count()).where(Conversion.program_id == brand.program_id)
        )
    assert 0 < stored_then < ROWS

    workers.start()
    ended = wait_until(
        lambda: (j := _job(store, job.id)).status in ("done", "failed") and j,
        90,
        f"the second worker to finish the job; its log:\n{workers.log_of(1)}",
        poll=0.1,
    )
    assert ended.status == "done", ended.message
    assert ended.attempts == 2
    assert (ended.done, ended.total) == (ROWS, ROWS)
    assert ended.payload is None  # the file is not kept once it is imported
    counts = ended.result["counts"]
    # the rows the first attempt stored are recognised, not stored again
    assert counts.get("duplicate", 0) >= stored_then
    assert counts.get("created", 0) + counts.get("duplicate", 0) == ROWS, counts
    with store.read() as session:
        orders = list(
            session.scalars(
                select(Conversion.order_id).where(Conversion.program_id == brand.program_id)
            )
        )
    assert len(orders) == ROWS and len(set(orders)) == ROWS
