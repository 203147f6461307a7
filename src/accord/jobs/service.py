"""Run long work in the background and report how far it got.

A job is a row: the page that started it polls it and shows a progress bar, and its result
(or why it failed) stays there afterwards. Work runs on a small thread pool inside the
server process; progress is written at most a few times a second so that it costs little.
A job whose process stopped (a restart) stops being updated: it shows as stalled after
`STALLED` without news, and the person runs it again (imports are idempotent per row).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select, update

from accord.errors import AccordError, Conflict, NotFound
from accord.ids import new_id
from accord.jobs.tables import Job
from accord.store.engine import Store
from accord.tenancy.model import Caller

log = logging.getLogger("accord.jobs")

Progress = Callable[[int, int | None], None]
Work = Callable[[Progress], dict]

#: How often progress is written at most, in seconds.
WRITE_EVERY = 0.25
#: A running job with no news this long, or a queued one not started, has stalled.
STALLED = timedelta(minutes=5)
STALLED_QUEUED = timedelta(hours=1)
#: Jobs one organization may have waiting or running at once: the pool is shared.
PER_ORGANIZATION = 3
_pool: ThreadPoolExecutor | None = None
_live: dict[str, tuple[int, int | None]] = {}
_live_lock = threading.Lock()
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="accord-job")
        return _pool


def start(
    store: Store,
    caller: Caller,
    kind: str,
    work: Work,
    *,
    program_id: str | None = None,
    user_id: str | None = None,
) -> Job:
    """Record a running job and start `work(progress)` in the background; its returned dict
    becomes the job's result."""
    now = store.clock.now()
    with store.read() as session:
        busy = [
            j
            for j in session.scalars(
                select(Job).where(
                    Job.organization_id == caller.organization_id,
                    Job.status.in_(("queued", "running")),
                )
            )
            if not stalled(store, j)
        ]
    if len(busy) >= PER_ORGANIZATION:
        raise Conflict(
            f"{len(busy)} of your jobs are still waiting or running; "
            "start this one when one of them has finished"
        )
    job = Job(
        id=new_id("job"),
        organization_id=caller.organization_id,
        user_id=user_id,
        kind=kind,
        program_id=program_id,
        status="queued",
        done=0,
        total=None,
        created_at=now,
        updated_at=now,
    )
    with store.unit() as session:
        session.add(job)
    # the job's changes are the starter's in the audit log: it runs in a copy of its context
    _executor().submit(contextvars.copy_context().run, _run, store, job.id, work)
    return job


def _run(store: Store, job_id: str, work: Work) -> None:
    last = [0.0]
    # Work may report progress from inside its own transaction (a payout batch is one), and
    # SQLite has one writer at a time: there progress stays in this process's memory, which
    # the page reads; PostgreSQL also gets it written, for pages served by other processes.
    shared = store.engine.dialect.name != "sqlite"

    def progress(done: int, total: int | None) -> None:
        with _live_lock:
            _live[job_id] = (done, total)
        moment = time.monotonic()
        if not shared or (moment - last[0] < WRITE_EVERY and (total is None or done < total)):
            return
        last[0] = moment
        _write(store, job_id, done=done, total=total, updated_at=store.clock.now())

    try:
        _write(store, job_id, status="running", updated_at=store.clock.now())
        result = work(progress)
    except AccordError as error:
        _finish(store, job_id, "failed", message=error.message)
    except Exception:  # the job must end, whatever broke
        log.exception("job %s failed", job_id)
        _finish(store, job_id, "failed", message="an internal error stopped it; see the log")
    else:
        _finish(store, job_id, "done", result=result)


def _write(store: Store, job_id: str, **values) -> None:
    with store.unit() as session:
        session.execute(update(Job).where(Job.id == job_id).values(**values))


def _finish(store: Store, job_id: str, status: str, **values) -> None:
    now = store.clock.now()
    with _live_lock:
        done, total = _live.pop(job_id, (None, None))
    if done is not None:
        values.update(done=done, total=total)
    try:
        _write(store, job_id, status=status, updated_at=now, finished_at=now, **values)
    except Exception:  # the outcome could not be stored: say so where operators look
        log.exception("job %s ended %s but that could not be recorded", job_id, status)


def get_job(store: Store, caller: Caller, job_id: str) -> Job:
    """The caller's job, with the latest progress this process has heard of."""
    with store.read() as session:
        job = session.scalar(
            select(Job).where(Job.id == job_id, Job.organization_id == caller.organization_id)
        )
    if job is None:
        raise NotFound("job", job_id, field="job_id")
    with _live_lock:
        live = _live.get(job_id)
    if live is not None and job.status in ("queued", "running"):
        job.done, job.total = live
        job.updated_at = store.clock.now()
    return job


def recent_jobs(store: Store, caller: Caller, limit: int = 10) -> list[Job]:
    with store.read() as session:
        return list(
            session.scalars(
                select(Job)
                .where(Job.organization_id == caller.organization_id)
                .order_by(Job.created_at.desc(), Job.id.desc())
                .limit(limit)
            )
        )


def stalled(store: Store, job: Job) -> bool:
    """No news for too long: the process that had it has probably stopped."""
    quiet = store.clock.now() - job.updated_at
    if job.status == "queued":
        return quiet > STALLED_QUEUED
    return job.status == "running" and quiet > STALLED
