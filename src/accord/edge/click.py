"""The tracking edge: `GET /c/{code}` (clicks) and `GET /i/{code}` (impressions).

A raw ASGI callable, no framework on the hot path. Links are cached in memory (warmed at
start, filled on a miss, refreshed after `CACHE_TTL`); each event is handed to the
recorder, which spools it before the response is sent and stores it in the next batch.

A click URL takes `sub1`..`sub5` (stored with the click), `url` (a deep link, used only
when it is safe: see accord.tracking.model.deep_link) and any other parameter, which is
passed through to the landing page (UTM tags). An expired link sends the shopper to the
program's landing page without a click id. A repeat of the same IP, link and user agent
within the program's duplicate window is recorded but flagged as a duplicate.
"""

from __future__ import annotations

import time
from datetime import datetime
from urllib.parse import parse_qsl, unquote_to_bytes

import anyio.to_thread

from accord.edge.recorder import EventRecorder
from accord.store.engine import Store
from accord.tracking.model import (
    LinkTarget,
    deep_link,
    new_click_id,
    passthrough,
    redirect_url,
    sub_ids,
)
from accord.tracking.service import all_link_targets, click_row, impression_row, link_target

CLICK_PREFIX = "/c/"
IMPRESSION_PREFIX = "/i/"
MISS_TTL = 5.0
CACHE_TTL = 60.0
DUPLICATE_MEMORY = 200_000

_NOT_FOUND = b'{"error":{"code":"not_found","message":"unknown or inactive tracking link"}}'
_NOT_ALLOWED = b'{"error":{"code":"method_not_allowed","message":"use GET"}}'
# A transparent 1x1 GIF.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


class TrackingEdge:
    def __init__(
        self, store: Store, recorder: EventRecorder, trusted_proxies: frozenset[str] = frozenset()
    ) -> None:
        self._store = store
        self._recorder = recorder
        self._trusted = trusted_proxies
        self._links: dict[str, tuple[LinkTarget, float]] = {}
        self._misses: dict[str, float] = {}
        self._recent: dict[tuple[str | None, str, str | None], float] = {}

    def warm(self) -> int:
        loaded = time.monotonic()
        self._links = {code: (t, loaded) for code, t in all_link_targets(self._store).items()}
        return len(self._links)

    def forget(self, code: str) -> None:
        self._links.pop(code, None)

    def _lookup(self, code: str) -> LinkTarget | None:
        with self._store.read() as session:
            return link_target(session, code)

    async def _resolve(self, code: str) -> LinkTarget | None:
        now = time.monotonic()
        cached = self._links.get(code)
        if cached is not None and now - cached[1] < CACHE_TTL:
            return cached[0]
        missed = self._misses.get(code)
        if cached is None and missed is not None and now - missed < MISS_TTL:
            return None
        target = await anyio.to_thread.run_sync(self._lookup, code)
        if target is None:
            self._links.pop(code, None)
            self._misses[code] = now
            if len(self._misses) > 100_000:
                self._misses.clear()
        else:
            self._links[code] = (target, now)
            self._misses.pop(code, None)
        return target

    def _duplicate(
        self, target: LinkTarget, ip: str | None, agent: str | None, at: datetime
    ) -> bool:
        """Seen the same IP, link and user agent within the program's window?"""
        key = (ip, target.link_id, agent)
        stamp = at.timestamp()
        last = self._recent.get(key)
        self._recent[key] = stamp
        if len(self._recent) > DUPLICATE_MEMORY:
            horizon = stamp - 3600
            self._recent = {k: v for k, v in self._recent.items() if v > horizon}
        return last is not None and stamp - last < target.duplicate_seconds

    def _client_ip(self, scope) -> str | None:
        """The peer's address; behind a trusted proxy, the last untrusted X-Forwarded-For hop."""
        client = scope.get("client")
        peer = client[0] if client else None
        if peer is None or peer not in self._trusted:
            return peer
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
                hops = [h.strip() for h in value.decode("latin-1").split(",") if h.strip()]
                for hop in reversed(hops):
                    if hop not in self._trusted:
                        return hop[:64]
        return peer

    async def __call__(self, scope, receive, send) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await _respond(send, 405, _NOT_ALLOWED, [(b"allow", b"GET, HEAD")])
            return
        path = scope["path"]
        raw_query = scope.get("query_string", b"")
        raw_path = scope.get("raw_path") or b""
        if b"#" in raw_path:  # a fragment is no part of a request target: drop it, as
            # granian does before the request reaches here (and the native edge does)
            path = unquote_to_bytes(raw_path.partition(b"#")[0]).decode("utf-8", "replace")
            raw_query = b""
        elif b"#" in raw_query:
            raw_query = raw_query.partition(b"#")[0]
        impression = path.startswith(IMPRESSION_PREFIX)
        code = path[3:].strip("/")
        target = await self._resolve(code) if code else None
        if target is None:
            await _respond(send, 404, _NOT_FOUND)
            return
        now = self._store.clock.now()
        query = parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else []
        if impression:
            await self._impression(target, scope, query, now, send)
            return
        if target.expired(now):
            landing = target.default_landing_url or target.destination_url
            await _redirect(send, redirect_url(landing, target.click_id_param, None))
            return
        destination = deep_link(dict(query).get("url"), target)
        if method == "HEAD":  # link checkers and prefetchers: answer, count nothing
            await _redirect(send, destination)
            return
        agent, referrer, fetch_dest = _headers(scope)
        ip = self._client_ip(scope)
        click_id = new_click_id()
        self._recorder.add(
            "click",
            click_row(
                target,
                click_id,
                now,
                ip,
                agent,
                referrer,
                destination_url=destination,
                subs=sub_ids(query),
                duplicate=self._duplicate(target, ip, agent, now),
                fetch_dest=fetch_dest,
            ),
        )
        await _redirect(
            send, redirect_url(destination, target.click_id_param, click_id, passthrough(query))
        )

    async def _impression(self, target: LinkTarget, scope, query, now, send) -> None:
        if scope["method"] == "GET":
            agent, _, _ = _headers(scope)
            self._recorder.add(
                "impression",
                impression_row(
                    target,
                    new_click_id().replace("clk_", "imp_"),
                    now,
                    self._client_ip(scope),
                    agent,
                    sub_ids(query)["sub1"],
                ),
            )
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"image/gif"),
                    (b"content-length", str(len(PIXEL)).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": PIXEL})


def _headers(scope) -> tuple[str | None, str | None, str | None]:
    """The User-Agent, the Referer and how the browser fetched the link (Sec-Fetch-Dest)."""
    agent = referrer = fetch = None
    for name, value in scope["headers"]:
        if name == b"user-agent":
            agent = value.decode("latin-1")
        elif name == b"referer":
            referrer = value.decode("latin-1")
        elif name == b"sec-fetch-dest":
            fetch = value.decode("latin-1")[:16]
    return agent, referrer, fetch


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
