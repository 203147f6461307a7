"""The fraud rules: what each signal measures, its threshold and weight at each level, and
how fired signals add up to a risk score and an action. Pure: no database, no web.

A program protects itself at one of three levels (`Level`): each rule has a threshold and a
weight per level, and a program may override either. Every scored conversion gets a risk
score (0 to 100, the sum of the weights of the rules that fired, at most 100) and the rules
that fired, each with the value it measured and the threshold it crossed. In `active` mode a
conversion whose score reaches the hold threshold is held: its commissions wait for a person
to release them or decline the order. In `shadow` mode the same scores are kept and nothing
is held, so a manager sees what the rules would do before they touch a cent.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from math import ceil
from statistics import median
from typing import Any


class Level(StrEnum):
    RELAXED = "relaxed"
    MODERATE = "moderate"
    STRICT = "strict"


class Mode(StrEnum):
    #: score nothing
    OFF = "off"
    #: score, keep the scores, act on nothing
    SHADOW = "shadow"
    #: score and hold what reaches the hold threshold
    ACTIVE = "active"


class Action(StrEnum):
    #: no rule fired
    NONE = "none"
    #: some rule fired, below the hold threshold (or in shadow mode)
    FLAGGED = "flagged"
    #: held for review: its commissions wait
    HELD = "held"


class Review(StrEnum):
    RELEASED = "released"
    DECLINED = "declined"


#: A conversion is held when its score reaches this, unless the program says otherwise.
DEFAULT_HOLD_AT = 70
#: The largest score.
MAX_SCORE = 100


@dataclass(frozen=True)
class Rule:
    """One signal: `thresholds` and `weights` by level. `unit` names what the threshold
    counts (seconds, minutes, conversions, match); `above` says whether the rule fires
    when the value is at or above the threshold (True) or at or below it (False)."""

    code: str
    subject: str
    unit: str
    above: bool
    thresholds: Mapping[Level, Decimal]
    weights: Mapping[Level, int]

    def threshold(self, level: Level) -> Decimal:
        return self.thresholds[level]

    def weight(self, level: Level) -> int:
        return self.weights[level]


def _by_level(relaxed, moderate, strict) -> dict[Level, Any]:
    return {Level.RELAXED: relaxed, Level.MODERATE: moderate, Level.STRICT: strict}


def _d(*values: str | int) -> dict[Level, Decimal]:
    return _by_level(*(Decimal(str(v)) for v in values))


#: Every conversion rule, in the order a page lists them.
CONVERSION_RULES: tuple[Rule, ...] = (
    # Click injection and poaching: the click lands moments before the order. The
    # threshold is the lower of this and a share of the program's own fastest orders
    # (`fast_threshold`).
    Rule("fast_conversion", "conversion", "seconds", False, _d(5, 15, 30), _by_level(60, 70, 80)),
    # Click flooding: the winning click is older than nearly all the program's orders.
    Rule("slow_conversion", "conversion", "days", True, _d(25, 14, 7), _by_level(20, 30, 40)),
    # The customer is the partner: the order's hashed e-mail is the partner's own, or its
    # device or payment card was seen on an order of the partner's own before.
    Rule("self_referral", "conversion", "match", True, _d(1, 1, 1), _by_level(100, 100, 100)),
    # The order came from an address a user of the partner signed in from in the last
    # MARK_DAYS days (a household or office shares one; so can a mobile network).
    Rule("partner_network", "conversion", "match", True, _d(1, 1, 1), _by_level(30, 50, 70)),
    # The same customer (e-mail or IP) ordered the same amount again through the same
    # partner within this many minutes, under another order id.
    Rule("duplicate_order", "conversion", "minutes", False, _d(10, 30, 120), _by_level(70, 80, 90)),
    # Many orders from one IP address through one partner within a day.
    Rule("ip_velocity", "conversion", "conversions", True, _d(10, 5, 3), _by_level(40, 50, 60)),
    # Many orders from one device (advertising or vendor id, WeChat user) through one
    # partner within a day (a device farm reusing a handset under new e-mails).
    Rule("device_velocity", "conversion", "conversions", True, _d(10, 5, 3), _by_level(40, 50, 60)),
    # The winning click was judged invalid (a bot, a data centre, a flood).
    Rule("invalid_click", "conversion", "match", True, _d(1, 1, 1), _by_level(50, 70, 80)),
    # Click flooding, judged on the partner: the median hours from click to order over
    # its latest orders (at least FLOOD_MIN_ORDERS of them) is this long or longer.
    Rule("flooding_partner", "conversion", "hours", True, _d(72, 24, 12), _by_level(70, 80, 90)),
    # Coupon leakage: an order credited by a promo code alone, when the code's orders of
    # the last 7 days came from this many countries or more.
    Rule("promo_leak", "conversion", "countries", True, _d(8, 5, 3), _by_level(70, 80, 90)),
    # Coupon leakage: an order credited by a promo code alone whose shopper landed from a
    # coupon or deal site (the order's landing referrer; see protect.coupons).
    Rule("coupon_site", "conversion", "match", True, _d(1, 1, 1), _by_level(70, 80, 90)),
    # The winning click's address and the order are in different countries (the order's
    # country as reported, else its address's), with a country database configured.
    Rule("geo_mismatch", "conversion", "match", True, _d(1, 1, 1), _by_level(20, 30, 40)),
    # Made-up orders: this order and the partner's latest ones before it carry consecutive
    # order numbers (A1001, A1002, A1003, ...): this many in a row or more.
    Rule(
        "patterned_order_id",
        "conversion",
        "conversions",
        True,
        _d(10, 5, 3),
        _by_level(30, 40, 50),
    ),
)
#: The flooding rule needs this many of the partner's orders with a click, and looks at
#: the latest FLOOD_ORDERS.
FLOOD_MIN_ORDERS = 5
FLOOD_ORDERS = 30
#: Every click rule. Clicks are scored as they are stored, each against the program's
#: settings; in active mode a click whose score reaches the hold threshold is invalid: not
#: unique, and it cannot win attribution.
CLICK_RULES: tuple[Rule, ...] = (
    # A known bot, crawler, monitor or HTTP library (crawlerdetect's patterns).
    Rule("bot", "click", "match", True, _d(1, 1, 1), _by_level(100, 100, 100)),
    # Not a navigation: the browser fetched the link as an image, a frame or a script
    # (its Sec-Fetch-Dest header), as hidden cookie-stuffing tags do.
    Rule("no_landing", "click", "match", True, _d(1, 1, 1), _by_level(100, 100, 100)),
    # No User-Agent header at all: no browser sends that.
    Rule("no_user_agent", "click", "match", True, _d(1, 1, 1), _by_level(50, 70, 80)),
    # The User-Agent names a browser that sends Sec-Fetch-Dest on every navigation, and
    # the request has none: a script wearing a browser's name.
    Rule("inconsistent_headers", "click", "match", True, _d(1, 1, 1), _by_level(20, 30, 40)),
    # From a data centre, hosting provider, VPN, proxy or Tor exit (the operator's range
    # file, or a MaxMind anonymous-IP or IPinfo privacy database when one is configured).
    Rule("data_center", "click", "match", True, _d(1, 1, 1), _by_level(50, 70, 90)),
    # Clicks from one IP address on the program's links within 10 minutes, this one included.
    Rule("ip_flood", "click", "clicks", True, _d(60, 30, 15), _by_level(70, 70, 80)),
    # Clicks on one link with one sub-id within a minute, this one included.
    Rule("sub_id_burst", "click", "clicks", True, _d(300, 120, 60), _by_level(40, 50, 60)),
)
#: How far back the click counts look.
IP_WINDOW_SECONDS = 600
SUB_ID_WINDOW_SECONDS = 60
#: Every partner rule: each partner of a program is scored once a day over its recent
#: orders, clicks and standing, against the program's own figures.
PARTNER_RULES: tuple[Rule, ...] = (
    # Of the partner's scored orders in the last 28 days (at least PARTNER_MIN_ORDERS),
    # this share or more had a conversion rule fire.
    Rule("flagged_share", "partner", "percent", True, _d(50, 30, 15), _by_level(30, 40, 50)),
    # Orders a person declined as fraud in the last 90 days.
    Rule("declined_orders", "partner", "conversions", True, _d(3, 1, 1), _by_level(40, 50, 60)),
    # Reversed orders over orders in the last 28 days (at least PARTNER_MIN_ORDERS orders),
    # at least this share and at least twice the program's own rate.
    Rule("reversal_rate", "partner", "percent", True, _d(40, 25, 15), _by_level(20, 30, 40)),
    # The partner's conversion rate over 28 days (at least PARTNER_MIN_CLICKS clicks and
    # PARTNER_MIN_ORDERS orders) is this many times the median partner's.
    Rule("conversion_rate", "partner", "times", True, _d(8, 5, 3), _by_level(20, 30, 40)),
    # Orders placed from midnight to 5 a.m. (UTC): the partner's share over 28 days is this
    # many times the program's, and at least 30 %.
    Rule("overnight_orders", "partner", "times", True, _d(4, 3, 2), _by_level(10, 20, 30)),
    # Orders in the last 7 days against the weekly average of the 21 days before.
    Rule("volume_jump", "partner", "times", True, _d(10, 5, 3), _by_level(10, 20, 30)),
    # Shares a payout account, tax id, contact e-mail, company e-mail domain, website or
    # sign-in address with another of the brand's partners.
    Rule("shared_account", "partner", "match", True, _d(1, 1, 1), _by_level(30, 40, 50)),
    # Orders from devices never seen on an order of the program before: the partner's
    # share over 28 days (of at least PARTNER_MIN_ORDERS orders naming a device) is this
    # many times the program's, and at least NEW_DEVICE_MIN_SHARE (device farms reset their
    # advertising ids; real customers come back on the same phone).
    Rule("new_devices", "partner", "times", True, _d(3, 2, "1.5"), _by_level(10, 20, 30)),
    # Suspended in another of the brand's programs.
    Rule("banned_elsewhere", "partner", "match", True, _d(1, 1, 1), _by_level(40, 50, 60)),
    # One sub-id's orders (at least PARTNER_MIN_ORDERS) are reversed this often, at least
    # twice the program's rate, while the partner's as a whole are not (a bad placement
    # hidden in a large partner's average).
    Rule("sub_id_reversals", "partner", "percent", True, _d(40, 25, 15), _by_level(10, 20, 30)),
    # One sub-id converts this many times better than the program's median partner (at
    # least PARTNER_MIN_CLICKS clicks and PARTNER_MIN_ORDERS orders), while the partner as
    # a whole does not.
    Rule("sub_id_conversion", "partner", "times", True, _d(8, 5, 3), _by_level(10, 20, 30)),
)
#: A partner's rates say too little below these.
PARTNER_MIN_ORDERS = 10
PARTNER_MIN_CLICKS = 100
#: The volume rule needs this many orders in the last 7 days.
JUMP_MIN_ORDERS = 20
#: The overnight rule needs the partner's share to be at least this.
OVERNIGHT_MIN_SHARE = Decimal("0.3")
#: The new-device rule needs the partner's share to be at least this.
NEW_DEVICE_MIN_SHARE = Decimal("0.8")
#: A partner's own marks (sign-in addresses, devices and cards of its own orders) count
#: for this many days after they were last seen.
MARK_DAYS = 90
#: A partner whose score reaches this is at high risk; reaching it, or rising by
#: ALERT_RISE points or more above it, alerts the program's managers.
PARTNER_ALERT_AT = 50
ALERT_RISE = 20
RULES: dict[str, Rule] = {
    rule.code: rule for rule in (*CONVERSION_RULES, *CLICK_RULES, *PARTNER_RULES)
}


def describe(code: str) -> str:
    """The rule in words, for a manager (English; pages translate)."""
    return {
        "fast_conversion": "The order came very soon after the click, faster than the "
        "program's real customers buy (click injection or poaching).",
        "slow_conversion": "The click that won is older than nearly all of the program's "
        "orders (click flooding).",
        "self_referral": "The customer is the partner: the e-mail is the partner's own, or "
        "the device or payment card was used on the partner's own orders (self-referral).",
        "partner_network": "The order came from an address the partner's own users signed in from.",
        "device_velocity": "Many orders came from one device through this partner within a day.",
        "coupon_site": "The promo code alone earned the order, and the shopper came from a "
        "coupon or deal site (a leaked code).",
        "duplicate_order": "The same customer ordered the same amount through the same "
        "partner shortly before, under another order id.",
        "ip_velocity": "Many orders came from one IP address through this partner within a day.",
        "invalid_click": "The click that won was judged invalid (a bot, a data centre or a "
        "click flood).",
        "flooding_partner": "The partner's orders come long after their clicks, typically "
        "(click flooding: clicks sent in bulk that happen to precede real purchases).",
        "promo_leak": "The promo code alone earned the order, and the code is being used in "
        "many countries at once (leaked to coupon sites).",
        "patterned_order_id": "The partner's latest orders carry consecutive order numbers, "
        "as made-up orders do.",
        "geo_mismatch": "The click that won came from another country than the order.",
        "no_landing": "The link was loaded as an image, frame or script rather than visited "
        "(cookie stuffing).",
        "bot": "The click came from a known bot, crawler or script.",
        "no_user_agent": "The click carried no User-Agent header, which no browser omits.",
        "inconsistent_headers": "The click named a browser that always says how it fetches a "
        "page, and did not say it (a script wearing a browser's name).",
        "data_center": "The click came from a data centre, hosting provider, VPN, proxy or "
        "Tor exit rather than a home or mobile network.",
        "ip_flood": "Many clicks came from one IP address within 10 minutes.",
        "sub_id_burst": "Many clicks hit one link with one sub-id within a minute.",
        "flagged_share": "Many of the partner's recent orders had a fraud rule fire.",
        "declined_orders": "Orders of the partner were declined as fraud in the last 90 days.",
        "reversal_rate": "The partner's orders are reversed far more often than the program's.",
        "conversion_rate": "The partner converts clicks far better than the program's typical "
        "partner (clicks injected or stuffed where the sale would happen anyway).",
        "overnight_orders": "Far more of the partner's orders are placed at night than the "
        "program's.",
        "volume_jump": "The partner's orders jumped in the last 7 days.",
        "shared_account": "The partner shares a payout account, tax id, e-mail, company "
        "e-mail domain, website or sign-in address with another partner.",
        "new_devices": "Far more of the partner's orders come from devices never seen "
        "before than the program's (device farms reset their ids).",
        "banned_elsewhere": "The partner is suspended in another of the brand's programs.",
        "sub_id_reversals": "One of the partner's sub-ids has its orders reversed far more "
        "often than the program's.",
        "sub_id_conversion": "One of the partner's sub-ids converts clicks far better than "
        "the program's typical partner.",
    }[code]


@dataclass(frozen=True)
class ClickFacts:
    """What the scorer knows about one click as it is stored."""

    #: the bot pattern its User-Agent matched, if any
    bot: str | None = None
    #: fetched as an image, frame, script ... (Sec-Fetch-Dest), not visited
    no_landing: bool = False
    no_user_agent: bool = False
    #: names a browser that sends Sec-Fetch-Dest, without sending it
    inconsistent: bool = False
    data_center: bool = False
    #: clicks from its IP on the program in the last IP_WINDOW_SECONDS, this one included
    ip_clicks: int = 0
    #: clicks on its link with its sub-id in the last SUB_ID_WINDOW_SECONDS, included
    sub_id_clicks: int = 0


def score_click(facts: ClickFacts, tuning: Tuning) -> tuple[int, tuple[str, ...], bool]:
    """(score, the codes of the rules that fired, invalid?) for one click. Invalid only in
    active mode, when the score reaches the hold threshold."""
    fired = []
    if facts.bot is not None:
        fired.append("bot")
    if facts.no_landing:
        fired.append("no_landing")
    if facts.no_user_agent:
        fired.append("no_user_agent")
    if facts.inconsistent:
        fired.append("inconsistent_headers")
    if facts.data_center:
        fired.append("data_center")
    if facts.ip_clicks >= tuning.threshold("ip_flood"):
        fired.append("ip_flood")
    if facts.sub_id_clicks >= tuning.threshold("sub_id_burst"):
        fired.append("sub_id_burst")
    codes = tuple(code for code in fired if tuning.enabled(code))
    score = min(MAX_SCORE, sum(tuning.weight(code) for code in codes))
    invalid = bool(codes) and tuning.mode == Mode.ACTIVE and score >= tuning.hold_at
    return score, codes, invalid


@dataclass(frozen=True)
class Tuning:
    """A program's settings: mode, level, hold threshold, and per-rule overrides
    ({code: {"threshold": Decimal, "weight": int, "enabled": bool}})."""

    mode: Mode = Mode.SHADOW
    level: Level = Level.MODERATE
    hold_at: int = DEFAULT_HOLD_AT
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def enabled(self, code: str) -> bool:
        return bool(self.overrides.get(code, {}).get("enabled", True))

    def threshold(self, code: str) -> Decimal:
        given = self.overrides.get(code, {}).get("threshold")
        return Decimal(str(given)) if given is not None else RULES[code].threshold(self.level)

    def weight(self, code: str) -> int:
        given = self.overrides.get(code, {}).get("weight")
        return int(given) if given is not None else RULES[code].weight(self.level)


@dataclass(frozen=True)
class Baseline:
    """What the program's own orders look like: quantiles of the seconds from the winning
    click to the order ({"0.01": 95.0, ...}), over `count` orders."""

    count: int = 0
    quantiles: Mapping[str, float] = field(default_factory=dict)

    #: Fewer orders than this say too little: the rules' own thresholds apply.
    ENOUGH = 200


#: The fast-conversion threshold is at most this share of the program's 1st percentile.
FAST_SHARE_OF_P1 = Decimal("0.5")


def fast_threshold(tuning: Tuning, baseline: Baseline) -> Decimal:
    """Seconds below which an order is too fast: the rule's threshold, or half the
    program's own 1st percentile when that is lower (a program whose customers often buy
    within seconds, such as one-click renewals, is not flagged for it)."""
    own = tuning.threshold("fast_conversion")
    p1 = baseline.quantiles.get("0.01")
    if baseline.count < Baseline.ENOUGH or p1 is None:
        return own
    return min(own, (Decimal(str(p1)) * FAST_SHARE_OF_P1).quantize(Decimal("0.1")))


def slow_threshold_days(tuning: Tuning, baseline: Baseline) -> Decimal:
    """Days beyond which the winning click is too old: the rule's threshold, or the
    program's own 99.9th percentile when that is higher (long sales cycles are normal for
    some programs)."""
    own = tuning.threshold("slow_conversion")
    p999 = baseline.quantiles.get("0.999")
    if baseline.count < Baseline.ENOUGH or p999 is None:
        return own
    return max(own, (Decimal(str(p999)) / 86400).quantize(Decimal("0.1")))


@dataclass(frozen=True)
class ConversionFacts:
    """What the scorer knows about one conversion when it is recorded."""

    #: seconds from the winning click to the order (None: no click won)
    click_seconds: float | None = None
    #: the winning click was judged invalid, and why (e.g. "bot")
    invalid_click: str | None = None
    #: what of the customer is the partner's own: "email", "device" or "payment" (None:
    #: nothing; True counts as "email")
    self_referral: str | bool | None = None
    #: the order's address is one a user of the partner signed in from
    partner_network: bool = False
    #: orders from this device through this partner in the last day, this one included
    #: (0: the order names no device)
    device_orders: int = 0
    #: an order credited by its promo code alone came from a coupon or deal site (its host)
    coupon_site: str | None = None
    #: minutes since the same customer's same-amount order through the same partner
    #: under another order id (None: none found)
    duplicate_minutes: float | None = None
    #: orders from this IP through this partner in the last day, this one included
    ip_orders: int = 0
    #: the partner's median hours from click to order over its latest orders (None: fewer
    #: than FLOOD_MIN_ORDERS)
    partner_median_hours: float | None = None
    #: an order credited by its promo code alone: the code's countries in the last 7 days
    code_countries: int = 0
    #: this order and the partner's latest ones with consecutive order numbers (0: the
    #: order id ends in no number)
    order_run: int = 0
    #: the countries of the winning click's address and of the order (None: unknown)
    click_country: str | None = None
    order_country: str | None = None


# a partner's own marks ------------------------------------------------------------------
def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def device_keys(identities: Mapping[str, str] | None) -> tuple[str, ...]:
    """The order's devices and WeChat users as kept for comparison: SHA-256 of
    "kind:value" for each identifier (gaid, idfa, idfv, openid, unionid), sorted."""
    return tuple(sorted(_sha(f"{kind}:{value}") for kind, value in (identities or {}).items()))


def ip_key(ip: str | None) -> str | None:
    """An address as kept among a partner's marks (SHA-256 of its text)."""
    return _sha(ip) if ip else None


@dataclass(frozen=True)
class OwnMarks:
    """What is known to be a partner's own: the hashed e-mails of its users and contacts,
    the devices and payment cards seen on its own orders, and the addresses (hashed) its
    users signed in from, in the last MARK_DAYS days."""

    emails: frozenset[str] = frozenset()
    devices: frozenset[str] = frozenset()
    payments: frozenset[str] = frozenset()
    ips: frozenset[str] = frozenset()

    def self_referral(
        self, email_sha256: str | None, devices: Sequence[str], payment_sha256: str | None
    ) -> str | None:
        """What of the customer is the partner's own: "email", "device" or "payment"
        (checked in that order), or None."""
        if email_sha256 and email_sha256 in self.emails:
            return "email"
        if any(d in self.devices for d in devices):
            return "device"
        if payment_sha256 and payment_sha256 in self.payments:
            return "payment"
        return None

    def network(self, ip: str | None) -> bool:
        """Whether the address is one the partner's users signed in from."""
        key = ip_key(ip)
        return key is not None and key in self.ips


def learned_marks(
    devices: Sequence[str], payment_sha256: str | None, ip: str | None
) -> list[tuple[str, str]]:
    """The marks an order found to be the partner's own teaches: its devices, its payment
    card and its address, as (kind, hashed value). The next order on the same phone or
    card is the partner's own even under another e-mail."""
    out = [("device", d) for d in devices]
    if payment_sha256:
        out.append(("payment", payment_sha256))
    key = ip_key(ip)
    if key:
        out.append(("ip", key))
    return out


@dataclass(frozen=True)
class Signal:
    """A rule that fired: the value it measured, the threshold it crossed, its weight."""

    code: str
    value: Decimal
    threshold: Decimal
    weight: int
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "value": str(self.value),
            "threshold": str(self.threshold),
            "weight": self.weight,
        }
        if self.detail:
            out["detail"] = self.detail
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signal:
        return cls(
            code=str(data["code"]),
            value=Decimal(str(data["value"])),
            threshold=Decimal(str(data["threshold"])),
            weight=int(data["weight"]),
            detail=data.get("detail"),
        )


@dataclass(frozen=True)
class Verdict:
    score: int
    signals: tuple[Signal, ...]
    action: Action

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.signals)


def _fires(rule: Rule, value: Decimal, threshold: Decimal) -> bool:
    return value >= threshold if rule.above else value <= threshold


def score_conversion(facts: ConversionFacts, tuning: Tuning, baseline: Baseline) -> Verdict:
    """The conversion's risk score, the rules that fired and what to do."""
    measured: list[tuple[str, Decimal, Decimal, str | None]] = []
    if facts.click_seconds is not None:
        seconds = Decimal(str(facts.click_seconds)).quantize(Decimal("0.1"))
        measured.append(("fast_conversion", seconds, fast_threshold(tuning, baseline), None))
        days = (Decimal(str(facts.click_seconds)) / 86400).quantize(Decimal("0.1"))
        measured.append(("slow_conversion", days, slow_threshold_days(tuning, baseline), None))
    if facts.self_referral:
        what = "email" if facts.self_referral is True else str(facts.self_referral)
        measured.append(("self_referral", Decimal(1), tuning.threshold("self_referral"), what))
    if facts.partner_network:
        measured.append(("partner_network", Decimal(1), tuning.threshold("partner_network"), None))
    if facts.device_orders:
        measured.append(
            (
                "device_velocity",
                Decimal(facts.device_orders),
                tuning.threshold("device_velocity"),
                None,
            )
        )
    if facts.coupon_site:
        measured.append(
            ("coupon_site", Decimal(1), tuning.threshold("coupon_site"), facts.coupon_site[:40])
        )
    if facts.duplicate_minutes is not None:
        minutes = Decimal(str(facts.duplicate_minutes)).quantize(Decimal("0.1"))
        measured.append(("duplicate_order", minutes, tuning.threshold("duplicate_order"), None))
    if facts.ip_orders:
        measured.append(
            ("ip_velocity", Decimal(facts.ip_orders), tuning.threshold("ip_velocity"), None)
        )
    if facts.partner_median_hours is not None:
        hours = Decimal(str(facts.partner_median_hours)).quantize(Decimal("0.1"))
        measured.append(("flooding_partner", hours, tuning.threshold("flooding_partner"), None))
    if facts.code_countries:
        measured.append(
            (
                "promo_leak",
                Decimal(facts.code_countries),
                tuning.threshold("promo_leak"),
                None,
            )
        )
    if facts.order_run:
        measured.append(
            (
                "patterned_order_id",
                Decimal(facts.order_run),
                tuning.threshold("patterned_order_id"),
                None,
            )
        )
    if facts.click_country and facts.order_country and facts.click_country != facts.order_country:
        measured.append(
            (
                "geo_mismatch",
                Decimal(1),
                tuning.threshold("geo_mismatch"),
                f"{facts.click_country}>{facts.order_country}",
            )
        )
    if facts.invalid_click:
        measured.append(
            ("invalid_click", Decimal(1), tuning.threshold("invalid_click"), facts.invalid_click)
        )
    signals = []
    for code, value, threshold, detail in measured:
        if not tuning.enabled(code):
            continue
        rule = RULES[code]
        if _fires(rule, value, threshold):
            signals.append(Signal(code, value, threshold, tuning.weight(code), detail))
    return verdict(signals, tuning)


def verdict(signals: Sequence[Signal], tuning: Tuning) -> Verdict:
    """Add the signals' weights up (at most `MAX_SCORE`) and choose the action."""
    score = min(MAX_SCORE, sum(s.weight for s in signals))
    if not signals:
        action = Action.NONE
    elif tuning.mode == Mode.ACTIVE and score >= tuning.hold_at:
        action = Action.HELD
    else:
        action = Action.FLAGGED
    return Verdict(score, tuple(signals), action)


_NUMBERED = re.compile(r"^(.*?)(\d{1,18})$")


def order_run(order_id: str, earlier: Sequence[str]) -> int:
    """How many orders in a row, this one included, carry consecutive numbers with the same
    prefix: `earlier` are the partner's order ids before this one, latest first (A1003
    after A1002 and A1001 makes 3). 0 when the order id does not end in a number."""
    found = _NUMBERED.match(order_id)
    if found is None:
        return 0
    prefix, number = found.group(1), int(found.group(2))
    run = 1
    for other in earlier:
        match = _NUMBERED.match(other)
        if match is None or match.group(1) != prefix or int(match.group(2)) != number - run:
            break
        run += 1
    return run


#: The quantiles a baseline keeps.
POINTS = ("0.01", "0.05", "0.5", "0.99", "0.999")


def quantiles(values: Sequence[float]) -> dict[str, float]:
    """Quantiles of `values` by nearest rank (the smallest value with at least that share
    of the values at or below it), as {"0.01": value, ...}; empty for none."""
    if not values:
        return {}
    ordered = sorted(values)
    return {p: float(ordered[nearest_rank(p, len(ordered)) - 1]) for p in POINTS}


def median_hours(seconds: Sequence[float]) -> float | None:
    """The median of these click-to-order times, in hours, or None for fewer than
    FLOOD_MIN_ORDERS of them."""
    if len(seconds) < FLOOD_MIN_ORDERS:
        return None
    return float(median(seconds)) / 3600


def nearest_rank(point: str, count: int) -> int:
    """The 1-based rank of the `point` quantile (e.g. "0.01") among `count` sorted values."""
    return min(count, max(1, ceil(Fraction(point) * count)))


# partners ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class PartnerFacts:
    """One partner in one program, as the daily pass sees it."""

    #: orders scored in the last 28 days, and how many of them had a rule fire
    scored: int = 0
    flagged: int = 0
    #: orders declined as fraud in the last 90 days
    declined: int = 0
    #: clicks, orders and reversals in the last 28 days
    clicks: int = 0
    orders: int = 0
    reversals: int = 0
    #: of the scored orders, those placed from 00:00 to 04:59 UTC
    overnight: int = 0
    #: orders in the last 7 days, and in the 21 days before them
    orders_7: int = 0
    orders_before: int = 0
    shared_account: bool = False
    #: of the scored orders, those naming a device, and those from a device never seen on
    #: an earlier order of the program
    with_device: int = 0
    new_device: int = 0
    #: the brand's other programs that suspended the partner
    banned_in: tuple[str, ...] = ()
    #: its sub-ids over the same 28 days: (sub-id, clicks, orders, reversed orders)
    sub_ids: tuple[tuple[str, int, int, int], ...] = ()


@dataclass(frozen=True)
class ProgramNorms:
    """What the program's partners look like together over the same 28 days."""

    #: the median conversion rate of the partners with enough clicks (None: too few)
    median_rate: Decimal | None = None
    #: reversals over orders, and the share of orders placed overnight
    reversal_rate: Decimal = Decimal(0)
    overnight_share: Decimal = Decimal(0)
    #: of the orders naming a device, the share from a device never seen before
    new_device_share: Decimal = Decimal(0)


def _ratio(a: int | Decimal, b: int | Decimal) -> Decimal:
    return (Decimal(a) / Decimal(b)) if b else Decimal(0)


def _round(value: Decimal, places: str = "0.1") -> Decimal:
    return value.quantize(Decimal(places))


def score_partner(facts: PartnerFacts, norms: ProgramNorms, tuning: Tuning) -> Verdict:
    """The partner's risk score, the partner rules that fired, with their values, and the
    action: flagged when any fired (a partner is never held; its orders are)."""
    measured: list[tuple[str, Decimal, Decimal, str | None]] = []
    if facts.scored >= PARTNER_MIN_ORDERS:
        share = _round(_ratio(facts.flagged, facts.scored) * 100)
        measured.append(("flagged_share", share, tuning.threshold("flagged_share"), None))
    if facts.declined:
        declined = Decimal(facts.declined)
        measured.append(("declined_orders", declined, tuning.threshold("declined_orders"), None))
    if facts.orders >= PARTNER_MIN_ORDERS:
        rate = _ratio(facts.reversals, facts.orders)
        # at least twice the program's own rate: a program whose customers return half of
        # what they buy does not make every partner suspect
        threshold = max(tuning.threshold("reversal_rate"), _round(norms.reversal_rate * 200))
        measured.append(("reversal_rate", _round(rate * 100), threshold, None))
    if (
        norms.median_rate
        and facts.clicks >= PARTNER_MIN_CLICKS
        and facts.orders >= PARTNER_MIN_ORDERS
    ):
        times = _round(_ratio(facts.orders, facts.clicks) / norms.median_rate)
        measured.append(("conversion_rate", times, tuning.threshold("conversion_rate"), None))
    if facts.scored >= PARTNER_MIN_ORDERS and norms.overnight_share > 0:
        share = _ratio(facts.overnight, facts.scored)
        if share >= OVERNIGHT_MIN_SHARE:
            times = _round(share / norms.overnight_share)
            measured.append(("overnight_orders", times, tuning.threshold("overnight_orders"), None))
    if facts.orders_7 >= JUMP_MIN_ORDERS:
        weekly = Decimal(facts.orders_before) / 3
        times = _round(Decimal(facts.orders_7) / max(weekly, Decimal(1)))
        measured.append(("volume_jump", times, tuning.threshold("volume_jump"), None))
    if facts.with_device >= PARTNER_MIN_ORDERS and norms.new_device_share > 0:
        share = _ratio(facts.new_device, facts.with_device)
        if share >= NEW_DEVICE_MIN_SHARE:
            times = _round(share / norms.new_device_share)
            measured.append(("new_devices", times, tuning.threshold("new_devices"), None))
    if facts.shared_account:
        measured.append(("shared_account", Decimal(1), tuning.threshold("shared_account"), None))
    if facts.banned_in:
        measured.append(
            (
                "banned_elsewhere",
                Decimal(len(facts.banned_in)),
                tuning.threshold("banned_elsewhere"),
                ",".join(facts.banned_in),
            )
        )
    signals = [
        Signal(code, value, threshold, tuning.weight(code), detail)
        for code, value, threshold, detail in measured
        if tuning.enabled(code) and _fires(RULES[code], value, threshold)
    ]
    fired = {s.code for s in signals}
    signals += _sub_id_signals(facts, norms, tuning, fired)
    score = min(MAX_SCORE, sum(s.weight for s in signals))
    return Verdict(score, tuple(signals), Action.FLAGGED if signals else Action.NONE)


def _sub_id_signals(
    facts: PartnerFacts, norms: ProgramNorms, tuning: Tuning, fired: set[str]
) -> list[Signal]:
    """The sub-id rules, each on the partner's worst sub-id, when the partner-level rule
    of the same measure did not fire (the same evidence is not counted twice)."""
    out = []
    if "reversal_rate" not in fired and tuning.enabled("sub_id_reversals"):
        threshold = max(tuning.threshold("sub_id_reversals"), _round(norms.reversal_rate * 200))
        rates = [
            (_round(_ratio(reversed_, orders) * 100), sub)
            for sub, _, orders, reversed_ in facts.sub_ids
            if orders >= PARTNER_MIN_ORDERS
        ]
        if rates:
            value, sub = max(rates, key=lambda r: (r[0], r[1]))
            if value >= threshold:
                weight = tuning.weight("sub_id_reversals")
                out.append(Signal("sub_id_reversals", value, threshold, weight, sub[:40]))
    if "conversion_rate" not in fired and norms.median_rate and tuning.enabled("sub_id_conversion"):
        threshold = tuning.threshold("sub_id_conversion")
        times = [
            (_round(_ratio(orders, clicks) / norms.median_rate), sub)
            for sub, clicks, orders, _ in facts.sub_ids
            if clicks >= PARTNER_MIN_CLICKS and orders >= PARTNER_MIN_ORDERS
        ]
        if times:
            value, sub = max(times, key=lambda r: (r[0], r[1]))
            if value >= threshold:
                weight = tuning.weight("sub_id_conversion")
                out.append(Signal("sub_id_conversion", value, threshold, weight, sub[:40]))
    return out


def risen(previous: int | None, score: int) -> bool:
    """Whether a partner's new score should alert its managers: it reached the high-risk
    band, or it was there already and rose by ALERT_RISE points or more."""
    if score < PARTNER_ALERT_AT:
        return False
    if previous is None or previous < PARTNER_ALERT_AT:
        return True
    return score - previous >= ALERT_RISE


def band(score: int) -> str:
    """low, medium or high."""
    if score >= PARTNER_ALERT_AT:
        return "high"
    return "medium" if score >= 30 else "low"
