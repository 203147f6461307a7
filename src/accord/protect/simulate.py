"""A traffic simulator with labelled fraud, to measure fraud protection: a program's clicks
and orders over three weeks, clean traffic with its natural long tail and, at known rates,
each kind of fraud the rules are meant to catch. Everything goes through the same services
a live program's traffic does (the click store, conversion recording, attribution,
commissions), in time order, in a store of its own; then every labelled click, order and
partner is compared with what fraud protection did to it.

Clean traffic is made to be hard on naive rules: about 3 % of real shoppers buy within two
minutes of their click (saved carts, one-click checkout), households and offices share an
IP, returning customers buy again, a few buy the same thing twice within half an hour, and
a small share of real shoppers browse through a VPN or a corporate proxy. A rule such as
"hold every order within two minutes of its click" holds far more than 1 % of them.

Scenarios (`SCENARIOS`): click injection, click flooding, cookie stuffing, self-referral,
coupon leakage, bot traffic, data-centre traffic, duplicate orders, duplicate partner
accounts. A conversion counts as caught when it is held, or when its click was judged
invalid and it earned nothing; a click when it is judged invalid; a partner when it is
flagged.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from accord.tracking.model import new_click_id

START = datetime(2026, 10, 5, tzinfo=UTC)
DAYS = 21
CLEAN = "clean"
#: scenario -> what it is judged on: conversions, clicks or partners
SCENARIOS: dict[str, str] = {
    "click_injection": "conversions",
    "click_flooding": "conversions",
    "cookie_stuffing": "conversions",
    "self_referral": "conversions",
    "coupon_leakage": "conversions",
    "duplicate_orders": "conversions",
    "bot_traffic": "clicks",
    "data_center_traffic": "clicks",
    "duplicate_account": "partners",
}
#: The rules whose hits on clean items count against each scenario's precision.
SCENARIO_RULES: dict[str, frozenset[str]] = {
    "click_injection": frozenset({"fast_conversion"}),
    "click_flooding": frozenset({"slow_conversion", "flooding_partner"}),
    "cookie_stuffing": frozenset({"invalid_click", "no_landing"}),
    "self_referral": frozenset({"self_referral"}),
    "coupon_leakage": frozenset({"promo_leak"}),
    "duplicate_orders": frozenset({"duplicate_order", "ip_velocity"}),
    "bot_traffic": frozenset({"bot", "no_user_agent"}),
    "data_center_traffic": frozenset({"data_center"}),
    "duplicate_account": frozenset({"duplicate_account"}),
}
#: The simulator's data-centre ranges (documentation blocks: no real network is named).
DATA_CENTRES = ("198.18.0.0/15", "203.0.113.0/24")
HUMAN_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
    "like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0 Mobile Safari/537.36 MicroMessenger/8.0.50",
)
BOT_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "python-requests/2.32.3",
    "curl/8.9.1",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0 Safari/537.36",
)


@dataclass
class SimClick:
    at: datetime
    partner: str
    click_id: str
    ip: str
    agent: str | None
    label: str
    sub1: str | None = None


@dataclass
class SimOrder:
    at: datetime
    order_id: str
    amount: Decimal
    email: str
    ip: str
    label: str
    click_id: str | None = None
    promo_code: str | None = None
    country: str | None = None


@dataclass
class Plan:
    """Everything the simulation will send, with its labels."""

    partners: dict[str, dict[str, Any]] = field(default_factory=dict)
    clicks: list[SimClick] = field(default_factory=list)
    orders: list[SimOrder] = field(default_factory=list)


def _sha(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


class _Maker:
    """Draws the plan from one seeded random source."""

    def __init__(self, seed: int, scale: float) -> None:
        self.rng = random.Random(seed)
        self.scale = scale
        self.plan = Plan()
        self.end = START + timedelta(days=DAYS)
        self.customers: list[tuple[str, str]] = []  # (email, home IP)
        self.n = 0

    # pieces -------------------------------------------------------------------------------
    def ip(self) -> str:
        r = self.rng
        first = r.choice((81, 84, 91, 95, 109, 176, 188))
        return f"{first}.{r.randrange(256)}.{r.randrange(256)}.{r.randrange(1, 255)}"

    def dc_ip(self) -> str:
        r = self.rng
        if r.random() < 0.5:
            return f"198.{r.choice((18, 19))}.{r.randrange(256)}.{r.randrange(1, 255)}"
        return f"203.0.113.{r.randrange(1, 255)}"

    def order_id(self) -> str:
        self.n += 1
        return f"SIM-{self.n:07d}-{self.rng.randrange(10**6):06d}"

    def amount(self) -> Decimal:
        return Decimal(str(round(math.exp(self.rng.gauss(math.log(60), 0.6)), 2))).quantize(
            Decimal("0.01")
        )

    def customer(self) -> tuple[str, str]:
        """A returning customer (30 %) or a new one, with the IP they shop from."""
        if self.customers and self.rng.random() < 0.3:
            return self.rng.choice(self.customers)
        email = f"shopper{len(self.customers)}-{self.rng.randrange(10**6)}@mail.example"
        found = (email, self.ip())
        self.customers.append(found)
        return found

    def buying_delay(self) -> timedelta:
        """Click to order for a real shopper: 3 % within two minutes (saved carts,
        one-click checkout), the rest a long tail around 25 minutes."""
        if self.rng.random() < 0.03:
            return timedelta(seconds=self.rng.uniform(20, 120))
        seconds = math.exp(self.rng.gauss(math.log(25 * 60), 1.6))
        return timedelta(seconds=max(30.0, seconds))

    def partner(self, key: str, label: str, kind: str = "content", **extra) -> str:
        self.plan.partners[key] = {"label": label, "type": kind, **extra}
        return key

    def click(self, at: datetime, partner: str, label: str, *, ip=None, agent="", sub1=None):
        found = SimClick(
            at,
            partner,
            new_click_id(),
            ip or self.ip(),
            self.rng.choice(HUMAN_AGENTS) if agent == "" else agent,
            label,
            sub1,
        )
        self.plan.clicks.append(found)
        return found

    def when(self) -> datetime:
        return START + timedelta(seconds=self.rng.uniform(0, DAYS * 86400))

    # scenarios ----------------------------------------------------------------------------
    def clean(self, partners: int = 30) -> None:
        r = self.rng
        for i in range(partners):
            key = self.partner(
                f"clean-{i:02d}", CLEAN, r.choice(("content", "coupon", "influencer", "cashback"))
            )
            per_day = min(400.0, 8 * (1 / (1 - r.random())) ** 0.9) * self.scale
            for _ in range(int(per_day * DAYS)):
                at = self.when()
                email, home = self.customer()
                vpn = r.random() < 0.002
                click = self.click(at, key, CLEAN, ip=self.dc_ip() if vpn else home)
                if r.random() < 0.04:
                    order_at = at + self.buying_delay()
                    if order_at < self.end:
                        amount = self.amount()
                        self.plan.orders.append(
                            SimOrder(
                                order_at,
                                self.order_id(),
                                amount,
                                email,
                                click.ip,
                                CLEAN,
                                click.click_id,
                            )
                        )
                        if r.random() < 0.003:  # the same thing again, on purpose
                            again = order_at + timedelta(minutes=r.uniform(5, 25))
                            second = self.click(
                                again - timedelta(minutes=2), key, CLEAN, ip=click.ip
                            )
                            self.plan.orders.append(
                                SimOrder(
                                    again,
                                    self.order_id(),
                                    amount,
                                    email,
                                    click.ip,
                                    CLEAN,
                                    second.click_id,
                                )
                            )

    def injection(self, orders: int) -> None:
        key = self.partner("injector", "click_injection", "affiliate")
        for _ in range(orders):
            at = self.when()
            email, home = self.customer()
            click = self.click(
                at - timedelta(seconds=self.rng.uniform(1, 8)), key, "click_injection", ip=home
            )
            self.plan.orders.append(
                SimOrder(
                    at,
                    self.order_id(),
                    self.amount(),
                    email,
                    home,
                    "click_injection",
                    click.click_id,
                )
            )

    def flooding(self, orders: int) -> None:
        """Huge numbers of clicks on many devices; some of those people buy anyway, days
        later, and the flood's click is the last one they had."""
        key = self.partner("flooder", "click_flooding", "affiliate")
        for _ in range(orders * 25):
            self.click(self.when(), key, "click_flooding")
        for _ in range(orders):
            at = self.when()
            email, home = self.customer()
            click = self.click(
                at - timedelta(seconds=self.rng.uniform(3600, 20 * 86400)),
                key,
                "click_flooding",
                ip=home,
            )
            self.plan.orders.append(
                SimOrder(
                    at,
                    self.order_id(),
                    self.amount(),
                    email,
                    home,
                    "click_flooding",
                    click.click_id,
                )
            )

    def stuffing(self, orders: int) -> None:
        """Cookies dropped by hidden images on an unrelated site: a click nobody made."""
        key = self.partner("stuffer", "cookie_stuffing", "content")
        for _ in range(orders * 20):
            self.click(self.when(), key, "cookie_stuffing", sub1="img")
        for _ in range(orders):
            at = self.when()
            email, home = self.customer()
            click = self.click(
                at - timedelta(hours=self.rng.uniform(1, 72)),
                key,
                "cookie_stuffing",
                ip=home,
                sub1="img",
            )
            self.plan.orders.append(
                SimOrder(
                    at,
                    self.order_id(),
                    self.amount(),
                    email,
                    home,
                    "cookie_stuffing",
                    click.click_id,
                )
            )

    def self_referral(self, orders: int) -> None:
        email = "owner@selfbuyer.example"
        key = self.partner("self-buyer", "self_referral", "cashback", email=email)
        home = self.ip()
        for _ in range(orders):
            at = self.when()
            click = self.click(at - self.buying_delay(), key, "self_referral", ip=home)
            self.plan.orders.append(
                SimOrder(
                    at, self.order_id(), self.amount(), email, home, "self_referral", click.click_id
                )
            )

    def coupon_leak(self, orders: int) -> None:
        """The partner's code, posted on coupon sites, used by shoppers everywhere who
        never saw the partner."""
        self.partner("leaker", "coupon_leakage", "influencer", code="LEAKY20")
        countries = ("US", "GB", "DE", "FR", "BR", "IN", "MX", "PL", "TR", "ID")
        for _ in range(orders):
            email, home = self.customer()
            self.plan.orders.append(
                SimOrder(
                    self.when(),
                    self.order_id(),
                    self.amount(),
                    email,
                    home,
                    "coupon_leakage",
                    promo_code="LEAKY20",
                    country=self.rng.choice(countries),
                )
            )

    def duplicates(self, pairs: int) -> None:
        key = self.partner("duplicator", "duplicate_orders", "cashback")
        for _ in range(pairs):
            at = self.when()
            email, home = self.customer()
            click = self.click(at - self.buying_delay(), key, CLEAN, ip=home)
            amount = self.amount()
            self.plan.orders.append(
                SimOrder(at, self.order_id(), amount, email, home, CLEAN, click.click_id)
            )
            again = at + timedelta(minutes=self.rng.uniform(1, 20))
            self.plan.orders.append(
                SimOrder(
                    again, self.order_id(), amount, email, home, "duplicate_orders", click.click_id
                )
            )

    def bots(self, clicks: int) -> None:
        key = self.partner("bot-farm", "bot_traffic", "affiliate")
        for _ in range(clicks):
            agent = self.rng.choice(BOT_AGENTS) if self.rng.random() < 0.9 else None
            self.click(self.when(), key, "bot_traffic", agent=agent)

    def data_centres(self, clicks: int) -> None:
        key = self.partner("dc-traffic", "data_center_traffic", "affiliate")
        for _ in range(clicks):
            self.click(self.when(), key, "data_center_traffic", ip=self.dc_ip())

    def duplicate_account(self) -> None:
        shared = "payouts@twinaccounts.example"
        for key in ("twin-a", "twin-b"):
            self.partner(key, "duplicate_account", "coupon", paypal=shared)
            for _ in range(int(20 * self.scale) + 5):
                self.click(self.when(), key, CLEAN)


def make_plan(seed: int = 7, scale: float = 1.0) -> Plan:
    """The simulation's partners, clicks and orders, each labelled; the same for a seed."""
    m = _Maker(seed, scale)
    m.clean()
    n = max(20, int(60 * scale))
    m.injection(n)
    m.flooding(n)
    m.stuffing(n)
    m.self_referral(n // 2)
    m.coupon_leak(n)
    m.duplicates(n)
    m.bots(int(1500 * scale))
    m.data_centres(int(1000 * scale))
    m.duplicate_account()
    m.plan.clicks.sort(key=lambda c: c.at)
    m.plan.orders.sort(key=lambda o: o.at)
    return m.plan
