"""Run long work in the background, on the job queue, and report how far it got.

A job is a row that says everything needed to run it: its kind (a function registered in
accord.jobs.work), its arguments (JSON, plus a large payload such as an import's CSV text),
and whom it runs as. `start` writes the row and puts the job's id on the queue; a worker
(`accord worker`, or threads of `accord serve`) claims the row with a conditional UPDATE,
runs the work, and records the result (or why it failed) in the row. The page that started
it polls the row and shows a progress bar.

The queue does not acknowledge messages, so the row also carries a lease: the worker that
claimed it (`claimed_by`) and when that worker last said it was alive (`heartbeat_at`, and
the same news in the queue's own storage, which a payout batch holding SQLite's writer lock
does not block). A periodic pass (`recover`) puts back on the queue a job whose worker went
quiet for longer than the lease (killed, crashed, its machine gone) and a job the queue lost
before any worker took it; after `job_max_attempts` starts it fails with a clear message.
Work functions are idempotent, so a retried job changes nothing twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update

from accord.audit.context import Actor, acting, current
from accord.errors import AccordError, Conflict, InvalidInput, NotFound, Text
from accord.ids import new_id
from accord.jobs import queue as job_queue
from accord.jobs import work
from accord.jobs.tables import Job
from accord.settings import Settings, get_settings
from accord.store.engine import Store
from accord.tenancy.model import Caller, OrganizationKind

log = logging.getLogger("accord.jobs")

Progress = Callable[[int, int | None], None]

#: How often progress is written at most, in seconds.
WRITE_EVERY = 0.25
#: A running job with no news this long, or a queued one not started, has stalled.
STALLED = timedelta(minutes=5)
STALLED_QUEUED = timedelta(hours=1)
#: Jobs one organization may have waiting or running at once: the workers are shared.
PER_ORGANIZATION = 3
#: The queue task that runs one job.
RUN_JOB = "run_job"


def start(
    store: Store,
    caller: Caller,
    kind: str,
    args: dict[str, Any] | None = None,
    *,
    payload: str | None = None,
    program_id: str | None = None,
    user_id: str | None = None,
) -> Job:
    """Record a job of `kind` with its JSON `args` (and `payload`) and put it on the queue;
    a worker runs `work.KINDS[kind]` and its returned dict becomes the job's result."""
    if kind not in work.KINDS:
        raise InvalidInput(
            "kind",
            Text(
                "no job is called %(kind)s; use one of %(kinds)s",
                kind=repr(kind),
                kinds=str(sorted(work.KINDS)),
            ),
        )
    now = store.clock.now()
    with store.read() as session:
        busy = session.scalar(
            select(func.count()).where(
                Job.organization_id == caller.organization_id,
                or_(  # not stalled (see `stalled`)
                    and_(Job.status == "queued", Job.updated_at >= now - STALLED_QUEUED),
                    and_(Job.status == "running", Job.updated_at >= now - STALLED),
                ),
            )
        )
    if busy >= PER_ORGANIZATION:
        raise Conflict(
            Text(
                "%(busy)s of your jobs are still waiting or running; "
                "start this one when one of them has finished",
                busy=busy,
            )
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
        args=dict(args or {}),
        caller=_caller_record(caller, current()),
        payload=payload,
        attempts=0,
    )
    with store.unit() as session:
        session.add(job)
    _enqueue(store, job.id)
    return job


def rewrite_results(
    store: Store, organization_id: str, kind: str, rewrite: Callable[[dict], dict | None]
) -> int:
    """Give each finished job of a kind of the organization's result to `rewrite`, and keep
    what it returns instead (None: unchanged). A stage erasing a person's data uses it to
    reach what its jobs reported. Returns how many results changed."""
    changed = 0
    with store.unit() as session:
        for job in session.scalars(
            select(Job).where(
                Job.organization_id == organization_id,
                Job.kind == kind,
                Job.result.is_not(None),
            )
        ):
            new = rewrite(job.result)
            if new is not None and new != job.result:
                job.result = new
                changed += 1
    return changed


def _enqueue(store: Store, job_id: str) -> None:
    try:
        job_queue.for_store(store).enqueue(RUN_JOB, job_id)
    except Exception:  # the row is kept: the next recovery pass enqueues it again
        log.exception("job %s could not be put on the queue; it will be retried", job_id)


def _caller_record(caller: Caller, actor: Actor) -> dict[str, Any]:
    return {
        "organization_id": caller.organization_id,
        "kind": caller.kind.value,
        "partner_id": caller.partner_id,
        "scopes": sorted(caller.scopes),
        "role": caller.role,
        "key_id": caller.key_id,
        "actor": {
            "kind": actor.kind,
            "id": actor.id,
            "label": actor.label,
            "organization_id": actor.organization_id,
            "address": actor.address,
        },
    }


def _caller_of(record: dict[str, Any]) -> tuple[Caller, Actor]:
    caller = Caller(
        organization_id=record["organization_id"],
        kind=OrganizationKind(record["kind"]),
        partner_id=record.get("partner_id"),
        scopes=frozenset(record.get("scopes") or ()),
        role=record.get("role"),
        key_id=record.get("key_id"),
    )
    return caller, Actor(**record.get("actor", {"kind": "system"}))


@job_queue.task(RUN_JOB)
def run_job(store: Store, job_id: str, *, settings: Settings | None = None) -> str:
    """Claim the job and run it; what happened: done, failed, or skipped (another worker has
    it, or it has ended)."""
    settings = settings or _settings_for(store)
    me = job_queue.worker_name()
    now = store.clock.now()
    with store.unit() as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "queued")
            .values(
                status="running",
                claimed_by=me,
                heartbeat_at=now,
                attempts=Job.attempts + 1,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        job = session.get(Job, job_id) if claimed else None
    if job is None:
        return "skipped"
    runner = _Runner(store, settings, job)
    return runner.run()


class _Runner:
    """One claimed job on one worker thread: heartbeats, progress, the outcome."""

    def __init__(self, store: Store, settings: Settings, job: Job) -> None:
        self.store = store
        self.settings = settings
        self.job = job
        self.me = job.claimed_by
        self.queue = job_queue.for_store(store)
        self.shared = store.dialect != "sqlite"
        self.done: int = 0
        self.total: int | None = None
        self._last_write = 0.0
        self._stop = threading.Event()

    def run(self) -> str:
        job = self.job
        function = work.KINDS.get(job.kind)
        beat = threading.Thread(target=self._beat, name=f"beat-{job.id}", daemon=True)
        self._live()
        beat.start()
        try:
            if function is None:
                raise InvalidInput(
                    "kind", Text("this worker knows no job called %(kind)s", kind=repr(job.kind))
                )
            caller, actor = _caller_of(job.caller or {})
            with acting(actor):
                result = function(
                    self.store,
                    caller,
                    dict(job.args or {}),
                    work.Context(job.id, job.attempts, job.created_at, job.payload, self.progress),
                )
        except AccordError as error:
            return self._finish("failed", message=error.message)
        except Exception:  # the job must end, whatever broke
            log.exception("job %s failed", job.id)
            return self._finish("failed", message="an internal error stopped it; see the log")
        finally:
            self._stop.set()
            beat.join(5)
        return self._finish("done", result=result)

    def progress(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        moment = time.monotonic()
        if moment - self._last_write < WRITE_EVERY and (total is None or done < total):
            return
        self._last_write = moment
        self._live()
        if self.shared:  # PostgreSQL: the row too, for pages of any process
            self._write(done=done, total=total, updated_at=self.store.clock.now())

    def _live(self) -> None:
        try:
            self.queue.put_live(
                self.job.id,
                {
                    "done": self.done,
                    "total": self.total,
                    "by": self.me,
                    "at": self.store.clock.now().timestamp(),
                },
            )
        except Exception:  # progress is news, not the work
            log.warning("job %s: progress could not be written", self.job.id, exc_info=True)

    def _beat(self) -> None:
        every = max(0.1, self.settings.job_lease_seconds / 4)
        while not self._stop.wait(every):
            self._live()
            if self.shared:
                try:
                    self._write(heartbeat_at=self.store.clock.now())
                except Exception:
                    log.warning("job %s: heartbeat not written", self.job.id, exc_info=True)

    def _write(self, **values: Any) -> int:
        with self.store.unit() as session:
            return session.execute(
                update(Job)
                .where(Job.id == self.job.id, Job.claimed_by == self.me, Job.status == "running")
                .values(**values)
                .execution_options(synchronize_session=False)
            ).rowcount

    def _finish(self, status: str, **values: Any) -> str:
        now = self.store.clock.now()
        if self.total is not None or self.done:
            values.update(done=self.done, total=self.total)
        try:
            written = self._write(
                status=status, updated_at=now, finished_at=now, payload=None, **values
            )
        except Exception:  # the outcome could not be stored: say so where operators look
            log.exception("job %s ended %s but that could not be recorded", self.job.id, status)
            return status
        if not written:
            log.warning("job %s ended %s here but another worker had taken it", self.job.id, status)
        try:
            self.queue.drop_live(self.job.id)
        except Exception:
            log.warning("job %s: its progress could not be dropped", self.job.id, exc_info=True)
        return status


def _settings_for(store: Store) -> Settings:
    queue = job_queue.current()
    return queue.settings if queue is not None else get_settings()


@job_queue.periodic("recover_jobs", every="job_recover_every")
def recover(store: Store, *, settings: Settings | None = None) -> int:
    """Put back on the queue the jobs whose worker went quiet for longer than the lease and
    those the queue lost before a worker took them; fail those out of attempts. Safe to run
    in several processes at once. Returns how many jobs it enqueued again or failed."""
    settings = settings or _settings_for(store)
    queue = job_queue.for_store(store, settings)
    now = store.clock.now()
    lease = timedelta(seconds=settings.job_lease_seconds)
    with store.read() as session:
        quiet = list(
            session.scalars(
                select(Job).where(
                    or_(
                        and_(Job.status == "running", Job.heartbeat_at < now - lease),
                        and_(Job.status == "queued", Job.updated_at < now - lease * 5),
                    )
                )
            )
        )
    changed = 0
    for job in quiet:
        if job.status == "running":
            live = _peek(queue, job.id)
            if (
                live
                and live.get("by") == job.claimed_by
                and now.timestamp() - live["at"] < (lease.total_seconds())
            ):
                continue  # its worker is alive (its beats go to the queue's storage)
            if job.attempts >= settings.job_max_attempts:
                values = {
                    "status": "failed",
                    "finished_at": now,
                    "payload": None,
                    "message": f"its worker stopped during each of its {job.attempts} attempts "
                    "(killed or out of memory?); see the workers' logs",
                }
            else:
                values = {"status": "queued", "claimed_by": None}
            condition = and_(
                Job.status == "running",
                Job.claimed_by == job.claimed_by,
                Job.heartbeat_at == job.heartbeat_at,
            )
        else:
            values, condition = {}, Job.status == "queued"
        with store.unit() as session:
            taken = session.execute(
                update(Job)
                .where(Job.id == job.id, condition)
                .values(updated_at=now, **values)
                .execution_options(synchronize_session=False)
            ).rowcount
        if not taken:
            continue  # it finished, or another process recovered it first
        changed += 1
        if values.get("status") == "failed":
            log.error("job %s failed after %d attempts", job.id, job.attempts)
            continue
        log.warning("job %s: its worker went quiet; it runs again", job.id)
        _enqueue(store, job.id)
    return changed


def _peek(queue: job_queue.Queue, job_id: str) -> dict | None:
    try:
        return queue.peek_live(job_id)
    except Exception:
        log.warning("job %s: live progress unreadable", job_id, exc_info=True)
        return None


def run_here(store: Store, job: Job, *, settings: Settings | None = None, poll: float = 0.2) -> Job:
    """Run a queued job in this process now (`accord schedule run`), and return it as it
    ended. When a worker took it first, wait for that worker to finish it."""
    run_job(store, job.id, settings=settings)
    while True:
        with store.read() as session:
            ended = session.get(Job, job.id)
        if ended is None or ended.status in ("done", "failed"):
            return ended
        time.sleep(poll)


def get_job(store: Store, caller: Caller, job_id: str) -> Job:
    """The caller's job, with the latest progress its worker has reported."""
    with store.read() as session:
        job = session.scalar(
            select(Job).where(Job.id == job_id, Job.organization_id == caller.organization_id)
        )
    if job is None:
        raise NotFound("job", job_id, field="job_id")
    if job.status == "running":
        live = _peek(job_queue.for_store(store), job.id)
        if live is not None and live.get("by") == job.claimed_by:
            job.done, job.total = live["done"], live["total"]
            job.updated_at = max(
                job.updated_at, datetime.fromtimestamp(live["at"], job.updated_at.tzinfo)
            )
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
    """No news for too long: no worker runs (or can reach) the queue."""
    quiet = store.clock.now() - job.updated_at
    if job.status == "queued":
        return quiet > STALLED_QUEUED
    return job.status == "running" and quiet > STALLED
