"""Click throughput and latency: wrk against nginx, a raw ASGI 302, and Accord's `/c/{code}`.

All targets get the same load (same wrk threads, connections, warm-up and duration, the
same Lua script shape) on the same machine, one after another, so the ratios compare like
with like. For Accord, every click must also be stored: the clicks table is counted before
and after the measured run and compared with the number of requests wrk completed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import wrk
from benchmarks.accord_server import (
    accord_server,
    create_brand,
    create_fixture,
    floor_server,
    sqlite_url,
)
from benchmarks.nginx import nginx_server
from benchmarks.processes import Managed, free_port, log
from benchmarks.stores import wait_until_stable

# Paths of the same shape as Accord's link codes, for the targets that ignore them.
_PLACEHOLDER_PATHS = [f"/c/bench{i:03d}" for i in range(8)]


@dataclass(frozen=True)
class ClickLoad:
    """The load every target gets."""

    duration: float
    warmup: float
    threads: int
    connections: int
    workers: tuple[int, ...]
    native_threads: tuple[int, ...] = (1, 2)


@dataclass
class ClickRun:
    """One target's figures."""

    target: str
    kind: str  # nginx, floor, accord (the Python edge), native (the C edge)
    workers: str
    result: wrk.WrkResult
    stored: dict[str, int] = field(default_factory=dict)

    def as_dict(self, nginx_rps: float | None, floor_rps: float | None) -> dict[str, Any]:
        """The figures, with ratios to nginx and to the raw ASGI app of as many workers."""
        rps = self.result.requests_per_s
        out: dict[str, Any] = {
            "target": self.target,
            "kind": self.kind,
            "workers": self.workers,
            **self.result.as_dict(),
            "ratio_to_nginx": round(rps / nginx_rps, 4) if nginx_rps else None,
            "ratio_to_raw_asgi": round(rps / floor_rps, 4)
            if floor_rps and self.kind in ("accord", "native")
            else None,
        }
        if self.stored:
            out["clicks"] = self.stored
        return out


def run_clicks(work: Path, load: ClickLoad) -> list[ClickRun]:
    """nginx, then the raw ASGI floor and Accord with each worker count."""
    runs = [_measure_plain("nginx", "nginx", "auto", work, load, nginx_server)]
    for workers in load.workers:
        runs.append(
            _measure_plain(
                f"raw ASGI 302 (granian, {workers}w)",
                "floor",
                str(workers),
                work,
                load,
                lambda _root, port, w=workers: floor_server(port, w, work / f"floor-{w}w.log"),
            )
        )
    runs += [_measure_accord(work, load, workers) for workers in load.workers]
    runs += [_measure_accord(work, load, 1, native_threads=n) for n in load.native_threads]
    return runs


def _warm(url: str, script: Path, load: ClickLoad, label: str) -> None:
    if load.warmup > 0:
        log(f"{label}: warm-up {load.warmup:g}s")
        wrk.run(
            url, script, seconds=load.warmup, threads=load.threads, connections=load.connections
        )


def _measure(url: str, script: Path, load: ClickLoad, label: str) -> wrk.WrkResult:
    log(f"{label}: {load.duration:g}s, {load.threads} threads, {load.connections} connections")
    result = wrk.run(
        url, script, seconds=load.duration, threads=load.threads, connections=load.connections
    )
    log(
        f"{label}: {result.requests_per_s:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
        f"p99 {result.p99_ms:.2f} ms"
    )
    return result


def _measure_plain(
    target: str,
    kind: str,
    workers: str,
    work: Path,
    load: ClickLoad,
    make: Callable[[Path, int], Managed],
) -> ClickRun:
    """A target that stores nothing: start it, load it, stop it."""
    port = free_port()
    server: Managed = make(work / kind, port)
    script = wrk.write_script(work / f"{kind}-{workers}.lua", _PLACEHOLDER_PATHS)
    with server:
        server.wait_for_port(port)
        url = f"http://127.0.0.1:{port}"
        _warm(url, script, load, target)
        result = _measure(url, script, load, target)
    return ClickRun(target, kind, workers, result)


def _measure_accord(
    work: Path, load: ClickLoad, workers: int, native_threads: int | None = None
) -> ClickRun:
    """Accord on a fresh SQLite store: set up links, load `/c/{code}`, count stored clicks.

    With `native_threads`, the load goes to the native click edge (`accord serve
    --tracking-port`) and its loader stores the clicks; the count waits for it to drain.
    """
    native = native_threads is not None
    name = f"native-{native_threads}t" if native else f"{workers}w"
    label = f"Accord native edge /c/ ({native_threads}t)" if native else f"Accord /c/ ({workers}w)"
    data_dir = work / f"accord-clicks-{name}"
    data_dir.mkdir(parents=True)
    url = sqlite_url(data_dir)
    api_key = create_brand(url)
    port = free_port()
    tracking = free_port() if native else None
    server = accord_server(
        data_dir,
        url,
        port,
        workers,
        work / f"accord-clicks-{name}.log",
        tracking_port=tracking,
        tracking_threads=native_threads or 2,
    )
    with server:
        server.wait_for_port(port)
        fixture = create_fixture(f"http://127.0.0.1:{port}", api_key)
        script = wrk.write_script(
            work / f"accord-{name}.lua", [f"/c/{code}" for code in fixture.link_codes]
        )
        if tracking is not None:
            server.wait_for_port(tracking)
            time.sleep(1.0)  # the links reach the edge's snapshot within half a second
        base = f"http://127.0.0.1:{tracking or port}"
        _warm(base, script, load, label)
        before = wait_until_stable(url, "clicks", settle=1.0, timeout=600)
        result = _measure(base, script, load, label)
        drained_from = time.monotonic()
        settled = wait_until_stable(url, "clicks", settle=1.0, timeout=600)
        drain_s = time.monotonic() - drained_from
        code = server.stop()
    after = wait_until_stable(url, "clicks")
    stored = {
        "requests_completed": result.requests,
        "stored_during_run": after - before,
        "stored_before_shutdown": settled - before,
        "stored_total_incl_warmup": after,
        "seconds_to_store_after_load": round(drain_s, 1),
        "server_exit_code": code if code is not None else -1,
    }
    log(
        f"{label}: wrk completed {result.requests:,} requests; {after - before:,} clicks stored "
        f"({settled - before:,} before shutdown, all stored {drain_s:.1f} s after the load)"
    )
    kind = "native" if native else "accord"
    return ClickRun(label, kind, f"{native_threads}t" if native else str(workers), result, stored)
