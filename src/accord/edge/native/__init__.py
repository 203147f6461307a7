"""The native click edge: `/c/` and `/i/` served by a small C program on a tracking port.

`accord serve --tracking-port 8001` runs `accord_edge.c` beside the API. It applies the same
rules as the Python edge (accord.edge.click) and is tested against it request for request;
it exists because the click endpoint is the hottest path in the product and a Python server
cannot answer it near the machine's limit.

How the pieces meet:

- **Links.** The edge reads a snapshot file of active links (`links.tsv` in the store's spool
  folder). A flush that changes a link or a program bumps `link_revision`; the supervisor
  polls it every `POLL_SECONDS` and rewrites the snapshot (atomically, by rename); each edge
  thread re-reads the file within 250 ms. A new link works on the tracking port within
  about half a second.
- **Events.** The edge appends each click to a spool segment before the response that
  carries its click id is sent (`edge-PID-THREAD-SEQ.part`, renamed `.jsonl` when complete,
  every 200 ms). The supervisor stores complete segments every `load_interval` (the
  `click_flush_interval_ms` setting, at least `POLL_SECONDS`) and deletes them; a `.part`
  left by a dead edge is stored too. Ids are stored once, however often a segment is read.
- **A conversion right after its click.** When a conversion names a click id that is not
  stored yet, `catch_up` stores what the spool holds, open segments included, before the
  conversion is attributed.
- **The compiler.** The program is compiled with the machine's C compiler (`cc`, or `CC`)
  on first use and cached by the source's hash in `~/.cache/accord` (or `XDG_CACHE_HOME`).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Collection, Iterable
from datetime import UTC
from pathlib import Path

from sqlalchemy import func, select

from accord.edge.recorder import _decode
from accord.edge.spool import adopt_old_spools, mark_spool, spool_dir
from accord.store.engine import Store
from accord.tracking.model import LinkTarget
from accord.tracking.service import all_link_targets, record_events
from accord.tracking.tables import Click, LinkRevision

log = logging.getLogger("accord.edge.native")

SOURCE = Path(__file__).with_name("accord_edge.c")
SNAPSHOT_NAME = "links.tsv"
SNAPSHOT_HEADER = "accord-links\t1\n"
POLL_SECONDS = 0.1
LOAD_BATCH = 5000


class EdgeUnavailable(RuntimeError):
    """The native edge cannot run here (no C compiler, or it failed to build)."""


# ----------------------------------------------------------------------------- building
def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "accord"


def build(cache_dir: Path | None = None) -> Path:
    """The compiled edge, built on first use; cached by the source's hash."""
    source = SOURCE.read_bytes()
    digest = hashlib.sha256(source).hexdigest()[:16]
    folder = cache_dir or _cache_dir()
    target = folder / f"accord-edge-{digest}"
    if target.exists():
        return target
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise EdgeUnavailable("the native click edge needs a C compiler: install gcc or set CC")
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".accord-edge-{digest}.{os.getpid()}"
    command = [compiler, "-O2", "-std=gnu11", "-pthread", "-o", str(partial), str(SOURCE)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise EdgeUnavailable(f"compiling the native click edge failed:\n{done.stderr[-2000:]}")
    os.replace(partial, target)
    return target


# ----------------------------------------------------------------------------- links
def _clean(value: str) -> str:
    """A snapshot field: tabs and line breaks cannot occur in stored URLs and ids."""
    if any(ch in value for ch in "\t\r\n"):
        raise ValueError(f"a link field holds a tab or line break: {value!r}")
    return value


def snapshot_line(code: str, target: LinkTarget) -> str:
    expires = target.expires_at
    expires_us = "" if expires is None else str(int(expires.astimezone(UTC).timestamp() * 1e6))
    fields = (
        code,
        target.link_id,
        target.program_id,
        target.partner_id,
        target.destination_url,
        target.click_id_param,
        target.default_landing_url or "",
        ",".join(target.permitted_domains),
        str(target.duplicate_seconds),
        expires_us,
    )
    return "\t".join(_clean(f) for f in fields) + "\n"


def link_revision(store: Store) -> int:
    with store.read() as session:
        return session.scalar(select(LinkRevision.revision).where(LinkRevision.id == 1)) or 0


def write_snapshot(store: Store, path: Path) -> int:
    """Write every active link for the edge, atomically; returns how many."""
    targets = all_link_targets(store)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    with open(partial, "w", encoding="utf-8") as handle:
        handle.write(SNAPSHOT_HEADER)
        for code, target in targets.items():
            try:
                handle.write(snapshot_line(code, target))
            except ValueError as error:  # never expected: such a URL cannot be stored
                log.error("link %s left out of the edge's snapshot: %s", code, error)
    os.replace(partial, path)
    return len(targets)


# ----------------------------------------------------------------------------- the spool
def _events(source: Path | int, complete_lines_only: bool) -> list:
    """The events of a segment, read by path or from an open descriptor (which still reads
    the file after the edge renames it)."""
    if isinstance(source, int):
        with os.fdopen(os.dup(source), "rb") as handle:
            handle.seek(0)
            data = handle.read()
    else:
        data = source.read_bytes()
    if complete_lines_only:
        data = data[: data.rfind(b"\n") + 1]
    return [event for event in map(_decode, data.splitlines()) if event is not None]


def _store_events(store: Store, events: list) -> None:
    for start in range(0, len(events), LOAD_BATCH):
        record_events(store, events[start : start + LOAD_BATCH])


def load_spool(store: Store, spool: Path, *, include_open: bool = False) -> int:
    """Store the events the edge has spooled; returns how many were read.

    Complete segments (`.jsonl`) and segments left by a dead edge (a `.part` nobody holds
    a lock on) are stored, then deleted. With `include_open`, the complete lines of the
    segments being written are stored as well (they are stored again, harmlessly, once
    complete).
    """
    total = 0
    # Segments being written first, complete ones after: a segment the edge completes (renames
    # from .part to .jsonl) in between is then read as complete rather than missed.
    for path in sorted(spool.glob("edge-*.part")):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue  # completed meanwhile: read below
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # a live edge is writing it
                if include_open:
                    events = _events(fd, complete_lines_only=True)
                    _store_events(store, events)
                    total += len(events)
                continue
            events = _events(fd, complete_lines_only=True)  # a torn last line: never answered
            _store_events(store, events)
            path.unlink(missing_ok=True)
            total += len(events)
        finally:
            os.close(fd)
    for path in sorted(spool.glob("edge-*.jsonl")):
        try:
            events = _events(path, complete_lines_only=False)
        except FileNotFoundError:
            continue  # another loader took it
        _store_events(store, events)
        path.unlink(missing_ok=True)
        total += len(events)
    _remove_stale_new_segments(spool)
    return total


def _remove_stale_new_segments(spool: Path, *, older_than: float = 60.0) -> None:
    """An edge killed between creating a segment and naming it `.part` leaves it empty."""
    now = time.time()
    for path in spool.glob("edge-*.new"):
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            info = os.fstat(fd)
            if info.st_size or now - info.st_mtime < older_than:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            path.unlink(missing_ok=True)
        finally:
            os.close(fd)


def catch_up(store: Store, spool: Path, click_ids: Collection[str]) -> None:
    """Make sure clicks the edge answered are stored before conversions look for them."""
    if not click_ids or not any(spool.glob("edge-*")):
        return
    wanted = sorted(set(click_ids))
    with store.read() as session:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found = session.scalar(select(func.count()).where(Click.id.in_(chunk)))
            if found != len(chunk):
                break
        else:
            return
    load_spool(store, spool, include_open=True)


# ----------------------------------------------------------------------------- running it
class NativeEdge:
    """Runs the edge process and keeps its snapshot and spool in step with the store."""

    def __init__(
        self,
        store: Store,
        spool: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8001,
        threads: int = 2,
        trusted_proxies: Iterable[str] = (),
        log_path: Path | None = None,
        load_interval: float = POLL_SECONDS,
    ) -> None:
        self.store = store
        self.load_interval = max(POLL_SECONDS, load_interval)
        self._last_load = 0.0
        self.spool = spool
        self.host = host
        self.port = port
        self.threads = threads
        self.trusted = tuple(trusted_proxies)
        self.log_path = log_path
        self.snapshot = spool / SNAPSHOT_NAME
        self.process: subprocess.Popen | None = None
        self.stored = 0
        self._revision = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._binary: Path | None = None

    def argv(self) -> list[str]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        command = [str(self._binary), "--listen", f"{host}:{self.port}"]
        command += ["--links", str(self.snapshot), "--spool", str(self.spool)]
        command += ["--threads", str(self.threads)]
        if self.trusted:
            command += ["--trusted", ",".join(self.trusted)]
        return command

    def start(self, *, background: bool = True) -> None:
        """Store what a dead edge left, write the snapshot and start the edge. Without
        `background`, nothing follows changes or stores events until `tick()` is called."""
        ensure_port_free(self.host, self.port)
        self._binary = build()
        self.spool.mkdir(parents=True, exist_ok=True)
        self.stored += load_spool(self.store, self.spool)
        self._refresh_snapshot()
        self._launch()
        if background:
            self._thread = threading.Thread(target=self._run, name="native-edge", daemon=True)
            self._thread.start()

    def _launch(self) -> None:
        output = open(self.log_path, "ab") if self.log_path else None  # noqa: SIM115
        self.process = subprocess.Popen(
            self.argv(), stdout=output, stderr=output, stdin=subprocess.DEVNULL
        )
        if output is not None:
            output.close()

    def _refresh_snapshot(self) -> None:
        revision = link_revision(self.store)
        if revision != self._revision or not self.snapshot.exists():
            count = write_snapshot(self.store, self.snapshot)
            self._revision = revision
            log.debug("edge snapshot: %d links at revision %d", count, revision)

    def tick(self) -> None:
        """One round: follow link changes, store spooled events when `load_interval` has
        passed, restart a dead edge."""
        self._refresh_snapshot()
        if time.monotonic() - self._last_load >= self.load_interval:
            self.stored += load_spool(self.store, self.spool)
            self._last_load = time.monotonic()
        if self.process is not None and self.process.poll() is not None and not self._stop.is_set():
            log.error(
                "the native click edge exited with %s; restarting it", self.process.returncode
            )
            self.stored += load_spool(self.store, self.spool)
            self._launch()

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.tick()
            except Exception:  # the store is away: the spool keeps the events meanwhile
                log.exception("the native edge's loader failed; retrying")
                self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.stored += load_spool(self.store, self.spool)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the edge answers on its port."""
        wait_listening(self.host, self.port, self.process, timeout)


def ensure_port_free(host: str, port: int) -> None:
    """EdgeUnavailable if something already accepts connections on (host, port): waiting for
    the edge to listen there would otherwise find that other server."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            pass
    except OSError:
        return
    raise EdgeUnavailable(f"{host}:{port} is already in use; choose another tracking port")


def wait_listening(host: str, port: int, process: subprocess.Popen | None, timeout: float) -> None:
    """Wait until something accepts connections on (host, port); EdgeUnavailable if
    `process` exits first or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise EdgeUnavailable(f"the native click edge exited at start ({process.returncode})")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                break
        except OSError:
            time.sleep(0.02)
    else:
        raise EdgeUnavailable(f"the native click edge did not listen on {host}:{port}")


def edge_health() -> dict | None:
    """The tracking edge's state as `accord serve --tracking-port` supervises it, for the
    API's /health; None when this server runs no edge."""
    path = os.environ.get("ACCORD_EDGE_STATE")
    if not path:
        return None
    try:
        report = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {"state": "unknown", "answering": False}
    host = report.get("host") or "127.0.0.1"
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    try:
        with socket.create_connection((host, int(report.get("port", 0))), timeout=0.25):
            report["answering"] = True
    except (OSError, ValueError):
        report["answering"] = False
    if report.get("state") == "running":
        try:
            os.kill(int(report["pid"]), 0)
        except ProcessLookupError:
            report["state"] = "down"  # died since the supervisor last looked
        except (PermissionError, KeyError, ValueError):
            pass
    return report


def serve_edge(
    store: Store,
    settings,
    *,
    host: str,
    port: int,
    threads: int,
    announce=None,
) -> None:
    """Run the edge until SIGTERM or SIGINT, or until the process that started this one ends."""
    spool = spool_dir(settings, store)
    adopt_old_spools(settings, store, spool)
    mark_spool(spool, store)
    edge = NativeEdge(
        store,
        spool,
        host=host,
        port=port,
        threads=threads,
        trusted_proxies=settings.trusted_proxies,
        load_interval=settings.click_flush_interval_ms / 1000,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    parent = os.getppid()
    try:
        edge.start()
        edge.wait_ready()
        if announce is not None:
            announce(f"Tracking links (/c/CODE, /i/CODE) on http://{host}:{port} (native edge)")
        while not stop.wait(0.5):
            if os.getppid() != parent:
                break
    finally:
        edge.stop()
