"""The job service on the store of each backend, with the queue in this process: claiming,
leases and their recovery, the attempt limit, progress seen through the queue's storage, a
retried payout batch, and periodic tasks other stages declare."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from accord.commissions.service import approve, lock_due
from accord.jobs import queue as job_queue
from accord.jobs import service as jobs
from accord.jobs import work
from accord.jobs.tables import Job
from accord.payouts.service import partner_balances
from accord.settings import Settings
from accord.store.engine import Store, make_engine
from tests.factories import add_partner, click, convert, make_brand

RUNS: list[str] = []
HOLD = threading.Event()


@work.kind("test_count")
def _count(store, caller, args, context) -> dict:
    RUNS.append(context.job_id)
    HOLD.wait(float(args.get("hold", 0)))
    return {"attempt": context.attempt}


@work.kind("test_progress")
def _progress(store, caller, args, context) -> dict:
    context.progress(3, 10)
    HOLD.wait(10)
    return {}


@pytest.fixture
def queue(use_queue, store, tmp_path) -> job_queue.Queue:
    """A queue file of this test's own, with short leases; no worker runs it."""
    settings = use_queue(
        f"sqlite:///{tmp_path}/queue.sqlite",
        ACCORD_JOB_LEASE_SECONDS="2",
        ACCORD_JOB_MAX_ATTEMPTS="2",
    )
    HOLD.clear()
    yield job_queue.for_store(store, settings, bind=True)
    HOLD.set()


def _job(store: Store, job_id: str) -> Job:
    with store.read() as session:
        return session.get(Job, job_id)


def test_a_job_runs_once_however_many_workers_take_its_message(store, queue):
    brand = make_brand(store)
    job = jobs.start(store, brand.caller, "test_count", {"hold": 0.3})
    assert queue.pending() == 1  # its id is on the queue, for any worker
    outcomes: list[str] = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(jobs.run_job(store, job.id)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["done", "skipped", "skipped", "skipped"]
    assert RUNS.count(job.id) == 1
    ended = _job(store, job.id)
    assert (ended.status, ended.attempts, ended.result) == ("done", 1, {"attempt": 1})


def test_an_unknown_kind_is_refused_when_started(store, queue):
    brand = make_brand(store)
    with pytest.raises(Exception, match="no job is called 'nope'"):
        jobs.start(store, brand.caller, "nope", {})


def _claimed_by_a_dead_worker(store: Store, job_id: str, attempts: int = 1) -> None:
    with store.unit() as session:
        session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status="running",
                claimed_by="gone:1:1",
                heartbeat_at=store.clock.now(),
                attempts=attempts,
            )
        )


def test_a_job_whose_worker_went_quiet_runs_again_and_only_then(store, queue, clock):
    brand = make_brand(store)
    job = jobs.start(store, brand.caller, "test_count", {})
    queue.flush()
    _claimed_by_a_dead_worker(store, job.id)
    clock.advance(timedelta(seconds=1))  # within the lease: left alone
    assert jobs.recover(store) == 0 and _job(store, job.id).status == "running"
    clock.advance(timedelta(seconds=2))
    queue.put_live(job.id, {"by": "gone:1:1", "at": store.clock.now().timestamp(), "done": 1,
                            "total": 9})  # fmt: skip
    assert jobs.recover(store) == 0  # its beats reach the queue's storage: it is alive
    queue.drop_live(job.id)
    assert jobs.recover(store) == 1
    assert _job(store, job.id).status == "queued" and queue.pending() == 1
    assert jobs.recover(store) == 0  # recovered once, by whichever process came first
    assert jobs.run_job(store, job.id) == "done"
    assert _job(store, job.id).attempts == 2


def test_a_job_that_kills_its_worker_each_time_fails_with_a_reason(store, queue, clock):
    brand = make_brand(store)
    job = jobs.start(store, brand.caller, "test_count", {})
    _claimed_by_a_dead_worker(store, job.id, attempts=2)  # the limit is 2 here
    clock.advance(timedelta(seconds=5))
    assert jobs.recover(store) == 1
    failed = _job(store, job.id)
    assert failed.status == "failed" and failed.finished_at is not None
    assert "its worker stopped during each of its 2 attempts" in failed.message


def test_a_job_the_queue_lost_is_put_back_on_it(store, queue, clock):
    brand = make_brand(store)
    job = jobs.start(store, brand.caller, "test_count", {})
    queue.flush()  # the message is gone (a Redis flushed, a worker killed as it took it)
    clock.advance(timedelta(seconds=11))
    assert jobs.recover(store) == 1 and queue.pending() == 1
    assert jobs.run_job(store, job.id) == "done"


def test_progress_is_read_from_the_queue_while_the_row_is_busy(store, queue):
    brand = make_brand(store)
    job = jobs.start(store, brand.caller, "test_progress", {})
    runner = threading.Thread(target=jobs.run_job, args=(store, job.id))
    runner.start()
    try:
        for _ in range(200):
            seen = jobs.get_job(store, brand.caller, job.id)
            if seen.done == 3:
                break
            HOLD.wait(0.02)
        assert (seen.status, seen.done, seen.total) == ("running", 3, 10)
    finally:
        HOLD.set()
        runner.join(10)
    assert jobs.get_job(store, brand.caller, job.id).status == "done"


def test_a_payout_batch_retried_after_it_committed_pays_nobody_twice(store, queue, clock):
    brand = make_brand(store)
    partner = add_partner(brand)
    convert(brand, amount="200.00", click_id=click(brand, partner))
    clock.advance(timedelta(days=31))
    lock_due(store, brand.caller, brand.program_id)
    approve(store, brand.caller, brand.program_id)
    job = jobs.start(store, brand.caller, "payout_batch", {"program_id": brand.program_id})
    assert jobs.run_job(store, job.id) == "done"
    first = _job(store, job.id).result
    assert first["batch_id"] and first["payouts"] == 1
    paid = partner_balances(store, brand.caller, brand.program_id)
    # the worker is killed after the batch committed, before it recorded the outcome
    _claimed_by_a_dead_worker(store, job.id)
    clock.advance(timedelta(seconds=5))
    assert jobs.recover(store) == 1
    assert jobs.run_job(store, job.id) == "done"
    again = _job(store, job.id)
    assert again.attempts == 2
    assert again.result == first  # the batch the first attempt paid, reported again
    assert partner_balances(store, brand.caller, brand.program_id) == paid


def test_other_stages_declare_periodic_tasks_in_one_line(tmp_path):
    store = Store(make_engine(f"sqlite:///{tmp_path}/empty.db"))
    ran = threading.Event()
    try:
        job_queue.register_periodic("test_tick", lambda s: s is store and ran.set(), every=0.1)
        job_queue.register_periodic(
            "test_nightly", lambda s: None, crontab=job_queue.crontab(minute="0", hour="2")
        )
        queue = job_queue.Queue("memory://", store, Settings(queue_url="memory://"))
        at_two = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
        names = {t.name for t in queue.huey.read_periodic(at_two)}
        assert "test_nightly" in names and "money_schedule" not in names
        queue.start_in_process(1)
        try:
            assert ran.wait(10), "the periodic task did not run"
        finally:
            queue.stop_in_process()
        with pytest.raises(ValueError, match="either crontab or every"):
            job_queue.register_periodic("test_both", lambda s: None)
        # after a commit, a stage kicks its task rather than waiting for the next pass
        kicked = job_queue.for_store(store, Settings(queue_url="memory://"), bind=True)
        assert job_queue.kick(store, "test_tick") and kicked.pending() == 1
        assert not job_queue.kick(store, "no_such_task")
    finally:
        job_queue.forget("test_tick")
        job_queue.forget("test_nightly")
        store.dispose()


def test_the_queue_sits_beside_the_database_unless_configured(tmp_path):
    sqlite = Store(make_engine(f"sqlite:///{tmp_path}/a.db"))
    postgres = Store(make_engine("postgresql+psycopg://u:secret@db.example/accord"))
    settings = Settings(data_dir=tmp_path / "data")
    assert job_queue.queue_url(settings, sqlite) == f"sqlite:///{tmp_path}/a.db.queue.sqlite"
    beside = job_queue.queue_url(settings, postgres)
    assert beside.startswith(f"sqlite:///{tmp_path / 'data'}/queue-") and "secret" not in beside
    chosen = Settings(queue_url="redis://127.0.0.1:6379/3")
    assert job_queue.queue_url(chosen, postgres) == "redis://127.0.0.1:6379/3"
    with pytest.raises(ValueError, match="ACCORD_QUEUE_URL must be"):
        Settings(queue_url="amqp://guest@localhost")
