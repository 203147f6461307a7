"""The queue that carries background work to workers: Huey, on SQLite, Redis or PostgreSQL.

Huey moves task messages and runs them on worker threads; it does not acknowledge them (a
message taken by a worker that is then killed is gone). What must not be lost is therefore
kept in Accord's own `jobs` table (see accord.jobs.service): the queue carries a job's id,
and a periodic pass enqueues again what a dead worker held.

Tasks are declared in code with `task` (run when enqueued) and `periodic` (on a crontab, or
every N seconds). Each runs with the process's store as its first argument. The catalog of
every task a worker runs is `accord.jobs.tasks`: import it before starting a consumer.

One `Queue` per process: `accord serve` runs its consumer on threads of its own process
(`start_in_process`), `accord worker` in the foreground (`run_worker`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huey import MemoryHuey, PostgresHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer
from huey.storage import SqliteStorage
from sqlalchemy.engine import make_url

from accord.settings import Settings, get_settings
from accord.store.engine import Store

log = logging.getLogger("accord.jobs")

__all__ = ["Queue", "crontab", "kick", "periodic", "register_periodic", "task"]

#: The queue's name inside its storage (Redis keys and PostgreSQL rows carry it).
QUEUE_NAME = "accord"
#: Seconds an idle worker thread waits at most before it looks at a polled queue again.
MAX_POLL = 0.5


@dataclass(frozen=True)
class TaskSpec:
    name: str
    function: Callable[..., Any]  # function(store, *args)
    #: Huey crontab test (minute resolution), for a periodic task.
    crontab: Callable | None = None
    #: Seconds between runs, or the name of the Settings field that says it.
    every: float | str | None = None

    def interval(self, settings: Settings) -> float | None:
        if isinstance(self.every, str):
            return float(getattr(settings, self.every))
        return self.every


_tasks: dict[str, TaskSpec] = {}
_registry_lock = threading.Lock()


def task(name: str) -> Callable[[Callable], Callable]:
    """Declare a task run when enqueued (`Queue.enqueue(name, *args)`): `function(store, *args)`.
    Its arguments travel through the queue, so keep them small (ids)."""

    def decorator(function: Callable) -> Callable:
        _register(TaskSpec(name, function))
        return function

    return decorator


def periodic(
    name: str, *, crontab: Callable | None = None, every: float | str | None = None
) -> Callable[[Callable], Callable]:
    """Declare a periodic task `function(store)`: on a Huey `crontab(...)` (minute
    resolution), or `every` N seconds (a number, or the name of a Settings field).

    Every worker process schedules it, so it may run on several machines at once: make it
    safe to run concurrently and idempotent (a pass that finds nothing to do is cheap).
    """
    if (crontab is None) == (every is None):
        raise ValueError(f"periodic task {name}: give either crontab or every")

    def decorator(function: Callable) -> Callable:
        _register(TaskSpec(name, function, crontab=crontab, every=every))
        return function

    return decorator


def register_periodic(
    name: str,
    function: Callable,
    *,
    crontab: Callable | None = None,
    every: float | str | None = None,
) -> None:
    """`periodic` as a call: `register_periodic("dispatch_events", dispatch, every=5)`."""
    periodic(name, crontab=crontab, every=every)(function)


def _register(spec: TaskSpec) -> None:
    with _registry_lock:
        known = _tasks.get(spec.name)
        if known is not None and known.function is not spec.function:
            raise ValueError(f"two tasks are named {spec.name}")
        _tasks[spec.name] = spec
        queue = _current
    if queue is not None:
        queue._declare(spec)


def forget(name: str) -> None:
    """Undeclare a task (for tests): queues made from now on do not know it."""
    with _registry_lock:
        _tasks.pop(name, None)


def declared() -> dict[str, TaskSpec]:
    with _registry_lock:
        return dict(_tasks)


def queue_url(settings: Settings, store: Store) -> str:
    """The configured queue, or a SQLite file next to the database (one per database)."""
    if settings.queue_url:
        return settings.queue_url
    url = store.engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:" or database.startswith("file:"):
            return "memory://"
        return f"sqlite:///{os.path.abspath(database)}.queue.sqlite"
    name = url.render_as_string(hide_password=True)
    digest = hashlib.sha256(name.encode()).hexdigest()[:16]
    return f"sqlite:///{(settings.data_dir / f'queue-{digest}.sqlite').absolute()}"


class QueueFileStorage(SqliteStorage):
    """Huey's SQLite storage in WAL mode with synchronous=NORMAL, as the store itself runs:
    a crashed process loses nothing, a power cut at most the last messages, which the jobs
    table recovers (Huey's default syncs every message to disk, five times slower here)."""

    def _create_connection(self):
        connection = super()._create_connection()
        connection.execute("pragma synchronous=1")
        return connection


def make_huey(url: str) -> Huey:
    """A Huey instance on the storage `url` names. Results are not kept: jobs keep theirs."""
    options: dict[str, Any] = {"results": False, "utc": True}
    if url.startswith("memory://"):
        return MemoryHuey(QUEUE_NAME, **options)
    if url.startswith("sqlite://"):
        path = Path(url.split("///", 1)[-1])
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(
            QUEUE_NAME,
            filename=str(path),
            timeout=30,
            storage_class=QueueFileStorage,
            **options,
        )
    if url.startswith(("redis://", "rediss://")):
        return RedisHuey(QUEUE_NAME, url=url, **options)
    if url.startswith(("postgresql", "postgres://")):
        parsed = make_url(url)
        dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresHuey(QUEUE_NAME, dsn=dsn, table_prefix="accord_queue", **options)
    raise ValueError(f"queue URL {url!r}: use sqlite:///, redis://, postgresql:// or memory://")


def worker_name() -> str:
    """Who runs a job: host, process and thread, as the job's lease names it."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Queue:
    """The process's queue: a Huey instance, the store its tasks run with, the consumer."""

    def __init__(self, url: str, store: Store, settings: Settings) -> None:
        self.url = url
        self.store = store
        self.settings = settings
        self.huey = make_huey(url)
        self._wrappers: dict[str, Any] = {}
        self._consumer: Consumer | None = None
        self._ticker: Ticker | None = None
        self._users = 0
        self._lock = threading.Lock()
        for spec in declared().values():
            self._declare(spec)

    def _declare(self, spec: TaskSpec) -> None:
        with self._lock:
            if spec.name in self._wrappers:
                return

            def run(*args: Any) -> None:
                spec.function(self.store, *args)

            run.__name__ = spec.name
            if spec.crontab is not None and spec.name not in self.settings.queue_periodic_off:
                wrapper = self.huey.periodic_task(spec.crontab, name=spec.name)(run)
            else:
                wrapper = self.huey.task(name=spec.name)(run)
            self._wrappers[spec.name] = wrapper

    def enqueue(self, name: str, *args: Any) -> None:
        """Put a declared task on the queue with its arguments."""
        wrapper = self._wrappers.get(name)
        if wrapper is None:
            raise KeyError(f"no task is named {name}; declare it with accord.jobs.queue.task")
        if hasattr(wrapper, "s"):
            self.huey.enqueue(wrapper.s(*args))
        else:  # pragma: no cover - every declared task has .s
            wrapper(*args)

    # -- progress and liveness that must not wait for the database's writer lock --

    def put_live(self, key: str, value: Any) -> None:
        self.huey.put(f"live:{key}", value)

    def peek_live(self, key: str) -> Any:
        return self.huey.get(f"live:{key}", peek=True)

    def drop_live(self, key: str) -> None:
        self.huey.delete(f"live:{key}")

    def pending(self) -> int:
        """Messages waiting in the queue."""
        return self.huey.pending_count()

    def flush(self) -> None:
        """Drop every message and value of this queue (tests and benchmarks only)."""
        self.huey.storage.flush_all()

    # -- consumers --

    def consumer(self, workers: int, *, in_process: bool, periodic: bool = True) -> Consumer:
        kind = InProcessConsumer if in_process else Consumer
        return kind(
            self.huey,
            workers=workers,
            worker_type="thread",
            periodic=periodic,
            initial_delay=0.02,
            backoff=1.5,
            max_delay=MAX_POLL,
            check_worker_health=True,
        )

    def start_in_process(self, workers: int, *, periodic: bool = True) -> None:
        """Run workers (and, with `periodic`, the periodic tasks) on threads of this process
        until `stop_in_process`."""
        with self._lock:
            self._users += 1
            if self._consumer is not None:
                return
            self._consumer = self.consumer(workers, in_process=True, periodic=periodic)
            self._ticker = Ticker(self) if periodic else None
        self._consumer.start()
        if self._ticker is not None:
            self._ticker.start()
        log.info("job queue: %d worker threads in this process on %s", workers, self.safe_url)

    def stop_in_process(self, *, graceful: bool = False) -> None:
        with self._lock:
            self._users = max(0, self._users - 1)
            if self._users or self._consumer is None:
                return
            consumer, ticker = self._consumer, self._ticker
            self._consumer = self._ticker = None
        if ticker is not None:
            ticker.stop()
        # a job still running is left to its lease: another process takes it over
        consumer.stop(graceful=graceful)

    def run_worker(self, workers: int) -> None:
        """`accord worker`: run a consumer in the foreground until SIGINT or SIGTERM."""
        ticker = Ticker(self)
        ticker.start()
        try:
            self.consumer(workers, in_process=False).run()
        finally:
            ticker.stop()

    @property
    def safe_url(self) -> str:
        if self.url.startswith(("sqlite", "memory")):
            return self.url
        return make_url(self.url).render_as_string(hide_password=True)


class InProcessConsumer(Consumer):
    """A consumer inside `accord serve`: the HTTP server owns the process's signals."""

    def _set_signal_handlers(self) -> None:
        pass


class Ticker:
    """Enqueues the tasks declared `every` N seconds (Huey's own schedule has minutes)."""

    def __init__(self, queue: Queue) -> None:
        self.queue = queue
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="accord-queue-ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        due: dict[str, float] = {}
        while not self._stop.is_set():
            now = time.monotonic()
            for spec in declared().values():
                interval = spec.interval(self.queue.settings)
                if interval is None or spec.name in self.queue.settings.queue_periodic_off:
                    continue
                if spec.name not in self.queue._wrappers:
                    self.queue._declare(spec)
                if due.setdefault(spec.name, now + interval) <= now:
                    due[spec.name] = now + interval
                    try:
                        self.queue.enqueue(spec.name)
                    except Exception:  # the queue's storage is down: try again next time
                        log.exception("periodic task %s could not be enqueued", spec.name)
            wait = min(due.values(), default=now + 1.0) - time.monotonic()
            self._stop.wait(min(max(wait, 0.05), 1.0))


_current: Queue | None = None
_current_lock = threading.Lock()


def for_store(store: Store, settings: Settings | None = None, *, bind: bool = False) -> Queue:
    """This process's queue for `store`; with `bind`, its tasks run with this store.

    Without `settings`, the queue this process already runs for the same database is kept
    (it was opened with the settings of whoever started it: the server, a worker)."""
    global _current
    with _current_lock:
        if (
            settings is None
            and _current is not None
            and not bind
            and _current.store.engine.url == store.engine.url
        ):
            return _current
    settings = settings or get_settings()
    url = queue_url(settings, store)
    with _current_lock:
        if _current is None or _current.url != url:
            if _current is not None and _current._consumer is not None:
                _current.stop_in_process()
            _current = Queue(url, store, settings)
        elif bind:
            _current.store = store
            _current.settings = settings
        return _current


def kick(store: Store, name: str, *args: Any) -> bool:
    """Enqueue the declared task `name` now, e.g. right after a commit that gave it work (the
    periodic pass of the same task catches up whatever a failed kick missed). Never raises:
    whether it was enqueued."""
    try:
        for_store(store).enqueue(name, *args)
        return True
    except Exception:
        log.warning("task %s could not be enqueued; its next periodic pass will run", name,
                    exc_info=True)  # fmt: skip
        return False


def current() -> Queue | None:
    return _current
