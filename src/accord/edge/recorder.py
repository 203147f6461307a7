"""Group commit for clicks: the edge answers first, a writer thread stores clicks in batches.

A click is buffered in memory when its 302 is sent and written within
`click_flush_interval_ms` (or sooner when `click_batch_size` clicks are waiting). On a clean
shutdown the buffer is flushed; a crash can lose at most the clicks of the last interval.
A batch that fails to write is kept and retried, never dropped.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from accord.store.engine import Store
from accord.tracking.service import record_clicks

log = logging.getLogger("accord.edge")


class ClickRecorder:
    def __init__(self, store: Store, *, interval_ms: int = 50, batch_size: int = 1000) -> None:
        self._store = store
        self._interval = interval_ms / 1000
        self._batch_size = batch_size
        self._buffer: list[dict[str, Any]] = []
        self._pending_ids: set[str] = set()
        self._buffer_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.written = 0

    def add(self, row: dict[str, Any]) -> None:
        with self._buffer_lock:
            self._buffer.append(row)
            self._pending_ids.add(row["id"])
            full = len(self._buffer) >= self._batch_size
        if full:
            self._wake.set()

    @property
    def waiting(self) -> int:
        return len(self._buffer)

    def ensure_stored(self, click_id: str) -> None:
        """Write the buffer now if it holds `click_id` (a conversion is waiting for it).

        Call this outside any open transaction: on SQLite a writer inside one would wait
        for itself.
        """
        if click_id in self._pending_ids:
            self.flush()

    def flush(self) -> int:
        """Write everything buffered now; returns how many clicks were written."""
        with self._write_lock:
            with self._buffer_lock:
                batch, self._buffer = self._buffer, []
            if not batch:
                return 0
            try:
                written = record_clicks(self._store, batch)
            except Exception:
                log.exception("writing %d clicks failed; keeping them for the next try", len(batch))
                with self._buffer_lock:
                    self._buffer[:0] = batch
                raise
            with self._buffer_lock:
                self._pending_ids.difference_update(row["id"] for row in batch)
            self.written += written
            return written

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self._interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # already logged; the rows stay buffered
                self._stopping.wait(min(1.0, self._interval * 10))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="click-recorder", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
