"""The demo's cast: a brand, its contracts and partners of several types. Pure data."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from accord.contracts.terms import RuleSpec

BRAND = "Lumen Outdoor"
PROGRAM = "Lumen Partners"
LANDING = "https://shop.lumen-outdoor.example/"

#: partner type -> (share of partners, contract name, terms: rules, caps, bonuses)
CONTRACTS: dict[str, tuple[float, str, dict]] = {
    "coupon": (0.15, "Coupon sites", {"rules": [{"event_type": "sale", "percent": "3"}]}),
    "cashback": (
        0.10,
        "Cashback sites",
        {
            "rules": [{"event_type": "sale", "percent": "5"}],
            "caps": [{"scope": "partner", "period": "day", "measure": "commission", "limit": "60"}],
        },
    ),
    "content": (
        0.30,
        "Content publishers",
        {
            "rules": [
                {
                    "event_type": "sale",
                    "basis": "item",
                    "percent": "12",
                    "name": "tents and shelters",
                    "when": {"categories": {"include": ["tents"]}},
                },
                {
                    "event_type": "sale",
                    "percent": "10",
                    "customer_status": "new",
                    "name": "new customer sale",
                },
                {"event_type": "sale", "percent": "6", "name": "returning customer sale"},
            ]
        },
    ),
    "influencer": (
        0.30,
        "Creators",
        {
            "rules": [
                {
                    "event_type": "sale",
                    "percent": "12",
                    "fixed": "2.00",
                    "customer_status": "new",
                    "name": "new customer sale + bonus",
                },
                {
                    "event_type": "sale",
                    "percent": "8",
                    "name": "sale",
                    "tiers": {
                        "metric": "conversions",
                        "mode": "retroactive",
                        "steps": [{"from": "5", "percent": "10"}],
                    },
                },
                {"event_type": "signup", "fixed": "1.50", "name": "newsletter signup"},
            ],
            "bonuses": [{"name": "Ten sales in a month", "threshold": "10", "amount": "50.00"}],
        },
    ),
    "b2b_referral": (
        0.15,
        "B2B referral",
        {
            "rules": [
                {"event_type": "lead", "fixed": "40.00", "name": "qualified lead"},
                {"event_type": "sale", "percent": "15", "name": "referred wholesale order"},
            ]
        },
    ),
}

PROGRAM_DESCRIPTION = (
    "Tents, sleeping bags and trail gear for people who camp for real.\n"
    "We pay 5-15% per sale by partner type, more on tents, with 30-day cookies and "
    "monthly payouts by PayPal or SEPA."
)

#: Partners who signed up in the portal and applied; their applications wait for review.
APPLICANTS = [
    ("Hike & Hammock Blog", "content", "https://hikeandhammock.example"),
    ("Campfire Deals", "coupon", "https://campfire-deals.example"),
]
APPLICATION_NOTE = {
    "content": "Gear reviews and trail guides; 120k monthly readers, mostly US and Canada.",
    "coupon": "Verified codes only, no toolbar or browser extension traffic.",
}


def raised(terms: dict) -> dict:
    """The same terms with every percent one point higher: the demo's next version."""
    rules = [
        {**r, "percent": str(Decimal(r["percent"]) + 1)} if "percent" in r else dict(r)
        for r in terms["rules"]
    ]
    return {**terms, "rules": rules}


#: The demo program manager's console password (a demo only: never reuse it).
CONSOLE_PASSWORD = "lumen-demo-console"

#: Categories of the shop's catalogue, for item rules.
CATEGORIES = ["tents", "apparel", "gear", "gear"]
#: Euro-zone shoppers pay in EUR, converted at this rate into the program's USD.
EUR_USD = "1.08"

DEFAULT_RULES = [RuleSpec(event_type="sale", percent="5", name="standard sale")]

PLACEMENTS = ["newsletter", "sidebar", "video-description", "instagram-bio", "review-footer"]

COUNTRIES = ["US", "GB", "DE", "FR", "CN", "JP", "AU", "CA", "SG", "NL"]
_FIRST = [
    "Trail",
    "Summit",
    "Camp",
    "Peak",
    "River",
    "Forest",
    "Alpine",
    "Coast",
    "Canyon",
    "Nomad",
    "Wild",
    "North",
    "Ridge",
    "Harbor",
    "Glacier",
    "Desert",
    "Meadow",
    "Pine",
]
_SECOND = {
    "coupon": ["Deals", "Coupons", "Savings", "Codes", "Bargains"],
    "cashback": ["Cashback", "Rewards", "Back", "Points"],
    "content": ["Review", "Journal", "Guide", "Blog", "Magazine", "Gear Lab"],
    "influencer": ["Adventures", "Stories", "Life", "Explorer", "Vlog", "Diaries"],
    "b2b_referral": ["Outfitters", "Supply Co", "Wholesale", "Retail Group", "Trading"],
}

USER_AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Mobile Safari/537.36 MicroMessenger/8.0.49",
]


@dataclass(frozen=True, slots=True)
class PartnerSeed:
    name: str
    partner_type: str
    country: str
    weight: float  # how much traffic this partner drives, Pareto-shaped
    promo_code: str | None


#: Partner types of which most partners get a promo code.
CODED_TYPES = ("coupon", "influencer")


def partners(count: int, rng: random.Random) -> list[PartnerSeed]:
    """`count` partners across the types, with long-tailed traffic (a few bring most).

    Names and promo codes are unique by construction, at any count: a type's names go
    through every "First Second" pair in a shuffled order, then again with " 2", " 3"...;
    each promo code ends in a number no other code has.
    """
    seeds = []
    types = list(CONTRACTS)
    quotas = [max(1, round(count * CONTRACTS[t][0])) for t in types]
    while sum(quotas) > count and max(quotas) > 1:
        quotas[quotas.index(max(quotas))] -= 1
    while sum(quotas) < count:
        quotas[quotas.index(min(quotas))] += 1
    coded = sum(q for t, q in zip(types, quotas, strict=True) if t in CODED_TYPES)
    numbers = iter(distinct_numbers(coded, rng))
    for partner_type, quota in zip(types, quotas, strict=True):
        for name in names(partner_type, quota, rng):
            code = None
            if partner_type in CODED_TYPES and rng.random() < 0.7:
                code = promo_code(name, next(numbers))
            seeds.append(
                PartnerSeed(name, partner_type, rng.choice(COUNTRIES), rng.paretovariate(1.3), code)
            )
    return seeds


def names(partner_type: str, count: int, rng: random.Random) -> list[str]:
    """`count` distinct names for partners of a type ("Canyon Deals", "Canyon Deals 2").

    The second words of different types differ, so names differ across types too.
    """
    pairs = [f"{first} {second}" for first in _FIRST for second in _SECOND[partner_type]]
    rng.shuffle(pairs)
    return [
        pairs[i % len(pairs)] + (f" {i // len(pairs) + 1}" if i >= len(pairs) else "")
        for i in range(count)
    ]


def distinct_numbers(count: int, rng: random.Random) -> list[int]:
    """`count` different numbers of the same number of digits (at least two), in random
    order."""
    digits = 2
    while 9 * 10 ** (digits - 1) < count:
        digits += 1
    return rng.sample(range(10 ** (digits - 1), 10**digits), count)


def promo_code(name: str, number: int) -> str:
    """A code from the name's letters and a number: "CANYONDEALS47". Two codes with different
    numbers differ, since the letters never contain a digit."""
    letters = "".join(ch for ch in name.upper() if ch.isalpha() and ch.isascii())
    return f"{letters[:12]}{number}"
