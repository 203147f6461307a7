"""Postback rules: URL templates with macros, Standard Webhooks signatures, the retry
schedule and the destination address check. Pure: time, randomness and DNS are passed in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import quote, urlsplit

from accord.errors import InvalidInput, Text
from accord.money import Money


class PostbackEventType(StrEnum):
    """What happened to a partner's commission; a postback endpoint picks the ones it wants."""

    CONVERSION_ATTRIBUTED = "conversion.attributed"
    COMMISSION_APPROVED = "commission.approved"
    COMMISSION_ADJUSTED = "commission.adjusted"
    COMMISSION_REVERSED = "commission.reversed"
    COMMISSION_PAID = "commission.paid"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


# macros -----------------------------------------------------------------------------------
SUB_IDS = ("sub1", "sub2", "sub3", "sub4", "sub5")
#: Macros a URL template may use; each is replaced by its URL-encoded value (or nothing).
MACROS = (
    "click_id",
    *SUB_IDS,
    "event",
    "event_type",
    "order_id",
    "amount",
    "payout",
    "currency",
    "status",
)
_MACRO = re.compile(r"\{([^{}]*)\}")
MAX_URL = 2000


def check_template(template: str, field: str = "url") -> str:
    """A postback URL template, or InvalidInput naming the field and any unknown macros.

    The template is an absolute http(s) URL whose path and query may hold macros such as
    `{click_id}`; macros in the scheme or host are refused, so that no conversion data can
    choose where Accord connects.
    """
    template = template.strip() if isinstance(template, str) else ""
    if not template:
        raise InvalidInput(field, "is required")
    if len(template) > MAX_URL:
        raise InvalidInput(field, Text("is longer than %(most)s characters", most=MAX_URL))
    if any(ord(ch) <= 32 or ord(ch) == 127 for ch in template):
        raise InvalidInput(field, "contains spaces or control characters; URL-encode them")
    names = _MACRO.findall(template)
    unknown = sorted({name for name in names if name not in MACROS})
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        known = ", ".join("{" + name + "}" for name in MACROS)
        raise InvalidInput(
            field,
            Text(
                "unknown macros %(listed)s; the known macros are %(known)s",
                listed=listed,
                known=known,
            ),
        )
    rest = _MACRO.sub("", template)
    if "{" in rest or "}" in rest:
        raise InvalidInput(field, "has an unmatched brace; macros look like {click_id}")
    parts = urlsplit(template)
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput(
            field, Text("%(url)s is not an absolute http(s) URL", url=repr(template))
        )
    if "{" in parts.netloc:
        raise InvalidInput(field, "macros are allowed in the path and query, not in the host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput(field, "must not contain a user name or password")
    try:
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        if not host:
            raise ValueError
        host.encode("idna")
    except (UnicodeError, ValueError):
        raise InvalidInput(
            field, Text("%(host)s is not a valid host and port", host=repr(parts.netloc))
        ) from None
    return template


def expand(template: str, values: Mapping[str, str | None]) -> str:
    """The template with each macro replaced by its value, URL-encoded (`&`, `/`, `=` too).

    A macro without a value becomes the empty string.
    """

    def value(match: re.Match[str]) -> str:
        return quote(values.get(match.group(1)) or "", safe="")

    return _MACRO.sub(value, template)


@dataclass(frozen=True, slots=True)
class PostbackEvent:
    """The facts a postback tells a partner about one of its commissions."""

    event: PostbackEventType
    commission_id: str
    conversion_id: str
    program_id: str
    order_id: str
    event_type: str
    amount: Money  # the order's amount, after reversals
    payout: Money  # the commission's current amount
    status: str  # the commission's status after the event
    click_id: str | None
    subs: tuple[str | None, ...]
    occurred_at: datetime  # when the event happened
    converted_at: datetime  # when the conversion happened

    def macros(self) -> dict[str, str | None]:
        """Values for the URL template's macros."""
        return {
            "click_id": self.click_id,
            **dict(zip(SUB_IDS, self.subs, strict=True)),
            "event": self.event.value,
            "event_type": self.event_type,
            "order_id": self.order_id,
            "amount": str(self.amount.quantized().amount),
            "payout": str(self.payout.quantized().amount),
            "currency": self.payout.currency,
            "status": self.status,
        }

    def body(self) -> str:
        """The JSON body sent (and signed) with every attempt."""
        values = self.macros()
        return json.dumps(
            {
                "event": self.event.value,
                "commission_id": self.commission_id,
                "conversion_id": self.conversion_id,
                "program_id": self.program_id,
                "order_id": self.order_id,
                "event_type": self.event_type,
                "amount": values["amount"],
                "payout": values["payout"],
                "currency": values["currency"],
                "status": self.status,
                "click_id": self.click_id,
                **{name: values[name] for name in SUB_IDS},
                "occurred_at": self.occurred_at.isoformat(),
                "converted_at": self.converted_at.isoformat(),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )


def check_events(events: Iterable[str] | None, field: str = "events") -> list[str]:
    """The event types an endpoint wants (all when None), or InvalidInput naming the unknown."""
    if events is None:
        return [e.value for e in PostbackEventType]
    wanted = list(dict.fromkeys(events))
    if not wanted:
        raise InvalidInput(field, "name at least one event, or leave it out for all events")
    known = {e.value for e in PostbackEventType}
    unknown = [e for e in wanted if e not in known]
    if unknown:
        raise InvalidInput(
            field,
            Text(
                "unknown events %(unknown)s; use any of: %(known)s",
                unknown=", ".join(map(repr, unknown)),
                known=", ".join(e.value for e in PostbackEventType),
            ),
        )
    return wanted


# signatures (Standard Webhooks) -----------------------------------------------------------
SECRET_PREFIX = "whsec_"
SIGNATURE_TOLERANCE = timedelta(minutes=5)


class SignatureError(ValueError):
    """A webhook whose signature or timestamp does not check out."""


def format_secret(raw: bytes) -> str:
    """A signing secret as shown to partners: `whsec_` and the key in base64."""
    if len(raw) < 24:
        raise ValueError("a signing key needs at least 24 random bytes")
    return SECRET_PREFIX + base64.b64encode(raw).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a `whsec_...` secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """`v1,` and base64(HMAC-SHA256(key, "{id}.{timestamp}.{body}")), as Standard Webhooks."""
    content = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, message_id: str, timestamp: int, body: str) -> dict[str, str]:
    """The headers of one attempt: webhook-id, webhook-timestamp and webhook-signature."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: str | bytes,
    now: datetime,
    tolerance: timedelta = SIGNATURE_TOLERANCE,
) -> None:
    """Check a received postback as a partner would; raise SignatureError if it is not ours.

    The timestamp must be within `tolerance` of `now` (against replays), and one of the
    space-separated `v1,` signatures must match.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        message_id = lower["webhook-id"]
        timestamp = int(lower["webhook-timestamp"])
        offered = lower["webhook-signature"].split()
    except (KeyError, ValueError):
        raise SignatureError("missing or malformed webhook-* headers") from None
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        raise SignatureError("the timestamp is too far from now")
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    expected = sign(secret, message_id, timestamp, text)
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise SignatureError("no signature matches")


# retries ----------------------------------------------------------------------------------
#: Wait after the 1st, 2nd, ... failed attempt.
RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
    timedelta(hours=24),
)
#: No attempt is made later than this after the first.
MAX_SPAN = timedelta(hours=72)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def retry_at(first_due: datetime, attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed attempts, or None when the schedule is over.

    A worker that runs late never pushes an attempt past MAX_SPAN after the first.
    """
    if attempts < 1:
        raise ValueError("retry_at is for deliveries that were attempted")
    deadline = first_due + MAX_SPAN
    if attempts >= MAX_ATTEMPTS or now >= deadline:
        return None
    return min(now + RETRY_DELAYS[attempts - 1], deadline)


def attempt_offsets() -> list[timedelta]:
    """When each attempt is made, after the first, if every attempt fails at once."""
    offsets = [timedelta(0)]
    for delay in RETRY_DELAYS:
        offsets.append(offsets[-1] + delay)
    return offsets


def delivered(status_code: int) -> bool:
    """A 2xx answer delivers a postback; anything else (redirects included) is retried."""
    return 200 <= status_code < 300


# destinations -----------------------------------------------------------------------------
#: Resolves a host name to IP address strings (socket.getaddrinfo in production).
Resolver = Callable[[str], Iterable[str]]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def refusal(address: Address) -> str | None:
    """Why Accord must not connect to `address`, or None for a public address.

    IPv6 forms that carry an IPv4 address (mapped, 6to4, Teredo) are judged by it.
    """
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour
        if inner is not None:
            return refusal(inner)
        if address.teredo is not None:
            return refusal(address.teredo[1])
        if address.is_site_local:
            return "site-local"
    checks = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not public", not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


def check_destination(url: str, resolve: Resolver, field: str = "url") -> list[Address]:
    """The addresses of the URL's host, or InvalidInput if any of them is not public.

    Every address the host resolves to is checked, so a name with one public and one private
    address is refused too.
    """
    host = urlsplit(url).hostname or ""
    addresses = _addresses(host, resolve, field)
    for address in addresses:
        reason = refusal(address)
        if reason:
            raise InvalidInput(
                field,
                Text(
                    "%(host)s resolves to %(address)s, a %(reason)s address; "
                    "postbacks are sent to public addresses only",
                    host=host,
                    address=address,
                    reason=reason,
                ),
            )
    return addresses


def _addresses(host: str, resolve: Resolver, field: str) -> list[Address]:
    """The host itself when it is an IP address, else what the resolver answers."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = list(dict.fromkeys(resolve(host)))
        addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    except (OSError, UnicodeError, ValueError):
        addresses = []
    if not addresses:
        raise InvalidInput(
            field, Text("the host %(host)s does not resolve to an IP address", host=repr(host))
        )
    return addresses
