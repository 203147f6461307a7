"""The process's ASGI application: the tracking edge on `/c/` and `/i/`, the API elsewhere."""

from __future__ import annotations

import atexit
import fcntl
import hashlib
import json
import logging
import os
import subprocess
import threading
import time
from functools import partial
from pathlib import Path

from accord.api.app import create_api
from accord.edge import native
from accord.edge.click import CLICK_PREFIX, IMPRESSION_PREFIX, TrackingEdge
from accord.edge.recorder import EventRecorder, _decode
from accord.jobs import queue as job_queue
from accord.jobs import tasks as job_tasks
from accord.settings import Settings, get_settings
from accord.store.engine import Store, open_store
from accord.tracking.service import record_events

EDGE_PREFIXES = (CLICK_PREFIX, IMPRESSION_PREFIX)
#: Where `accord serve --tracking-port` keeps the state of its `accord edge` child, for the
#: API's /health (set for the API's workers, which start after the edge).
EDGE_STATE_ENV = "ACCORD_EDGE_STATE"
RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # seconds, one more each failed start
STEADY_SECONDS = 30.0  # an edge that ran this long starts again with the shortest delay


def store_identity(store: Store) -> str:
    """Which database this is, however its URL was written.

    A SQLite file is known by its real path (a relative path, a symlink or `..` name the same
    file); a PostgreSQL database by its cluster's system identifier and the database's own
    oid, as the server reports them (host names and ports that reach the same server agree).
    Where the server does not say, the URL normalized: host in lower case, default port,
    no user or password.
    """
    url = store.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite":
        database = url.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            return "sqlite:" + os.path.realpath(database)
        return "sqlite:" + database
    if backend == "postgresql":
        try:
            with store.engine.connect() as connection:
                system, oid = connection.exec_driver_sql(
                    "SELECT (SELECT system_identifier FROM pg_control_system()),"
                    " (SELECT oid FROM pg_database WHERE datname = current_database())"
                ).one()
            if system is not None and oid is not None:
                return f"postgresql:{system}:{oid}"
        except Exception:  # no right to read the control data: the URL will do
            log.debug("PostgreSQL did not name its cluster; naming the spool by URL")
    port = url.port or {"postgresql": 5432, "mysql": 3306}.get(backend, "")
    return f"{backend}://{(url.host or 'localhost').lower()}:{port}/{url.database}"


def _folder_name(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def spool_dir(settings: Settings, store: Store) -> Path:
    """The spool of this store: one folder per database, so events never cross stores,
    named by the store's identity (see `store_identity`), not by how it was written."""
    return settings.data_dir / "spool" / _folder_name(store_identity(store))


def adopt_old_spools(settings: Settings, store: Store, spool: Path) -> int:
    """Move into `spool` what earlier versions left in folders named after the URL as it
    was written; returns how many files moved.

    Such a folder's owner is told by its events: one whose first event's link is in this
    store belongs to it (link ids are unique across stores). Files a live process still
    writes (locked) stay where they are until it stops.
    """
    root = settings.data_dir / "spool"
    if not root.is_dir():
        return 0
    moved = 0
    for folder in root.iterdir():
        if folder == spool or not folder.is_dir() or (folder / IDENTITY_FILE).exists():
            continue
        segments = sorted(folder.glob("events-*.jsonl")) + sorted(folder.glob("edge-*"))
        if not segments or not _belongs_to(store, segments):
            continue
        spool.mkdir(parents=True, exist_ok=True)
        here = 0
        for path in segments:
            if path.suffix == ".new" or _in_use(path):
                continue
            try:
                os.rename(path, spool / path.name)
                here += 1
            except FileNotFoundError:
                continue  # stored meanwhile by the process that wrote it
        if here:
            log.warning("moved %d spooled event files from %s to %s", here, folder, spool)
        moved += here
    return moved


IDENTITY_FILE = "store"


def mark_spool(spool: Path, store: Store) -> None:
    """Write the store's identity into its spool folder (tells it from an earlier one)."""
    spool.mkdir(parents=True, exist_ok=True)
    marker = spool / IDENTITY_FILE
    if not marker.exists():
        marker.write_text(store_identity(store) + "\n")


def _belongs_to(store: Store, segments: list[Path]) -> bool:
    from accord.tracking.tables import Link

    for path in segments:
        try:
            with open(path, "rb") as handle:
                for line in handle:
                    event = _decode(line)
                    if event is not None:
                        with store.read() as session:
                            return session.get(Link, event[1].get("link_id")) is not None
        except FileNotFoundError:
            continue
    return False


def _in_use(path: Path) -> bool:
    """Does a live process hold the lock of this spool file?"""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # the lock goes with it
    return False


log = logging.getLogger("accord.server")


class AccordApp:
    """Routes `/c/...` and `/i/...` to the raw tracking edge, everything else to FastAPI.

    Unless `ACCORD_QUEUE_IN_PROCESS` is false, it also runs job queue workers on threads of
    its own (a small install needs no `accord worker`); with `periodic` (as `accord serve`
    runs it) they also run the periodic tasks: the money schedule, postback delivery and
    the recovery of jobs whose worker died.
    """

    def __init__(self, store: Store, settings: Settings, *, periodic: bool = False) -> None:
        self.store = store
        self.settings = settings
        self.periodic = periodic
        self.queue: job_queue.Queue | None = None
        spool = self.spool = spool_dir(settings, store)
        self.recorder = EventRecorder(
            partial(record_events, store),
            spool_dir=spool if settings.spool else None,
            interval_ms=settings.click_flush_interval_ms,
            batch_size=settings.click_batch_size,
            catch_up=partial(native.catch_up, store, spool),
        )
        self.edge = TrackingEdge(store, self.recorder, frozenset(settings.trusted_proxies))
        self.api = create_api(store, settings, self.recorder)
        self.started = False

    def start(self) -> None:
        if not self.started:
            if self.settings.spool:
                adopt_old_spools(self.settings, self.store, self.spool)
                mark_spool(self.spool, self.store)
            replayed = self.recorder.replay()
            if replayed:
                log.warning("stored %d events a stopped process had spooled", replayed)
            links = self.edge.warm()
            self.recorder.start()
            if self.settings.queue_in_process:
                log.debug("%d queue tasks declared", len(job_tasks.declared()))
                self.queue = job_queue.for_store(self.store, self.settings, bind=True)
                self.queue.start_in_process(self.settings.queue_workers, periodic=self.periodic)
            self.started = True
            log.info("click edge ready with %d links cached", links)

    def stop(self) -> None:
        if self.started:
            if self.queue is not None:
                self.queue.stop_in_process()
                self.queue = None
            self.recorder.stop()
            self.started = False

    async def __call__(self, scope, receive, send) -> None:
        kind = scope["type"]
        if kind == "http" and scope["path"].startswith(EDGE_PREFIXES):
            await self.edge(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.api(scope, receive, send)

    async def _lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.start()
                except Exception as exc:  # pragma: no cover - reported to the server
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return


def build_app(store: Store | None = None, settings: Settings | None = None) -> AccordApp:
    settings = settings or get_settings()
    return AccordApp(store or open_store(settings), settings, periodic=True)


def app_from_env() -> AccordApp:
    """Factory for granian/uvicorn workers: reads ACCORD_* settings from the environment.

    `accord serve` migrates once before starting workers and sets ACCORD_SKIP_MIGRATE so
    that workers do not race to migrate.
    """
    import os

    settings = get_settings()
    migrate = os.environ.get("ACCORD_SKIP_MIGRATE") != "1"
    return build_app(open_store(settings, migrate=migrate), settings)


class EdgeSupervisor:
    """Keeps the `accord edge` child of `accord serve --tracking-port` running.

    When the child dies while `accord serve` runs (killed, out of memory, a crash), the
    tracking port closes with it: the supervisor logs it and starts the same command again,
    waiting longer after each start that fails (RESTART_DELAYS), and writes the edge's state
    to a file the API's /health reads (EDGE_STATE_ENV). A child that exits with 0 was told
    to stop (by `accord serve` on its way out) and is not restarted.
    """

    def __init__(self, child: subprocess.Popen, host: str, port: int, state_path: Path) -> None:
        self.child = child
        self.command = list(child.args)
        self.host = host
        self.port = port
        self.state_path = state_path
        self.restarts = 0
        self.last_exit: int | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="edge-supervisor", daemon=True)

    def start(self) -> None:
        self._write("running")
        os.environ[EDGE_STATE_ENV] = str(self.state_path)
        atexit.register(self.stop)
        self._thread.start()

    def stop(self) -> None:
        """Stop supervising, and stop a child this supervisor started."""
        self._stopping.set()
        child = self.child
        if child.poll() is None and self.restarts:
            child.terminate()
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                child.kill()
        self.state_path.unlink(missing_ok=True)

    def _run(self) -> None:
        failures = 0
        started = time.monotonic()
        while not self._stopping.wait(0.1):
            code = self.child.poll()
            if code is None:
                continue
            if code == 0 or self._stopping.is_set():
                self._write("stopped")
                return
            self.last_exit = code
            if time.monotonic() - started >= STEADY_SECONDS:
                failures = 0
            delay = RESTART_DELAYS[min(failures, len(RESTART_DELAYS) - 1)]
            failures += 1
            log.error(
                "the tracking edge (accord edge, pid %d) exited with %s; restarting it in %.1f s",
                self.child.pid,
                code,
                delay,
            )
            self._write("restarting")
            if self._stopping.wait(delay):
                return
            try:
                self.child = subprocess.Popen(self.command, stdin=subprocess.DEVNULL)
            except OSError:
                log.exception("the tracking edge could not be started")
                continue
            self.restarts += 1
            started = time.monotonic()
            self._write("running")

    def _write(self, state: str) -> None:
        if self._stopping.is_set():
            return  # `stop` removes the file
        report = {
            "state": state,
            "pid": self.child.pid,
            "host": self.host,
            "port": self.port,
            "restarts": self.restarts,
            "last_exit": self.last_exit,
        }
        partial = self.state_path.with_name(f".{self.state_path.name}.{os.getpid()}")
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(report))
            os.replace(partial, self.state_path)
        except OSError:
            log.exception("the tracking edge's state could not be written")


def supervise_edge(child: subprocess.Popen, host: str, port: int) -> EdgeSupervisor:
    """Supervise `child`, an `accord edge` process started by `accord serve`."""
    settings = get_settings()
    state = settings.data_dir.absolute() / "run" / f"tracking-edge-{os.getpid()}-{port}.json"
    supervisor = EdgeSupervisor(child, host, port, state)
    supervisor.start()
    return supervisor
