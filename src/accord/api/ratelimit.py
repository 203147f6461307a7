"""Rate limits on the REST API and the browser endpoints, per API key and per address.

One ASGI middleware, outside the body limits, so that a refused request costs no more than
a counter: it answers 429 `rate_limited` with `Retry-After` (seconds) and reads nothing.

- `/api/v1/...` with a key this process has seen authenticate: counted per key (a hash of
  the token, never the token itself, and no database lookup), conversion writes
  (`POST /api/v1/conversions`, its batch, imports and reversals: a batch is one request) in
  their own, larger allowance (`rate_limit_ingest`) than every other call
  (`rate_limit_key`).
- `/api/v1/...` without a key, or with one not yet seen to authenticate here: counted per
  client address (`rate_limit_anonymous`). A key that then authenticates (the API's
  `get_caller` leaves the caller in the request's state) is remembered and counted per key
  from then on; one that is refused (401) is forgotten, and the refusal counts against the
  address, so guessing keys is as slow as sending none.
- `POST /t/events`, `POST /t/leads` and `GET /t/pixel.gif`: per address
  (`rate_limit_browser`) and per program named in the event
  (`rate_limit_browser_program`). Refusals on the POSTs carry the routes' CORS headers so
  that the tag can read them.

Clicks (`/c/`, `/i/`) never reach this application (accord.server routes them to the edge),
the JS tag, the docs, the console and the portal are not limited here (the console's and
the portal's sign-in have their own throttles, accord.web.throttle).

The counts are sliding-window counters of the `limits` library: in this process's memory
by default, or in Redis (`ACCORD_RATE_LIMIT_STORAGE=redis://host:6379/0`) so that every
worker and machine shares them. If Redis cannot be reached, requests pass (it is logged,
and Redis is tried again a few seconds later): a counter's outage never stops ingestion.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import time
import weakref
from collections import OrderedDict
from urllib.parse import parse_qsl

import limits
import limits.aio.storage
import limits.aio.strategies
import limits.errors
import limits.storage
import limits.strategies
from starlette.requests import Request

from accord.api.routes.browser import CORS
from accord.api.schemas import ErrorResponse
from accord.errors import AccordError
from accord.settings import Settings
from accord.web.pages import peer

log = logging.getLogger("accord.ratelimit")

API_PREFIX = "/api/v1/"
#: Conversion writes, counted in the key's ingestion allowance (POST only).
INGEST_PATHS = ("/api/v1/conversions", "/api/v1/reversals/")
EVENTS_PATH = "/t/events"
#: The tag's page views and events for leads: limited as browser events are.
LEADS_PATH = "/t/leads"
PIXEL_PATH = "/t/pixel.gif"
#: The most of a /t/events body read here to find its program (the route's own limit);
#: a larger body is passed on unread for the body limits to refuse.
PEEK_LIMIT = 64 * 1024
#: API keys remembered as authenticated, per process (least recently used forgotten).
KNOWN_KEYS = 10_000
#: How long to leave Redis alone after it failed, in seconds (requests pass meanwhile).
STORAGE_PAUSE = 5.0
STORAGE_TIMEOUT = 0.5  # seconds, to connect to Redis and for each command
KEY_PREFIX = "accord-rate"


class RateLimited(AccordError):
    code = "rate_limited"
    status = 429


#: The documented answer, added to every limited operation of the OpenAPI schema.
RESPONSE_429 = {
    "description": "Too many requests: wait the seconds in `Retry-After`, then retry",
    "headers": {
        "Retry-After": {
            "description": "Seconds to wait before the next request is admitted",
            "schema": {"type": "integer"},
        }
    },
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}},
}


def limited(path: str, method: str) -> bool:
    """Whether requests to this OpenAPI path and method are rate-limited."""
    if path.startswith(API_PREFIX):
        return True
    return (path, method.upper()) in ((EVENTS_PATH, "POST"), (LEADS_PATH, "POST"),
                                      (PIXEL_PATH, "GET"))  # fmt: skip


def document(schema: dict) -> dict:
    """Add the 429 answer to every limited operation of an OpenAPI schema (once)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorResponse" not in components:
        models = ErrorResponse.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(models.pop("$defs", {}))
        components["ErrorResponse"] = models
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and limited(path, method):
                operation.setdefault("responses", {}).setdefault("429", RESPONSE_429)
    return schema


class _Counters:
    """The limits library's sliding-window counters over memory or Redis; `hit` answers 0
    when the request is admitted, else the seconds to wait."""

    def __init__(self, storage_url: str | None) -> None:
        self.url = storage_url
        self._memory = None
        if not storage_url:
            self._memory = limits.strategies.SlidingWindowCounterRateLimiter(
                limits.storage.MemoryStorage()
            )
        else:
            self._check(storage_url)
        # Redis clients belong to the event loop that made them: one limiter per loop.
        self._by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._paused_until = 0.0
        self._warned = 0.0

    @staticmethod
    def _check(url: str) -> None:
        scheme = url.partition("://")[0]
        if "async+" + scheme not in limits.aio.storage.RedisStorage.STORAGE_SCHEME:
            raise ValueError(f"unsupported rate limit storage {scheme}://; use redis://")

    def _limiter(self):
        loop = asyncio.get_running_loop()
        limiter = self._by_loop.get(loop)
        if limiter is None:
            storage = limits.storage.storage_from_string(
                "async+" + self.url,
                implementation="redispy",
                key_prefix=KEY_PREFIX,
                wrap_exceptions=True,
                socket_timeout=STORAGE_TIMEOUT,
                socket_connect_timeout=STORAGE_TIMEOUT,
            )
            limiter = limits.aio.strategies.SlidingWindowCounterRateLimiter(storage)
            self._by_loop[loop] = limiter
        return limiter

    async def hit(self, item: limits.RateLimitItem, *identifiers: str) -> int:
        if self._memory is not None:
            if self._memory.hit(item, *identifiers):
                return 0
            reset = self._memory.get_window_stats(item, *identifiers).reset_time
            return max(1, math.ceil(reset - time.time()))
        now = time.monotonic()
        if now < self._paused_until:
            return 0
        try:
            limiter = self._limiter()
            if await limiter.hit(item, *identifiers):
                return 0
            reset = (await limiter.get_window_stats(item, *identifiers)).reset_time
            return max(1, math.ceil(reset - time.time()))
        except limits.errors.StorageError as error:
            self._paused_until = now + STORAGE_PAUSE
            if now - self._warned > 60:
                self._warned = now
                log.warning("rate limit storage failed, requests pass unlimited: %s", error)
            return 0


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def _bearer(scope) -> bytes | None:
    """The token of an `Authorization: Bearer ...` header, as the API reads it."""
    value = _header(scope, b"authorization")
    if not value:
        return None
    scheme, _, token = value.partition(b" ")
    token = token.strip()
    return token if scheme.lower() == b"bearer" and token else None


def _program_in_query(scope) -> str | None:
    raw = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(raw, keep_blank_values=True):
        if name == "program_id":
            return value[:64] or None
    return None


def _program_in_body(raw: bytes) -> str | None:
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return None  # the route says what is wrong with it
    value = data.get("program_id") if isinstance(data, dict) else None
    return value[:64] if isinstance(value, str) and value else None


class RateLimits:
    """The ASGI middleware (see the module's docstring)."""

    def __init__(self, app, settings: Settings) -> None:
        self.app = app
        self.enabled = settings.rate_limits
        self.key = limits.parse(settings.rate_limit_key)
        self.ingest = limits.parse(settings.rate_limit_ingest)
        self.anonymous = limits.parse(settings.rate_limit_anonymous)
        self.browser = limits.parse(settings.rate_limit_browser)
        self.program = limits.parse(settings.rate_limit_browser_program)
        self.counters = _Counters(settings.rate_limit_storage) if self.enabled else None
        self._known: OrderedDict[str, None] = OrderedDict()

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if path.startswith(API_PREFIX):
            await self._api(scope, receive, send)
        elif path in (EVENTS_PATH, LEADS_PATH) and method == "POST":
            await self._browser(scope, receive, send, CORS)
        elif path == PIXEL_PATH and method in ("GET", "HEAD"):
            await self._browser(scope, receive, send, {})
        else:
            await self.app(scope, receive, send)

    # the API -------------------------------------------------------------------------

    async def _api(self, scope, receive, send) -> None:
        token = _bearer(scope)
        key = hashlib.sha256(token).hexdigest()[:32] if token else None
        ingest = scope["method"] == "POST" and scope["path"].startswith(INGEST_PATHS)
        item, bucket = (self.ingest, "ingest") if ingest else (self.key, "key")
        state = scope.setdefault("state", {})  # where the API leaves its caller
        if key is not None and key in self._known:
            self._known.move_to_end(key)
            wait = await self.counters.hit(item, bucket, key)
            if wait:
                what = "conversion writes" if ingest else "requests"
                await _refuse(send, wait, f"this API key sent too many {what}", {})
                return
            status = await _run(self.app, scope, receive, send)
            if status == 401 and "caller" not in state:  # revoked: back to the address
                self._known.pop(key, None)
                await self.counters.hit(self.anonymous, "anonymous", self._address(scope))
            return
        wait = await self.counters.hit(self.anonymous, "anonymous", self._address(scope))
        if wait:
            message = "too many requests without a valid API key from this address"
            await _refuse(send, wait, message, {})
            return
        await self.app(scope, receive, send)
        if key is not None and "caller" in state:
            self._known[key] = None
            if len(self._known) > KNOWN_KEYS:
                self._known.popitem(last=False)
            await self.counters.hit(item, bucket, key)

    # the browser endpoints -----------------------------------------------------------

    async def _browser(self, scope, receive, send, headers: dict[str, str]) -> None:
        wait = await self.counters.hit(self.browser, "browser", self._address(scope))
        if wait:
            await _refuse(send, wait, "too many browser events from this address", headers)
            return
        if scope["path"] == PIXEL_PATH:
            program = _program_in_query(scope)
        else:
            program, receive = await _peek(receive)
        if program is not None:
            wait = await self.counters.hit(self.program, "program", program)
            if wait:
                await _refuse(send, wait, "too many browser events for this program", headers)
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _address(scope) -> str:
        return peer(Request(scope))


async def _run(app, scope, receive, send) -> int | None:
    """Run the application; returns the status it answered with."""
    status = None

    async def watched(message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    await app(scope, receive, watched)
    return status


async def _peek(receive):
    """The program a /t/events body names, and a `receive` that hands the body on unread."""
    messages, size, complete = [], 0, False
    while size <= PEEK_LIMIT:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            complete = True
            break
    program = None
    if complete and size <= PEEK_LIMIT:
        program = _program_in_body(b"".join(m.get("body", b"") for m in messages))
    replay = iter(messages)

    async def replayed():
        for message in replay:
            return message
        return await receive()

    return program, replayed


async def _refuse(send, wait: int, message: str, headers: dict[str, str]) -> None:
    error = RateLimited(f"{message}; retry in {wait} s")
    body = json.dumps({"error": error.as_dict()}).encode()
    head = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(wait).encode()),
        *((name.encode(), value.encode()) for name, value in headers.items()),
    ]
    await send({"type": "http.response.start", "status": 429, "headers": head})
    await send({"type": "http.response.body", "body": body})
