"""In a process that runs the job queue, a commit's events are handled by its workers, not
by the request that made the change."""

from __future__ import annotations

import threading
import time

from accord.events.dispatch import set_kicker
from accord.events.service import pending_count, record
from accord.events.tasks import use_queue
from accord.ids import new_id
from accord.jobs import queue as job_queue
from tests.events.conftest import Pinged


def test_a_commit_enqueues_its_events_and_a_queue_worker_handles_them(
    store, handlers, use_queue_url
):
    ref = new_id("ref")
    threads: list[str] = []
    handlers.add(
        Pinged,
        "where",
        lambda session, event: event.ref == ref and threads.append(threading.current_thread().name),
    )
    queue = job_queue.for_store(store, use_queue_url("memory://events-test"), bind=True)
    queue.start_in_process(2, periodic=False)
    previous = use_queue()
    try:
        with store.unit() as session:
            record(session, Pinged(organization_id="org_q", occurred_at=store.clock.now(), ref=ref))
        deadline = time.monotonic() + 20
        # the handler has run once its dispatch has committed: nothing is pending any more
        while pending_count(store, organization_id="org_q") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        set_kicker(previous)
        queue.stop_in_process()
    assert pending_count(store, organization_id="org_q") == 0
    assert len(threads) == 1
    assert threads[0] != threading.current_thread().name  # not the committing thread
