"""Conversion ingestion: `POST /api/v1/conversions` (and `/batch` when it exists) per store.

For each store (SQLite, then PostgreSQL in a temporary database) Accord is started fresh,
a program with partners and links is set up, a few clicks are made so that conversions
are attributed, then conversions are sent one per request by a few client threads, and in
batches if the server offers the batch endpoint. Beside them, the same rows are inserted
again in bulk into a copy of the conversions table: what the database itself can take.
"""

from __future__ import annotations

import contextlib
import itertools
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from benchmarks.accord_server import accord_server, create_brand, create_fixture, sqlite_url
from benchmarks.machine import CpuWatch
from benchmarks.processes import free_port, log
from benchmarks.stores import (
    BulkInsert,
    bulk_insert_baseline,
    count_rows,
    postgres_unreachable,
    temp_postgres,
)

BATCH_PATH = "/api/v1/conversions/batch"
BATCH_MAX = 1000
SINGLE_PREFIX = "single-"
BATCH_PREFIX = "batch-"


@dataclass
class Ingest:
    """One way of sending conversions, and what it achieved."""

    path: str
    conversions: int
    seconds: float
    ok: int
    failed: int
    attributed: int | None = None
    requests: int = 0
    p50_ms: float | None = None
    p99_ms: float | None = None
    stored: int | None = None
    note: str = ""

    @property
    def per_s(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


@dataclass
class StoreRun:
    """Everything measured on one store."""

    store: str
    skipped: str | None = None
    workers: int = 1
    ingests: list[Ingest] = field(default_factory=list)
    baselines: dict[str, BulkInsert] = field(default_factory=dict)
    others_cpu: float | None = None  # share of the machine other processes used meanwhile

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"store": self.store, "skipped": self.skipped}
        if self.skipped:
            return out
        out["workers"] = self.workers
        out["cpu_used_by_other_processes"] = (
            None if self.others_cpu is None else round(self.others_cpu, 3)
        )
        for ingest in self.ingests:
            base = self.baselines.get(ingest.path)
            out[ingest.path] = {
                **_ingest_dict(ingest),
                "baseline": {
                    "rows": base.rows,
                    "seconds": round(base.seconds, 4),
                    "rows_per_s": round(base.per_s, 1),
                }
                if base
                else None,
                "ratio_to_baseline": round(ingest.per_s / base.per_s, 5)
                if base and base.per_s and ingest.ok
                else None,
            }
        return out


def _ingest_dict(ingest: Ingest) -> dict[str, Any]:
    return {
        "conversions": ingest.conversions,
        "ok": ingest.ok,
        "failed": ingest.failed,
        "stored": ingest.stored,
        "attributed": ingest.attributed,
        "requests": ingest.requests,
        "seconds": round(ingest.seconds, 3),
        "conversions_per_s": round(ingest.per_s, 1),
        "request_p50_ms": _round(ingest.p50_ms),
        "request_p99_ms": _round(ingest.p99_ms),
        "note": ingest.note,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


@dataclass(frozen=True)
class ConversionLoad:
    """How much to send and how."""

    count: int
    batch_count: int
    batch_size: int
    clients: int
    workers: int


def run_conversions(
    work: Path, load: ConversionLoad, postgres_server: str | None
) -> list[StoreRun]:
    """Measure ingestion on SQLite and, if reachable, on PostgreSQL."""
    runs = [_on_store("sqlite", work, load, _sqlite_store(work / "conversions-sqlite"))]
    if postgres_server is None:
        runs.append(StoreRun("postgresql", skipped="disabled with --no-postgres"))
        return runs
    reason = postgres_unreachable(postgres_server)
    if reason:
        log(f"PostgreSQL at {postgres_server} is not reachable ({reason}): skipping it")
        runs.append(StoreRun("postgresql", skipped=f"not reachable: {reason}"))
    else:
        runs.append(_on_store("postgresql", work, load, temp_postgres(postgres_server)))
    return runs


@contextlib.contextmanager
def _sqlite_store(data_dir: Path) -> Iterator[str]:
    data_dir.mkdir(parents=True, exist_ok=True)
    yield sqlite_url(data_dir)


def _on_store(
    name: str, work: Path, load: ConversionLoad, database: contextlib.AbstractContextManager[str]
) -> StoreRun:
    run = StoreRun(name, workers=load.workers)
    watch = CpuWatch()
    data_dir = work / f"conversions-{name}"
    data_dir.mkdir(parents=True, exist_ok=True)
    with database as url:
        log(f"conversions on {name}: setting up a fresh store")
        api_key = create_brand(url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = accord_server(data_dir, url, port, load.workers, work / f"accord-{name}.log")
        with server:
            server.wait_for_port(port)
            fixture = create_fixture(base, api_key)
            click_ids = _make_clicks(base, fixture.link_codes, 200)
            time.sleep(0.5)  # every worker's click buffer is written within 50 ms
            headers = {"authorization": f"Bearer {api_key}"}
            body = _body_factory(fixture.program_id, click_ids)
            log(f"conversions on {name}: {load.count} single requests, {load.clients} clients")
            run.ingests.append(_send_single(base, headers, body, load))
            if _has_batch(base):
                log(f"conversions on {name}: {load.batch_count} in batches of {load.batch_size}")
                run.ingests.append(_send_batches(base, headers, body, load))
            else:
                log(f"conversions on {name}: no {BATCH_PATH} in /openapi.json, batch skipped")
                run.ingests.append(
                    Ingest("batch", 0, 0.0, 0, 0, note=f"skipped: the server has no {BATCH_PATH}")
                )
        for ingest in run.ingests:
            if ingest.ok == 0:
                continue
            prefix = SINGLE_PREFIX if ingest.path == "single" else BATCH_PREFIX
            ingest.stored = count_rows(url, "conversions", f"WHERE order_id LIKE '{prefix}%'")
            log(f"conversions on {name}: bulk-insert baseline of {ingest.stored} rows")
            run.baselines[ingest.path] = bulk_insert_baseline(url, prefix)
    run.others_cpu = watch.others_share()
    return run


def _make_clicks(base: str, codes: list[str], count: int) -> list[str]:
    """Click the links and return the click ids from the redirects."""
    ids = []
    with httpx.Client(base_url=base, timeout=30) as http:
        for code in itertools.islice(itertools.cycle(codes), count):
            location = http.get(f"/c/{code}").headers.get("location", "")
            ids += parse_qs(urlsplit(location).query).get("accord_click", [])
    if not ids:
        raise RuntimeError("the click endpoint returned no click ids")
    return ids


def _body_factory(program_id: str, click_ids: list[str]) -> Callable[[str, int], dict[str, Any]]:
    """Conversion bodies: an order id, an amount, a click to attribute it to, a customer."""

    def body(prefix: str, i: int) -> dict[str, Any]:
        return {
            "program_id": program_id,
            "order_id": f"{prefix}{i}",
            "amount": f"{20 + (i * 37) % 400}.{i % 100:02d}",
            "currency": "USD",
            "click_id": click_ids[i % len(click_ids)],
            "customer_id": f"cust-{i % 5000}",
        }

    return body


def _has_batch(base: str) -> bool:
    """Whether the server's OpenAPI document lists the batch endpoint."""
    with httpx.Client(base_url=base, timeout=30) as http:
        paths = http.get("/openapi.json").json().get("paths", {})
    return BATCH_PATH in paths and "post" in paths[BATCH_PATH]


def _send_single(
    base: str,
    headers: dict[str, str],
    body: Callable[[str, int], dict[str, Any]],
    load: ConversionLoad,
) -> Ingest:
    """`load.count` conversions, one per request, from `load.clients` threads."""
    latencies: list[float] = []
    statuses: list[str] = []
    failed = 0
    lock = threading.Lock()

    def client(offset: int) -> None:
        nonlocal failed
        mine, mine_status, mine_failed = [], [], 0
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            for i in range(offset, load.count, load.clients):
                started = time.perf_counter()
                response = http.post("/api/v1/conversions", json=body(SINGLE_PREFIX, i))
                mine.append(time.perf_counter() - started)
                if response.status_code == 201:
                    mine_status.append(response.json().get("status", ""))
                else:
                    mine_failed += 1
        with lock:
            latencies.extend(mine)
            statuses.extend(mine_status)
            failed += mine_failed

    seconds = _timed_pool(client, load.clients)
    return Ingest(
        "single",
        load.count,
        seconds,
        ok=len(statuses),
        failed=failed,
        attributed=statuses.count("attributed"),
        requests=len(latencies),
        p50_ms=_percentile(latencies, 50),
        p99_ms=_percentile(latencies, 99),
    )


def _send_batches(
    base: str,
    headers: dict[str, str],
    body: Callable[[str, int], dict[str, Any]],
    load: ConversionLoad,
) -> Ingest:
    """`load.batch_count` conversions in requests of `load.batch_size`, from the clients."""
    size = min(load.batch_size, BATCH_MAX)
    starts = list(range(0, load.batch_count, size))
    latencies: list[float] = []
    ok = failed = attributed = 0
    notes: set[str] = set()
    lock = threading.Lock()

    def client(offset: int) -> None:
        nonlocal ok, failed, attributed
        with httpx.Client(base_url=base, headers=headers, timeout=300) as http:
            for start in starts[offset :: load.clients]:
                items = [
                    body(BATCH_PREFIX, i) for i in range(start, min(start + size, load.batch_count))
                ]
                began = time.perf_counter()
                response = http.post(BATCH_PATH, json={"conversions": items})
                elapsed = time.perf_counter() - began
                good, bad, credited, note = _batch_outcome(response, len(items))
                with lock:
                    latencies.append(elapsed)
                    ok += good
                    failed += bad
                    attributed += credited
                    if note:
                        notes.add(note)

    seconds = _timed_pool(client, min(load.clients, len(starts)))
    return Ingest(
        "batch",
        load.batch_count,
        seconds,
        ok=ok,
        failed=failed,
        attributed=attributed,
        requests=len(latencies),
        p50_ms=_percentile(latencies, 50),
        p99_ms=_percentile(latencies, 99),
        note="; ".join(sorted(notes)),
    )


def _batch_outcome(response: httpx.Response, sent: int) -> tuple[int, int, int, str]:
    """(accepted, refused, attributed, note) from a batch response with per-item results."""
    if response.status_code >= 400:
        return 0, sent, 0, f"HTTP {response.status_code}: {response.text[:200]}"
    data = response.json()
    results = next(
        (data[k] for k in ("results", "data", "items") if isinstance(data.get(k), list)), None
    )
    if results is None:
        return sent, 0, 0, "no per-item results in the response; counted as accepted"
    bad = sum(1 for item in results if _item_failed(item))
    attributed = sum(
        1
        for item in results
        if isinstance(item, dict)
        and isinstance(item.get("conversion"), dict)
        and item["conversion"].get("status") == "attributed"
    )
    return len(results) - bad, bad, attributed, ""


def _item_failed(item: object) -> bool:
    if not isinstance(item, dict):
        return False
    if item.get("error"):
        return True
    if item.get("ok") is False:
        return True
    return str(item.get("status", "")).lower() in {"error", "failed", "rejected", "invalid"}


def _timed_pool(work: Callable[[int], None], threads: int) -> float:
    """Run `work(0..threads-1)` in threads; the wall time; the first error is raised."""
    threads = max(1, threads)
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(work, i) for i in range(threads)]:
            future.result()
    return time.perf_counter() - started


def _percentile(values: list[float], pct: int) -> float | None:
    """The pct-th percentile in milliseconds, or None without values."""
    if not values:
        return None
    if len(values) == 1:
        return values[0] * 1e3
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1] * 1e3
