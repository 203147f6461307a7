"""The machine the figures come from, and how busy other processes kept it meanwhile."""

from __future__ import annotations

import os
import platform
import re
import sqlite3
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_BUSY_FIELDS = (0, 1, 2, 5, 6)  # user, nice, system, irq, softirq in /proc/stat's cpu line


def describe() -> dict[str, Any]:
    """Cores, CPU model, OS and the versions of everything measured."""
    import granian
    import sqlalchemy

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "granian": granian.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "sqlite": sqlite3.sqlite_version,
        "wrk": _version(["wrk", "--version"], r"wrk (\S+)"),
        "nginx": _version(["nginx", "-v"], r"nginx/(\S+)"),
        "commit": _commit(),
    }


def _commit() -> str | None:
    """The checked-out commit, with "+changes" when src/ differs from it (read-only git)."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--", "src"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+changes" if dirty else head


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _version(argv: list[str], pattern: str) -> str | None:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return None
    found = re.search(pattern, done.stdout + done.stderr)
    return found.group(1) if found else None


def _busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy since boot (Linux), else None."""
    try:
        with open("/proc/stat") as stat:
            fields = stat.readline().split()[1:]
        return sum(int(fields[i]) for i in _BUSY_FIELDS) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _own_seconds() -> float:
    """CPU seconds of this process and of every child it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class CpuWatch:
    """Measures the share of the machine's CPU that processes other than ours used."""

    def __init__(self) -> None:
        self._wall = time.monotonic()
        self._busy = _busy_seconds()
        self._own = _own_seconds()

    def others_share(self) -> float | None:
        """Share of all cores (0..1) that other processes kept busy since the start."""
        busy = _busy_seconds()
        if busy is None or self._busy is None:
            return None
        capacity = (time.monotonic() - self._wall) * (os.cpu_count() or 1)
        others = (busy - self._busy) - (_own_seconds() - self._own)
        return max(0.0, others / capacity) if capacity > 0 else None
