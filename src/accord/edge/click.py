"""The click endpoint, `GET /c/{code}`: a raw ASGI callable, no framework on the hot path.

Links are cached in memory (warmed at start, filled on a miss); the click is buffered for
the recorder's next batch and the browser gets its 302 straight away.
"""

from __future__ import annotations

import time

import anyio.to_thread

from accord.edge.recorder import ClickRecorder
from accord.store.engine import Store
from accord.tracking.model import LinkTarget, new_click_id, redirect_url
from accord.tracking.service import all_link_targets, click_row, link_target

PREFIX = "/c/"
MISS_TTL = 5.0

_NOT_FOUND = b'{"error":{"code":"not_found","message":"unknown or inactive tracking link"}}'
_NOT_ALLOWED = b'{"error":{"code":"method_not_allowed","message":"use GET"}}'


class ClickEdge:
    def __init__(self, store: Store, recorder: ClickRecorder) -> None:
        self._store = store
        self._recorder = recorder
        self._links: dict[str, LinkTarget] = {}
        self._misses: dict[str, float] = {}

    def warm(self) -> int:
        self._links = all_link_targets(self._store)
        return len(self._links)

    def forget(self, code: str) -> None:
        self._links.pop(code, None)

    def _lookup(self, code: str) -> LinkTarget | None:
        with self._store.read() as session:
            return link_target(session, code)

    async def _resolve(self, code: str) -> LinkTarget | None:
        target = self._links.get(code)
        if target is not None:
            return target
        missed = self._misses.get(code)
        if missed is not None and time.monotonic() - missed < MISS_TTL:
            return None
        target = await anyio.to_thread.run_sync(self._lookup, code)
        if target is None:
            self._misses[code] = time.monotonic()
            if len(self._misses) > 100_000:
                self._misses.clear()
        else:
            self._links[code] = target
            self._misses.pop(code, None)
        return target

    async def __call__(self, scope, receive, send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await _respond(send, 405, _NOT_ALLOWED, [(b"allow", b"GET, HEAD")])
            return
        code = scope["path"][len(PREFIX) :].strip("/")
        target = await self._resolve(code) if code else None
        if target is None:
            await _respond(send, 404, _NOT_FOUND)
            return
        user_agent = referrer = None
        for name, value in scope["headers"]:
            if name == b"user-agent":
                user_agent = value.decode("latin-1")
            elif name == b"referer":
                referrer = value.decode("latin-1")
        if scope["method"] == "HEAD":  # link checkers and prefetchers: answer, count nothing
            await _redirect(send, target.destination_url)
            return
        client = scope.get("client")
        click_id = new_click_id()
        self._recorder.add(
            click_row(
                target,
                click_id,
                self._store.clock.now(),
                client[0] if client else None,
                user_agent,
                referrer,
            )
        )
        await _redirect(send, redirect_url(target.destination_url, target.click_id_param, click_id))


async def _redirect(send, location: str) -> None:
    # Destinations are stored as ASCII URIs (see accord.programs.model.check_url).
    await send(
        {
            "type": "http.response.start",
            "status": 302,
            "headers": [
                (b"location", location.encode("ascii", "replace")),
                (b"cache-control", b"no-store"),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})


async def _respond(send, status: int, body: bytes, extra=()) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *extra,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
