"""Group commit for clicks and impressions, with a spool file so a killed process loses none.

The edge answers first and the recorder stores events in batches: a writer thread inserts
what has gathered every `interval_ms` (or sooner once `batch_size` events wait).

Before the edge sends its 302, the event is appended to this process's spool segment with
one `write()` call. The kernel keeps that data even if the process is killed with SIGKILL
the next instant, so a click whose redirect was sent is never lost to a process crash (a
power cut can still lose what the kernel had not yet written to disk). Each flush starts a
new segment and deletes the old one once its batch is committed. At start, segments left
by dead processes are replayed; a replayed event whose id is already stored is skipped.

Segments live in `<data_dir>/spool/`; each process holds an exclusive lock on the segment
it is writing, so a starting process never replays a live one.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("accord.edge")

Writer = Callable[[Sequence[tuple[str, dict[str, Any]]]], int]


_ENCODER = json.JSONEncoder(separators=(",", ":"))  # built once: this runs for every click


def _encode(kind: str, row: dict[str, Any]) -> bytes:
    """One spool line. Events carry one datetime, `at`; everything else is JSON already."""
    data = dict(row)
    data["at"] = data["at"].isoformat()
    return (_ENCODER.encode({"k": kind, "r": data}) + "\n").encode()


def _decode(line: bytes) -> tuple[str, dict[str, Any]] | None:
    try:
        item = json.loads(line)
        row = item["r"]
        row["at"] = datetime.fromisoformat(row["at"])
        return item["k"], row
    except (ValueError, KeyError, TypeError):
        return None  # a line cut short by the crash itself: its 302 was never sent


def _writer_alive(path: Path) -> bool:
    """Is the process that named this segment still running (and not this one)?"""
    try:
        pid = int(path.name.split("-")[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Segment:
    """One spool file, append-only, locked by the process writing it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def append(self, data: bytes) -> None:
        os.write(self.fd, data)

    def remove(self) -> None:
        """Delete the file once its events are stored, then let go of the lock."""
        self.path.unlink(missing_ok=True)
        os.close(self.fd)


class EventRecorder:
    """Buffers events in memory and in the spool, and writes them in batches."""

    def __init__(
        self,
        write: Writer,
        *,
        spool_dir: Path | None = None,
        interval_ms: int = 50,
        batch_size: int = 1000,
        catch_up: Callable[[Collection[str]], None] | None = None,
    ) -> None:
        self._write = write
        self._catch_up = catch_up
        self._spool_dir = spool_dir
        self._interval = interval_ms / 1000
        self._batch_size = batch_size
        self._buffer: list[tuple[str, dict[str, Any]]] = []
        self._pending_ids: set[str] = set()
        self._segments: list[Segment] = []  # segments whose events are in the buffer
        self._active: Segment | None = None
        self._sequence = 0
        self._buffer_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0

    # spool ------------------------------------------------------------------------------
    def _new_segment(self) -> Segment | None:
        if self._spool_dir is None:
            return None
        self._sequence += 1
        name = f"events-{os.getpid()}-{os.urandom(4).hex()}-{self._sequence:06d}.jsonl"
        segment = Segment(self._spool_dir / name)
        self._segments.append(segment)
        return segment

    def replay(self) -> int:
        """Store what dead processes left in the spool; returns how many events were read."""
        if self._spool_dir is None:
            return 0
        self._spool_dir.mkdir(parents=True, exist_ok=True)
        total = 0
        for path in sorted(self._spool_dir.glob("events-*.jsonl")):
            if _writer_alive(path):
                continue
            try:
                fd = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live process is writing it
                with os.fdopen(os.dup(fd), "rb") as handle:
                    events = [e for e in map(_decode, handle) if e is not None]
                for start in range(0, len(events), self._batch_size):
                    self._write(events[start : start + self._batch_size])
                total += len(events)
                path.unlink(missing_ok=True)
            finally:
                os.close(fd)
        if total:
            log.info("replayed %d events from the spool", total)
        return total

    # buffering --------------------------------------------------------------------------
    def add(self, kind: str, row: dict[str, Any]) -> None:
        """Buffer one event; when this returns, a process crash can no longer lose it."""
        with self._buffer_lock:
            if self._spool_dir is not None:
                if self._active is None:
                    self._active = self._new_segment()
                self._active.append(_encode(kind, row))
            self._buffer.append((kind, row))
            self._pending_ids.add(row["id"])
            full = len(self._buffer) >= self._batch_size
        if full and not self._wake.is_set():
            self._wake.set()

    @property
    def waiting(self) -> int:
        return len(self._buffer)

    def ensure_stored(self, *event_ids: str) -> None:
        """Write the buffer now if it holds one of `event_ids` (conversions wait for them).

        Call this outside any open transaction: on SQLite a writer inside one would wait
        for itself.
        """
        others = [event_id for event_id in event_ids if event_id not in self._pending_ids]
        if len(others) < len(event_ids):
            self.flush()
        if others and self._catch_up is not None:  # answered by another edge, e.g. native
            self._catch_up(others)

    def flush(self) -> int:
        """Write everything buffered now; returns how many events were written."""
        with self._write_lock:
            with self._buffer_lock:
                batch, self._buffer = self._buffer, []
                segments, self._segments = self._segments, []
                self._active = None  # new events go to a new segment
            if not batch:
                for segment in segments:
                    segment.remove()
                return 0
            try:
                written = self._write(batch)
            except Exception:
                log.exception("writing %d events failed; keeping them for the next try", len(batch))
                with self._buffer_lock:
                    self._buffer[:0] = batch
                    self._segments[:0] = segments
                raise
            for segment in segments:
                segment.remove()
            with self._buffer_lock:
                self._pending_ids.difference_update(row["id"] for _, row in batch)
            self.written += written
            return written

    # the writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # already logged; the events stay buffered and spooled
                self._stopping.wait(min(1.0, self._interval * 10))

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="event-recorder", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
