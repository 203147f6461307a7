"""The job queue: jobs per second through Huey on each storage, against baselines.

For each queue storage (a SQLite file, Redis, PostgreSQL), in this process:

- **huey**: N trivial Huey tasks (no database) are enqueued, then drained by a consumer with
  W worker threads: what the queue itself carries.
- **accord jobs**: N trivial Accord jobs (kind `sleep` with no sleep) are started with
  `jobs.start` (a row each, then the id on the queue), then drained by the same consumer:
  each is claimed with a conditional UPDATE, runs with its heartbeat thread, and finishes
  with a second UPDATE. The store is a SQLite file beside a SQLite queue (the embedded
  default) and a temporary PostgreSQL database beside Redis and PostgreSQL queues (how
  production runs).

Baselines measured in the same run: the work function called directly (what a job costs
with no bookkeeping at all), and, per store, the same jobs started and run one after the
other in this process without a queue (`jobs.start` + `jobs.run_job`: the rows' cost alone).

    python -m benchmarks --only jobs [--jobs N] [--queue-workers W] [--no-postgres]
    python -m benchmarks.jobs [--jobs N] [--queue-workers W] [--json]

Redis: database 12 of ACCORD_BENCH_REDIS_URL (default redis://127.0.0.1:6379/12); only this
queue's keys are removed. Prints figures and ratios; never asserts on a time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import func, select

from accord.jobs import queue as job_queue
from accord.jobs import service as jobs
from accord.jobs import work
from accord.jobs.tables import Job
from accord.jobs.tasks import declared
from accord.settings import Settings
from accord.store.engine import Store, make_engine
from accord.store.migrate import upgrade
from accord.tenancy.model import OrganizationKind
from accord.tenancy.service import authenticate, create_organization
from benchmarks.processes import log
from benchmarks.stores import DEFAULT_POSTGRES, postgres_unreachable, temp_postgres

DEFAULT_JOBS = 500
REDIS_URL = os.environ.get("ACCORD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
TRIVIAL = {"seconds": 0, "steps": 1}


def _settings(queue_url: str) -> Settings:
    # no periodic task runs during the measurement
    return Settings(
        queue_url=queue_url,
        queue_periodic_off=["deliver_postbacks", "money_schedule", "recover_jobs"],
    )


def direct_baseline(count: int) -> dict[str, Any]:
    """The work function called `count` times in a loop."""
    context = work.Context("job_direct", 1, None, None, lambda done, total: None)
    started = time.perf_counter()
    for _ in range(count):
        work.KINDS["sleep"](None, None, TRIVIAL, context)
    seconds = time.perf_counter() - started
    return {"count": count, "seconds": seconds, "per_s": count / seconds}


def huey_only(queue_url: str, count: int, workers: int) -> dict[str, Any]:
    """N no-op Huey tasks enqueued, then drained by `workers` threads."""
    huey = job_queue.make_huey(queue_url)
    huey.storage.flush_all()
    done = []
    lock = threading.Lock()

    @huey.task(name="bench_noop")
    def noop(index: int) -> None:
        with lock:
            done.append(index)

    started = time.perf_counter()
    for index in range(count):
        noop(index)
    enqueued = time.perf_counter() - started
    consumer = job_queue.InProcessConsumer(
        huey,
        workers=workers,
        worker_type="thread",
        periodic=False,
        initial_delay=0.02,
        backoff=1.5,
        max_delay=job_queue.MAX_POLL,
    )
    began = time.perf_counter()
    consumer.start()
    try:
        while len(done) < count:
            time.sleep(0.005)
        drained = time.perf_counter() - began
    finally:
        consumer.stop(graceful=True)
        huey.storage.flush_all()
        huey.storage.close()
    return {
        "count": count,
        "enqueue_per_s": count / enqueued,
        "drain_per_s": count / drained,
        "per_s": count / (enqueued + drained),
    }


def _brand(store: Store):
    organization = create_organization(store, OrganizationKind.BRAND, "Bench brand")
    return authenticate(store, organization.api_key)


@contextlib.contextmanager
def _unlimited() -> Iterator[None]:
    """One brand starts every job: lift the per-brand limit for the measurement."""
    limit = jobs.PER_ORGANIZATION
    jobs.PER_ORGANIZATION = 10**9
    try:
        yield
    finally:
        jobs.PER_ORGANIZATION = limit


def _done(store: Store, caller) -> int:
    with store.read() as session:
        return session.scalar(
            select(func.count()).where(
                Job.organization_id == caller.organization_id, Job.status == "done"
            )
        )


def inline_baseline(store: Store, count: int) -> dict[str, Any]:
    """The same jobs started and run one by one in this process, without a queue."""
    caller = _brand(store)
    queue = job_queue.for_store(store, _settings("memory://"), bind=True)
    with _unlimited():
        started = time.perf_counter()
        for _ in range(count):
            job = jobs.start(store, caller, "sleep", TRIVIAL)
            jobs.run_job(store, job.id)
        seconds = time.perf_counter() - started
    queue.flush()
    assert _done(store, caller) == count
    return {"count": count, "seconds": seconds, "per_s": count / seconds}


def accord_jobs(store: Store, queue_url: str, count: int, workers: int) -> dict[str, Any]:
    """N jobs started through `jobs.start`, then drained by a consumer of `workers` threads."""
    caller = _brand(store)
    queue = job_queue.for_store(store, _settings(queue_url), bind=True)
    queue.flush()
    with _unlimited():
        started = time.perf_counter()
        for _ in range(count):
            jobs.start(store, caller, "sleep", TRIVIAL)
        enqueued = time.perf_counter() - started
    began = time.perf_counter()
    queue.start_in_process(workers, periodic=False)
    try:
        while _done(store, caller) < count:
            time.sleep(0.02)
        drained = time.perf_counter() - began
    finally:
        queue.stop_in_process(graceful=True)
        queue.flush()
    return {
        "count": count,
        "start_per_s": count / enqueued,
        "drain_per_s": count / drained,
        "per_s": count / (enqueued + drained),
    }


def _store(url: str) -> Store:
    engine = make_engine(url)
    upgrade(engine)
    return Store(engine)


def redis_unreachable(url: str) -> str | None:
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return None
    except redis.RedisError as error:
        return str(error) or type(error).__name__


def run_jobs(
    count: int = DEFAULT_JOBS, workers: int = 2, postgres: str | None = DEFAULT_POSTGRES
) -> dict[str, Any]:
    """Every figure, as one dict."""
    data: dict[str, Any] = {"jobs": count, "workers": workers, "backends": {}, "skipped": {}}
    data["tasks"] = sorted(declared())
    log(f"jobs: direct calls of the work function ({count * 20:,})")
    data["direct"] = direct_baseline(count * 20)
    pg_reason = postgres_unreachable(postgres) if postgres else "--no-postgres"
    redis_reason = redis_unreachable(REDIS_URL)
    with tempfile.TemporaryDirectory(prefix="accord-bench-jobs-") as temp:
        work_dir = Path(temp)
        sqlite_store = _store(f"sqlite:///{work_dir}/accord.db")
        try:
            log("jobs: SQLite store, no queue (baseline)")
            data["inline_sqlite"] = inline_baseline(sqlite_store, count)
            queue_url = f"sqlite:///{work_dir}/queue.sqlite"
            log("jobs: SQLite queue")
            data["backends"]["sqlite"] = {
                "store": "sqlite",
                "huey": huey_only(f"sqlite:///{work_dir}/huey.sqlite", count, workers),
                "accord": accord_jobs(sqlite_store, queue_url, count, workers),
            }
        finally:
            sqlite_store.dispose()
        if pg_reason is not None:
            data["skipped"]["postgresql"] = pg_reason
            if redis_reason is None:
                log("jobs: Redis queue (SQLite store: PostgreSQL is skipped)")
                store = _store(f"sqlite:///{work_dir}/accord2.db")
                try:
                    data["backends"]["redis"] = _redis(store, count, workers, "sqlite")
                finally:
                    store.dispose()
            else:
                data["skipped"]["redis"] = redis_reason
            return data
        with temp_postgres(postgres) as store_url, temp_postgres(postgres) as queue_db:
            store = _store(store_url)
            try:
                log("jobs: PostgreSQL store, no queue (baseline)")
                data["inline_postgresql"] = inline_baseline(store, count)
                if redis_reason is None:
                    log("jobs: Redis queue")
                    data["backends"]["redis"] = _redis(store, count, workers, "postgresql")
                else:
                    data["skipped"]["redis"] = redis_reason
                log("jobs: PostgreSQL queue")
                data["backends"]["postgresql"] = {
                    "store": "postgresql",
                    "huey": huey_only(queue_db, count, workers),
                    "accord": accord_jobs(store, queue_db, count, workers),
                }
            finally:
                store.dispose()
    return data


def _redis(store: Store, count: int, workers: int, store_kind: str) -> dict[str, Any]:
    return {
        "store": store_kind,
        "huey": huey_only(REDIS_URL, count, workers),
        "accord": accord_jobs(store, REDIS_URL, count, workers),
    }


def render(data: dict[str, Any]) -> str:
    """The figures as text."""
    direct = data["direct"]["per_s"]
    lines = [
        f"Job queue: {data['jobs']:,} trivial jobs per run, {data['workers']} worker threads",
        "",
        f"{'run':<44}{'per s':>10}{'vs baseline':>14}",
        f"{'baseline: the work function, called':<44}{direct:>10,.0f}{'':>14}",
    ]
    for store in ("sqlite", "postgresql"):
        inline = data.get(f"inline_{store}")
        if inline:
            lines.append(
                f"{f'baseline: {store} store, start + run inline':<44}{inline['per_s']:>10,.0f}"
                f"{inline['per_s'] / direct:>13.2%}"
            )
    for name, figures in data["backends"].items():
        huey, accord = figures["huey"], figures["accord"]
        start_label = f"  accord jobs ({figures['store']} store): start"
        inline = data.get(f"inline_{figures['store']}", {}).get("per_s")
        lines += [
            "",
            f"{name} queue",
            f"{'  huey: enqueue':<44}{huey['enqueue_per_s']:>10,.0f}",
            f"{'  huey: drain':<44}{huey['drain_per_s']:>10,.0f}",
            f"{'  huey: enqueue + drain':<44}{huey['per_s']:>10,.0f}"
            f"{huey['per_s'] / direct:>13.2%}",
            f"{start_label:<44}{accord['start_per_s']:>10,.0f}",
            f"{'  accord jobs: drain (claim, run, finish)':<44}{accord['drain_per_s']:>10,.0f}",
            f"{'  accord jobs: start + drain':<44}{accord['per_s']:>10,.0f}"
            + (f"{accord['per_s'] / inline:>13.2%}" if inline else ""),
        ]
    for name, reason in data["skipped"].items():
        lines.append(f"{name}: skipped ({reason})")
    lines += [
        "",
        "vs baseline: huey against the direct call; accord jobs against start + run inline on",
        "the same store (what the queue adds to the rows' own cost).",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.jobs", description=__doc__)
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help="Jobs per run (500).")
    parser.add_argument("--queue-workers", type=int, default=2, help="Worker threads (2).")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    data = run_jobs(args.jobs, args.queue_workers, None if args.no_postgres else args.postgres)
    print(json.dumps(data, indent=2) if args.json else render(data))
    return 0


if __name__ == "__main__":
    sys.exit(main())
