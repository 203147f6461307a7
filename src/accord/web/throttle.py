"""Slowing down password guessing and sign-up floods, per process and in memory.

A key (an address, or an address and an email) may fail `limit` times within `window`;
after that it is refused until the oldest failure leaves the window. Several server
processes each keep their own count, so the real limit is a multiple of it; it still turns
a fast guessing run into a slow one.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class Throttle:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        return hits

    def wait_seconds(self, key: str) -> int:
        """0 when the key may try now; else how many seconds until it may."""
        now = time.monotonic()
        with self._lock:
            hits = self._recent(key, now)
            if len(hits) < self.limit:
                return 0
            return max(1, int(self.window - (now - hits[0])) + 1)

    def hit(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._recent(key, now).append(now)
            if len(self._hits) > 50_000:  # forget keys that have gone quiet
                self._hits = {
                    k: v for k, v in self._hits.items() if v and now - v[-1] < self.window
                }

    def clear(self, key: str) -> None:
        with self._lock:
            self._hits.pop(key, None)

    def reset(self) -> None:
        """Forget every key (a fresh start, as after a restart)."""
        with self._lock:
            self._hits.clear()


#: Wrong passwords: 10 per address and email in 15 minutes.
SIGN_IN = Throttle(10, 15 * 60)
#: New partner accounts: 20 per address an hour.
SIGN_UP = Throttle(20, 60 * 60)
#: Links to choose a new password: 5 per address, and 5 per e-mail, in 15 minutes.
RESET = Throttle(5, 15 * 60)
#: Test postbacks from the portal: 10 per partner a minute (each calls the partner's server).
POSTBACK_TESTS = Throttle(10, 60)
