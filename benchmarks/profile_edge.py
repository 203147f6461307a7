"""Where a click's time goes, in-process: `python -m benchmarks.profile_edge`.

Builds Accord's ASGI app the way a granian worker does (`accord.server:app_from_env`) on a
fresh SQLite store, sets up a program with links over the REST API in-process, runs the
ASGI lifespan, then calls the app with `GET /c/{code}` scopes back to back with no server
and no network. It prints:

- the cost per request of Accord's app against the trivial raw ASGI 302 app driven the same
  way (the gap is the edge's own Python work);
- how much CPU the rest of the process (the recorder's writer thread) spends per click;
- a cProfile of the request path, sorted by own time and by cumulative time.

This is a tool for developers; it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import httpx

from benchmarks.accord_server import create_brand, fixture_steps, sqlite_url
from benchmarks.floor_app import app as floor_app

App = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


def click_scope(code: str, port: int = 8000) -> dict[str, Any]:
    """An ASGI HTTP scope like the one granian builds for wrk's `GET /c/{code}`."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", port),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": "GET",
        "root_path": "",
        "path": f"/c/{code}",
        "raw_path": f"/c/{code}".encode(),
        "query_string": b"",
        "headers": [(b"host", f"127.0.0.1:{port}".encode())],
        "state": {},
    }


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _drive(app: App, scopes: list[dict[str, Any]], count: int) -> float:
    """Call `app` `count` times; returns the wall time per call in microseconds."""
    statuses: list[int] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for i in range(count):
        await app(dict(scopes[i % len(scopes)]), _receive, send)
    elapsed = time.perf_counter() - started
    wrong = [s for s in statuses if s != 302]
    if wrong:
        raise RuntimeError(f"{len(wrong)} responses were not 302, e.g. {wrong[0]}")
    return elapsed / count * 1e6


async def _lifespan(app: App) -> tuple[asyncio.Queue[dict[str, Any]], asyncio.Task[None]]:
    """Start the app's lifespan; returns the queue to send shutdown to and the task."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    started = asyncio.Event()

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete":
            started.set()
        elif message["type"] == "lifespan.startup.failed":
            raise RuntimeError(message.get("message", "startup failed"))

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    await asyncio.wait_for(started.wait(), 30)
    return inbox, task


async def _setup_links(app: App, api_key: str) -> list[str]:
    """The benchmark's program, partners and links over the REST API, in-process."""
    headers = {"authorization": f"Bearer {api_key}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench/api/v1", headers=headers
    ) as http:

        async def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await http.post(path, json=body)
            if response.status_code >= 300:
                raise RuntimeError(f"POST {path}: {response.status_code} {response.text}")
            return response.json()

        steps = fixture_steps()
        try:
            request = next(steps)
            while True:
                request = steps.send(await post(*request))
        except StopIteration as done:
            _program, _partners, codes = done.value
    return codes


async def profile(requests: int, top: int) -> str:
    """Run the comparison and the profile; returns the report."""
    work = Path(tempfile.mkdtemp(prefix="accord-profile-"))
    try:
        # Other ACCORD_* settings pass through: e.g. ACCORD_SPOOL=false profiles without it.
        os.environ["ACCORD_DATA_DIR"] = str(work)
        os.environ["ACCORD_DATABASE_URL"] = sqlite_url(work)
        api_key = create_brand(os.environ["ACCORD_DATABASE_URL"])
        from accord.server import app_from_env

        app = app_from_env()
        inbox, task = await _lifespan(app)
        try:
            scopes = [click_scope(code) for code in await _setup_links(app, api_key)]
            await _drive(app, scopes, 2000)  # fill the link cache, warm everything up
            await _drive(floor_app, scopes, 2000)
            floor_us = await _drive(floor_app, scopes, requests)
            cpu0, thread0 = time.process_time(), time.thread_time()
            accord_us = await _drive(app, scopes, requests)
            await asyncio.sleep(0.3)  # let the writer store the last batch
            cpu1, thread1 = time.process_time(), time.thread_time()
            profiler = cProfile.Profile()
            profiler.enable()
            await _drive(app, scopes, requests)
            profiler.disable()
        finally:
            await inbox.put({"type": "lifespan.shutdown"})
            await asyncio.wait_for(task, 30)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    main_us = (thread1 - thread0) / requests * 1e6
    other_us = ((cpu1 - cpu0) - (thread1 - thread0)) / requests * 1e6
    out = io.StringIO()
    out.write(
        f"{requests:,} in-process calls of GET /c/{{code}} (no server, no network)\n"
        f"  trivial raw ASGI 302 app: {floor_us:7.1f} us per request\n"
        f"  Accord's app:             {accord_us:7.1f} us per request (wall, event-loop thread)\n"
        f"    CPU in the event-loop thread: {main_us:7.1f} us per click\n"
        f"    CPU in other threads (the recorder writing batches): {other_us:7.1f} us per click\n"
        f"  so one core could answer at most ~{1e6 / (accord_us + other_us):,.0f} clicks/s "
        f"before the HTTP server's own cost (the raw app: ~{1e6 / floor_us:,.0f}/s)\n\n"
    )
    for order in ("tottime", "cumulative"):
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
    return out.getvalue()


def main() -> None:
    """Command line: `python -m benchmarks.profile_edge [--requests N] [--top N]`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000, help="Calls to time (20,000).")
    parser.add_argument("--top", type=int, default=30, help="Rows of the profile to print (30).")
    args = parser.parse_args()
    print(asyncio.run(profile(args.requests, args.top)))


if __name__ == "__main__":
    main()
