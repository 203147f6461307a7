"""Tracking rules: link codes, click ids and the redirect target. Pure, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from accord.errors import InvalidInput
from accord.ids import ulid

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,63}$")
PROMO_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{1,63}$")


SUB_IDS = ("sub1", "sub2", "sub3", "sub4", "sub5")
DEEP_LINK_PARAM = "url"
#: Query parameters the click edge reads itself; every other one passes through (UTM tags).
RESERVED = frozenset({*SUB_IDS, DEEP_LINK_PARAM})
SUB_ID_MAX = 255
NETLOC_MAX = 255  # a host and port longer than a DNS name can be is not a site
#: A deep link's host: what a DNS name is written with (an internationalized one in punycode).
HOST_PATTERN = re.compile(r"[A-Za-z0-9._-]+")
PORT_PATTERN = re.compile(r"[0-9]{1,5}")


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What the click edge needs to answer a click, cached in memory."""

    link_id: str
    program_id: str
    partner_id: str
    destination_url: str
    click_id_param: str
    default_landing_url: str = ""
    permitted_domains: tuple[str, ...] = field(default_factory=tuple)
    duplicate_seconds: int = 30
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and now >= self.expires_at


def host_permitted(host: str, permitted: tuple[str, ...]) -> bool:
    """Is `host` one of the permitted names? A rule starting with "." admits subdomains.

    `shop.example` admits only itself; `.example` admits `example` and `www.example` but
    never `example.evil.test` or `evilexample`.
    """
    host = host.lower().rstrip(".")
    for rule in permitted:
        rule = rule.lower().rstrip(".")
        if rule.startswith("."):
            base = rule[1:]
            if host == base or host.endswith("." + base):
                return True
        elif host == rule:
            return True
    return False


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def deep_link(requested: str | None, target: LinkTarget) -> str:
    """The page a click lands on: the requested deep link when it is safe, else the link's.

    A deep link is safe when it is a path on the landing page's site (`/products/42`) or an
    absolute http(s) URL on a permitted host. It may hold no backslash, whitespace, control
    character or DEL anywhere; its host only letters, digits, '.', '-' and '_' (no user
    name, percent-encoding or non-ASCII letter: permitted domains are stored in ASCII, so an
    internationalized host is written in punycode) and a port, when given, 1 to 65535.
    Anything else falls back to the link's own destination, which is never an open redirect
    and always fits in a Location header.
    """
    if not requested:
        return target.destination_url
    if any(ord(ch) <= 32 or ch in "\\\x7f" for ch in requested):
        return target.destination_url
    landing = target.default_landing_url or target.destination_url
    if requested.startswith("/") and not requested.startswith("//"):
        candidate = _origin(landing) + requested
    else:
        candidate = requested
    try:
        parts = urlsplit(candidate)
    except ValueError:  # a bracket without its pair, or a host that normalizes badly
        return target.destination_url
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return target.destination_url
    if "@" in parts.netloc or "%" in parts.netloc or not parts.hostname:
        return target.destination_url
    if not parts.netloc.isascii() or len(parts.netloc) > NETLOC_MAX:
        return target.destination_url
    host, colon, port = parts.netloc.partition(":")
    if not HOST_PATTERN.fullmatch(host):
        return target.destination_url
    if colon and not (PORT_PATTERN.fullmatch(port) and 1 <= int(port) <= 65535):
        return target.destination_url
    allowed = (
        *target.permitted_domains,
        urlsplit(landing).hostname or "",
        urlsplit(target.destination_url).hostname or "",
    )
    if not host_permitted(parts.hostname, tuple(a for a in allowed if a)):
        return target.destination_url
    return urlunsplit(
        (
            parts.scheme,
            parts.netloc.lower(),
            quote(parts.path, safe="/%:@!$&'()*+,;=-._~"),
            quote(parts.query, safe="/%:@!$&'()*+,;=-._~?"),
            quote(parts.fragment, safe="/%:@!$&'()*+,;=-._~?"),
        )
    )


def passthrough(query: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The click's query parameters that go on to the landing page (UTM tags and the like)."""
    return [(k, v) for k, v in query if k not in RESERVED]


def sub_ids(query: list[tuple[str, str]]) -> dict[str, str | None]:
    """sub1..sub5 from the click's query, without NUL characters (a database text column
    cannot hold them) and cut to 255 characters."""
    found: dict[str, str | None] = dict.fromkeys(SUB_IDS)
    for key, value in query:
        if key in found and found[key] is None:
            found[key] = value.replace("\x00", "")[:SUB_ID_MAX]
    return found


def check_link_code(code: str) -> str:
    if not CODE_PATTERN.fullmatch(code):
        raise InvalidInput(
            "code", "use 3-64 letters, digits, '-' or '_', starting with a letter or digit"
        )
    return code


def normalize_promo_code(code: str, field: str = "promo_code") -> str:
    """Promo codes compare case-insensitively; they are stored upper case."""
    code = code.strip()
    if not PROMO_PATTERN.fullmatch(code):
        raise InvalidInput(field, "use 2-64 letters, digits, '-' or '_'")
    return code.upper()


def new_click_id() -> str:
    """A time-ordered click id, minted at the edge without the database."""
    return f"clk_{ulid()}"


def redirect_url(
    destination: str, param: str, click_id: str | None, extra: list[tuple[str, str]] = ()
) -> str:
    """The destination with passed-through parameters and the click id appended.

    Parameters from the click replace those of the same name in the destination; the click
    id parameter is always Accord's own.
    """
    if not extra and f"{param}=" not in destination:
        # The common case, on the hot path: nothing to merge, just append the click id.
        if click_id is None:
            return destination
        base, hash_mark, fragment = destination.partition("#")
        joiner = "&" if "?" in base else "?"
        if base.endswith(("?", "&")):
            joiner = ""
        return f"{base}{joiner}{param}={click_id}{hash_mark}{fragment}"  # ids are URL-safe
    parts = urlsplit(destination)
    override = {k for k, _ in extra} | {param}
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in override]
    query.extend((k, v) for k, v in extra if k != param)
    if click_id is not None:
        query.append((param, click_id))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))
