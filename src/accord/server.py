"""The process's ASGI application: the tracking edge on `/c/` and `/i/`, the API elsewhere."""

from __future__ import annotations

import atexit
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
from accord.edge.recorder import EventRecorder
from accord.edge.spool import adopt_old_spools, mark_spool, spool_dir
from accord.events import tasks as events_tasks
from accord.events.dispatch import Kicker, set_kicker
from accord.jobs import queue as job_queue
from accord.jobs import tasks as job_tasks
from accord.protect.clicks import configure as configure_click_scoring
from accord.protect.coupons import coupon_sites
from accord.settings import Settings, get_settings
from accord.store.engine import Store, open_store
from accord.tracking.service import record_events

EDGE_PREFIXES = (CLICK_PREFIX, IMPRESSION_PREFIX)
#: Where `accord serve --tracking-port` keeps the state of its `accord edge` child, for the
#: API's /health (set for the API's workers, which start after the edge).
EDGE_STATE_ENV = "ACCORD_EDGE_STATE"
RESTART_DELAYS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0)  # seconds, one more each failed start
STEADY_SECONDS = 30.0  # an edge that ran this long starts again with the shortest delay

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
        self.previous_kick: Kicker | None = None
        spool = self.spool = spool_dir(settings, store)
        self.recorder = EventRecorder(
            partial(record_events, store),
            spool_dir=spool if settings.spool else None,
            interval_ms=settings.click_flush_interval_ms,
            batch_size=settings.click_batch_size,
            catch_up=partial(native.catch_up, store, spool),
        )
        self.edge = TrackingEdge(store, self.recorder, frozenset(settings.trusted_proxies))
        if settings.fraud_ip_ranges or settings.fraud_ip_database:
            configure_click_scoring(settings.fraud_ip_ranges, settings.fraud_ip_database)
        if settings.fraud_coupon_sites:
            coupon_sites()  # a bad file stops the start with its line, not the first order
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
            # the handlers of what this process records run on the queue's workers
            self.previous_kick = events_tasks.use_queue()
            if self.settings.queue_in_process:
                log.debug("%d queue tasks declared", len(job_tasks.declared()))
                self.queue = job_queue.for_store(self.store, self.settings, bind=True)
                self.queue.start_in_process(self.settings.queue_workers, periodic=self.periodic)
            self.started = True
            log.info("click edge ready with %d links cached", links)

    def stop(self) -> None:
        if self.started:
            set_kicker(self.previous_kick)
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
