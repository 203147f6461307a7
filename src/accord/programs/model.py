"""Program settings and their validation."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote, urlsplit, urlunsplit

from accord.errors import InvalidInput, Text
from accord.money import Money


@dataclass(frozen=True, slots=True)
class ProgramTerms:
    name: str
    currency: str
    default_landing_url: str
    attribution_window_days: int = 30
    locking_days: int = 30
    payout_threshold: Money | None = None
    click_id_param: str = "accord_click"
    permitted_domains: tuple[str, ...] = field(default_factory=tuple)
    duplicate_click_seconds: int = 30
    lock_policy: str = "after_event"
    auto_approve: bool = False
    payout_schedule: str = "manual"
    platform_fee_percent: Decimal = Decimal(0)
    listed: bool = False
    description: str = ""
    auto_approve_partners: bool = False
    view_through_hours: int = 24
    browser_events: str = "off"
    browser_event_max_age_minutes: int = 60
    #: None: a million units of the program's currency.
    max_order_amount: Money | None = None
    order_total_tolerance_percent: Decimal = Decimal(1)

    def validate(self) -> None:
        if not self.name.strip():
            raise InvalidInput("name", "must not be empty")
        if len(self.name.strip()) > 200:
            raise InvalidInput("name", "keep it under 200 characters")
        check_url(self.default_landing_url, "default_landing_url")
        if not 1 <= self.attribution_window_days <= 365:
            raise InvalidInput("attribution_window_days", "must be between 1 and 365")
        if not 0 <= self.locking_days <= 365:
            raise InvalidInput("locking_days", "must be between 0 and 365")
        if self.payout_threshold is not None and self.payout_threshold.amount < 0:
            raise InvalidInput("payout_threshold", "must not be negative")
        if not self.click_id_param.replace("_", "").isalnum():
            raise InvalidInput("click_id_param", "use letters, digits and underscores only")
        if not 0 <= self.duplicate_click_seconds <= 86_400:
            raise InvalidInput("duplicate_click_seconds", "must be between 0 and 86400")
        if len(self.permitted_domains) > 100:
            raise InvalidInput("permitted_domains", "at most 100 domains")
        for i, domain in enumerate(self.permitted_domains):
            check_domain(domain, f"permitted_domains[{i}]")
        if not 0 <= self.view_through_hours <= 720:
            raise InvalidInput("view_through_hours", "must be between 0 (off) and 720 (30 days)")
        if len(self.description) > 10_000:
            raise InvalidInput("description", "keep it under 10,000 characters")
        if self.lock_policy not in LOCK_POLICIES:
            raise InvalidInput(
                "lock_policy", Text("use one of: %(choices)s", choices=", ".join(LOCK_POLICIES))
            )
        if self.payout_schedule not in PAYOUT_SCHEDULES:
            raise InvalidInput(
                "payout_schedule",
                Text("use one of: %(choices)s", choices=", ".join(PAYOUT_SCHEDULES)),
            )
        if self.browser_events not in BROWSER_EVENTS:
            raise InvalidInput(
                "browser_events", Text("use one of: %(choices)s", choices=", ".join(BROWSER_EVENTS))
            )
        if not 1 <= self.browser_event_max_age_minutes <= 7 * 24 * 60:
            raise InvalidInput(
                "browser_event_max_age_minutes", "must be between 1 and 10080 (a week)"
            )
        if self.max_order_amount is not None and self.max_order_amount.amount <= 0:
            raise InvalidInput("max_order_amount", "must be more than zero")
        tolerance = self.order_total_tolerance_percent
        if not tolerance.is_finite() or not 0 <= tolerance <= 100:
            raise InvalidInput("order_total_tolerance_percent", "must be a percent from 0 to 100")
        fee = self.platform_fee_percent
        if not fee.is_finite() or not 0 <= fee <= 100 or fee.as_tuple().exponent < -4:  # type: ignore[operator]
            raise InvalidInput(
                "platform_fee_percent", "must be a percent from 0 to 100, at most 4 decimals"
            )


#: after_event: `locking_days` after the conversion; after_month_end: that many days after
#: the end of the conversion's month (UTC).
LOCK_POLICIES = ("after_event", "after_month_end")
#: What a program does with conversions reported by shoppers' browsers (the tag, the pixel):
#: off refuses them; held records them with their commissions held until the brand's server
#: confirms the order; signed accepts only events carrying a token the brand's server made.
BROWSER_EVENTS = ("off", "held", "signed")
#: The largest order a program accepts unless it says otherwise, in units of its currency.
DEFAULT_MAX_ORDER_MAJOR = 1_000_000
#: When `accord schedule run` pays: never by itself, Mondays, or the 1st of the month.
PAYOUT_SCHEDULES = ("manual", "weekly", "monthly")


_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def check_domain(domain: str, field: str) -> str:
    """A host name for deep links, lower case and IDNA-encoded; a leading "." admits
    subdomains (".shop.example")."""
    text = domain.strip().lower()
    wildcard = text.startswith(".")
    name = text[1:] if wildcard else text
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise InvalidInput(
            field, Text("%(domain)s is not a host name", domain=repr(domain))
        ) from None
    labels = ascii_name.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidInput(
            field,
            Text(
                "%(domain)s is not a host name such as shop.example or "
                ".shop.example (with subdomains)",
                domain=repr(domain),
            ),
        )
    return ("." if wildcard else "") + ascii_name


_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def check_url(url: str, field: str) -> str:
    """An absolute http(s) URL as plain ASCII, or an error naming the field.

    Non-ASCII paths and queries (`/日本/靴?颜色=红`) are percent-encoded as UTF-8, spaces
    become %20, and international host names are IDNA-encoded, so a redirect to it is valid.
    Control characters are refused.
    """
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise InvalidInput(field, "contains control characters (such as a line break)")
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidInput(field, Text("%(url)s is not an absolute http(s) URL", url=repr(url)))
    try:
        host = parts.hostname.encode("idna").decode("ascii")
        port = f":{parts.port}" if parts.port else ""
    except (UnicodeError, ValueError):
        raise InvalidInput(
            field, Text("%(host)s is not a valid host name", host=repr(parts.hostname))
        ) from None
    if parts.username or parts.password:
        raise InvalidInput(field, "must not contain a user name or password")
    result = urlunsplit(
        (
            parts.scheme.lower(),
            host + port,
            quote(parts.path, safe=_PATH_SAFE),
            quote(parts.query, safe=_QUERY_SAFE),
            quote(parts.fragment, safe=_QUERY_SAFE),
        )
    )
    if len(result) > 2000:  # as stored, once percent-encoded
        raise InvalidInput(field, "is longer than 2,000 characters once encoded")
    return result
