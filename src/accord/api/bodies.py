"""Reading request bodies safely: size limits, JSON depth, text the store can hold, strict
UTF-8 forms and query strings.

Every body the application reads passes through here:

- `BodyLimits`, an ASGI middleware, refuses a body larger than its route's limit with 413
  before reading it (a declared Content-Length), or as soon as a streamed body passes the
  limit. For JSON bodies of routes that let FastAPI parse them, it also refuses nesting
  deeper than `MAX_DEPTH` and control characters, naming the field, before any parser sees
  them. Routes that read their body by hand (conversions) do these checks themselves so
  that a refusal can be kept as a rejected event.
- `read_json`, `parse_json`, `form_data` and `decode_query` are what such routes call.
- `printable` and `keep` turn what was sent into text any store can keep (PostgreSQL text
  cannot hold NUL), losing nothing: undecodable bytes and NUL are percent-encoded.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import unquote_to_bytes

from accord.conversions.model import from_form
from accord.conversions.service import keep_rejected
from accord.errors import AccordError, InvalidInput, InvalidRequest
from accord.inputs import (
    MAX_DEPTH,
    STRICT,
    TEXT,
    check_depth,
    check_text,
    refused_characters,
    why_refused,
)

KiB = 1024
MiB = 1024 * KiB

#: Where the middleware leaves the route's limit for `read_body`.
LIMIT_KEY = "accord.body_limit"


class TooLarge(AccordError):
    """The body is larger than the route accepts."""

    code = "too_large"
    status = 413

    def __init__(self, limit: int, field: str = "body") -> None:
        super().__init__(
            f"{field}: larger than {limit:,} bytes ({_human(limit)}), the most this "
            "endpoint accepts; send less at a time (split a batch or a file)",
            field=field,
        )
        self.limit = limit


def _human(size: int) -> str:
    if size >= MiB and size % MiB == 0:
        return f"{size // MiB} MiB"
    if size >= KiB and size % KiB == 0:
        return f"{size // KiB} KiB"
    return f"{size:,} bytes"


_MAYBE_CONTROL = re.compile(rb"\\(?:u00[01]|u[dD][89a-fA-F]|[bfnr])")


def parse_json(
    raw: bytes | str, *, allow: str | None = STRICT, field: str = "body", depth: int = MAX_DEPTH
) -> Any:
    """JSON text as data, refused with 422 naming `field` (or the field inside it) when it
    is not JSON, is nested deeper than `depth`, or holds a control character outside
    `allow` (None: do not look at the text)."""
    check_depth(raw, depth, field)
    try:
        data = json.loads(raw)
    except RecursionError:  # pragma: no cover - check_depth stops this first
        raise InvalidInput(field, f"is nested deeper than {depth} levels") from None
    except ValueError as error:
        detail = f": {error}" if isinstance(error, json.JSONDecodeError) else " (not UTF-8)"
        if field == "body":
            raise InvalidRequest([{"field": field, "message": "is not valid JSON"}]) from None
        raise InvalidInput(field, f"is not valid JSON{detail}") from None
    if allow is not None:
        check_text(data, allow, "" if field == "body" else field)
    return data


# Reading ------------------------------------------------------------------------------------


async def read_body(request, limit: int | None = None) -> bytes:
    """The request body, refused with 413 past `limit` (by default the route's limit set by
    `BodyLimits`, which also stops a streamed body at that limit while it arrives)."""
    if limit is None:
        limit = request.scope.get(LIMIT_KEY, MiB)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(limit)
    raw = await request.body()
    if len(raw) > limit:
        raise TooLarge(limit)
    return raw


async def read_json(request, limit: int | None = None, *, allow: str | None = STRICT) -> Any:
    """The JSON body as data: size, depth and text checked (see `parse_json`)."""
    return parse_json(await read_body(request, limit), allow=allow)


# Forms and query strings --------------------------------------------------------------------


def _unquote(raw: bytes, field: str, allow: str) -> str:
    data = unquote_to_bytes(raw.replace(b"+", b" "))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        bad = data[error.start]
        raise InvalidInput(
            field,
            f"is not valid UTF-8 (byte 0x{bad:02X} at position {error.start}); "
            "send text as percent-encoded UTF-8",
        ) from None
    found = refused_characters(allow).search(text)
    if found:
        raise InvalidInput(field, why_refused(found.group()))
    return text


def decode_pairs(raw: bytes | str, allow: str = STRICT) -> list[tuple[str, str]]:
    """`a=1&b=%C3%A9` as (name, value) pairs, decoded strictly: a name or value that is not
    UTF-8, or holds a control character outside `allow`, is refused naming the field."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    pairs = []
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        key = _unquote(name, "body", allow)
        pairs.append((key, _unquote(value, key or "body", allow)))
    return pairs


def decode_form(raw: bytes, allow: str = STRICT) -> list[tuple[str, str]]:
    """A form body (`application/x-www-form-urlencoded`) as pairs; see `decode_pairs`."""
    return decode_pairs(raw, allow)


def decode_query(raw: bytes | str, allow: str = STRICT) -> list[tuple[str, str]]:
    """A query string (`request.scope["query_string"]`) as pairs; see `decode_pairs`."""
    return decode_pairs(raw, allow)


def form_data(raw: bytes) -> dict[str, object]:
    """A form-encoded conversion as the JSON body it stands for, decoded strictly; `items`
    (JSON in a form field) is checked for depth and text too."""
    pairs = decode_form(raw)
    for key, value in pairs:
        if key == "items":
            check_depth(value, field="items")
    data = from_form(pairs)
    check_text(data)
    return data


def form_data_kept(raw: bytes | str) -> tuple[dict[str, object], AccordError | None]:
    """A form or query string as a conversion's data and, when `form_data` refuses it, the
    error; the data then holds what was sent (bytes that are not UTF-8 percent-encoded,
    `items` as sent when it is too deep to read), so that the refusal can be kept.

    For endpoints that must find the program before they can keep a refusal (the pixel):
    `data, refused = form_data_kept(request.scope["query_string"])`, then raise `refused`
    where other refusals are kept.
    """
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    try:
        return form_data(raw), None
    except AccordError as error:
        refused = error
    pairs, items = [], None
    for part in raw.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        key, text = (
            unquote_to_bytes(s.replace(b"+", b" ")).decode("utf-8", "accord-percent")
            for s in (name, value)
        )
        if key == "items":
            items = text
        else:
            pairs.append((key, text))
    data = from_form(pairs)
    if items:
        data["items"] = items
    return data, refused


# Keeping what was refused -------------------------------------------------------------------


def _percent(error: UnicodeDecodeError) -> tuple[str, int]:
    bad = error.object[error.start : error.end]
    return "".join(f"%{b:02X}" for b in bad), error.end


codecs.register_error("accord-percent", _percent)


def printable(raw: bytes | str) -> str:
    """What was sent, as text any store keeps: UTF-8 as it is, undecodable bytes and NUL
    percent-encoded (`%FF`, `%00`)."""
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "accord-percent")
    return text.replace("\x00", "%00")


def keep(store, caller, kind: str, payload: object, error: AccordError) -> str:
    """Keep a refused request as a rejected event; raw bytes and text are made printable."""
    if isinstance(payload, bytes | str):
        payload = printable(payload)
    return keep_rejected(store, caller, kind, payload, error)


# The middleware -----------------------------------------------------------------------------


def error_response(error: AccordError, rejected_event_id: str | None = None) -> tuple[int, bytes]:
    body = error.as_dict()
    if rejected_event_id:
        body["rejected_event_id"] = rejected_event_id
    return error.status, json.dumps({"error": body}).encode()


async def _send_error(send, error: AccordError, rejected_event_id: str | None = None) -> None:
    status, body = error_response(error, rejected_event_id)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def check_parameters(scope) -> None:
    """Refuse a path or query string that is not UTF-8 or holds a control character (but
    tab), naming the query parameter, or `path`: such text is no id or value any route
    takes, and PostgreSQL cannot even compare a NUL."""
    decode_query(scope.get("query_string", b""))
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
    data = unquote_to_bytes(raw_path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            "path",
            f"is not valid UTF-8 (byte 0x{data[error.start]:02X} at position {error.start}); "
            "send text as percent-encoded UTF-8",
        ) from None
    found = refused_characters(STRICT).search(text)
    if found:
        raise InvalidInput("path", why_refused(found.group()))


def _check_encoding(raw: bytes) -> None:
    """Refuse JSON text that is not in the encoding it seems to be in (UTF-8, or UTF-16 or
    32 as `json.loads` detects them), as the by-hand routes' `parse_json` refuses it."""
    try:
        raw.decode(json.detect_encoding(raw))
    except UnicodeDecodeError:
        raise InvalidRequest([{"field": "body", "message": "is not valid JSON"}]) from None


def _is_json(content_type: str | None) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    return kind == "application/json" or (
        kind.startswith("application/") and kind.endswith("+json")
    )


class BodyLimits:
    """Refuses bodies larger than their route's limit with 413, before reading them.

    `limits` maps a path to its limit in bytes (a path ending in `*` is a prefix); other
    paths get `default`. JSON bodies are also checked for depth and control characters
    (free-text rules, `TEXT`), except on `by_hand` paths, whose handlers read the body with
    `read_json` or `form_data`. `on_refused(scope, raw, error)` may keep a refused body and
    return the rejected event's id. Under the `plain_parameters` path prefixes the path and
    the query string are decoded strictly too (`check_parameters`), so that no parameter
    reaches a route, or the store, holding NUL or bytes that are not UTF-8.
    """

    def __init__(
        self,
        app,
        limits: Mapping[str, int],
        *,
        default: int,
        by_hand: Collection[str] = (),
        on_refused=None,
        plain_parameters: tuple[str, ...] = (),
    ) -> None:
        self.app = app
        self.exact = {p: n for p, n in limits.items() if not p.endswith("*") and "{}" not in p}
        self.prefixes = sorted(
            ((p[:-1], n) for p, n in limits.items() if p.endswith("*")),
            key=lambda item: -len(item[0]),
        )
        #: "/a/{}/b": one path segment, any value, in place of the braces
        self.shapes = [(p.split("/"), n) for p, n in limits.items() if "{}" in p]
        self.default = default
        self.by_hand = frozenset(by_hand)
        self.on_refused = on_refused
        self.plain_parameters = plain_parameters

    def limit_for(self, path: str) -> int:
        if path in self.exact:
            return self.exact[path]
        parts = path.split("/")
        for shape, limit in self.shapes:
            if len(parts) == len(shape) and all(
                (want == "{}" and bool(got)) or want == got
                for want, got in zip(shape, parts, strict=True)
            ):
                return limit
        for prefix, limit in self.prefixes:
            if path.startswith(prefix):
                return limit
        return self.default

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        limit = self.limit_for(path)
        scope[LIMIT_KEY] = limit
        declared = _header(scope, b"content-length")
        if declared and declared.strip().isdigit() and int(declared) > limit:
            await _send_error(send, TooLarge(limit))
            return
        if self.plain_parameters and path.startswith(self.plain_parameters):
            try:
                check_parameters(scope)
            except AccordError as error:
                await _send_error(send, error)
                return
        if path not in self.by_hand and _is_json(_header(scope, b"content-type")):
            await self._checked_json(scope, receive, send, limit)
        else:
            await self._counted(scope, receive, send, limit)

    async def _checked_json(self, scope, receive, send, limit: int) -> None:
        """Read the (bounded) JSON body, refuse it if too deep or holding control
        characters, then hand it on as if unread."""
        chunks, size, messages = [], 0, []
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if size > limit:
                await _send_error(send, TooLarge(limit))
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        raw = b"".join(chunks)
        try:
            _check_encoding(raw)
            check_depth(raw)
            if _MAYBE_CONTROL.search(raw):
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = None  # invalid JSON: the route's parser says so
                check_text(data, TEXT)
        except AccordError as error:
            kept = await self.on_refused(scope, raw, error) if self.on_refused else None
            await _send_error(send, error, kept)
            return
        replay = iter(messages)

        async def replayed():
            for message in replay:
                return message
            return await receive()

        await self.app(scope, replayed, send)

    async def _counted(self, scope, receive, send, limit: int) -> None:
        """Pass the body on while counting it; past the limit, the route's reading fails
        and this answers 413 in place of whatever the route would have said."""
        size, over, started = 0, False, False

        async def counted():
            nonlocal size, over
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > limit:
                    over = True
                    raise TooLarge(limit)
            return message

        async def guarded(message):
            nonlocal started
            if over and not started:
                return  # the answer to a body cut short is the 413 below
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not over or started:
                raise
        if over and not started:
            await _send_error(send, TooLarge(limit))


def csv_text(raw: bytes) -> str:
    """A CSV upload as text: UTF-8 (with or without a byte order mark), or refused."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(
            "file",
            f"is not UTF-8 text (byte 0x{raw[error.start]:02X} at offset {error.start}); "
            "save it as CSV UTF-8",
        ) from None
