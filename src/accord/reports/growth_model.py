"""Growth quality and partner mix: the rules, over numbers the database has aggregated.

Growth quality answers one question about the change in revenue between two periods: is
it broad and lasting (many partners, new customers, ordinary days) or narrow and
promotion-bound (a few partners, returning customers, sale days)? The change is split
exactly, in minor units, four ways; each split's parts add up to the whole change:

- new vs returning customers (the conversion's customer status);
- promotion days vs steady days (a UTC day is a promotion day when it falls in one of the
  promotion periods: 双十一, 618, Black Friday to Cyber Monday, plus any given);
- the three partners that grew most vs the other partners vs orders without a partner;
- each partner type (orders without a partner apart).

The verdict follows the rules below (the constants are shown on the page as they are).
Partner mix compares the program's revenue by partner type with the shares recommended
for its stage (starting, growing, mature). No database here: pure functions and tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from accord.errors import InvalidInput, Text
from accord.partners import taxonomy

# --- Promotion days ---------------------------------------------------------------------

#: Promotion periods are inclusive (first, last) UTC days.
DayRange = tuple[date, date]


def black_friday(year: int) -> date:
    """The day after the fourth Thursday of November."""
    first = date(year, 11, 1)
    first_thursday = first + timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + timedelta(days=21 + 1)


def default_promotion_days(year: int) -> list[DayRange]:
    """The shopping festivals of a year, each as inclusive first and last day:
    618 (1-18 June), 双十一 (20 October - 11 November) and Black Friday through Cyber
    Monday (the Monday after)."""
    friday = black_friday(year)
    return [
        (date(year, 6, 1), date(year, 6, 18)),
        (date(year, 10, 20), date(year, 11, 11)),
        (friday, friday + timedelta(days=3)),
    ]


def promotion_days(first: date, last: date, extra: Iterable[DayRange] = ()) -> list[DayRange]:
    """The default festivals of every year from `first` to `last`, and `extra` periods."""
    periods: list[DayRange] = []
    for year in range(first.year, last.year + 1):
        periods.extend(default_promotion_days(year))
    for start, end in extra:
        if end < start:
            raise InvalidInput(
                "promotions",
                Text(
                    "a promotion ends (%(end)s) before it starts (%(start)s)", end=end, start=start
                ),
            )
        periods.append((start, end))
    return periods


def is_promotion_day(day: date, periods: Sequence[DayRange]) -> bool:
    return any(start <= day <= end for start, end in periods)


def shopping_festival_11_11(year: int) -> DayRange:
    """双十一 of `year` as inclusive days (20 October - 11 November)."""
    return date(year, 10, 20), date(year, 11, 11)


# --- Verdict rules ----------------------------------------------------------------------

#: Growth is promotion-bound when more than this share of it came on promotion days.
PROMOTION_BOUND_SHARE = Decimal("0.5")
#: Growth is narrow when more than this share of it came from the three partners that
#: grew most...
CONCENTRATED_SHARE = Decimal("0.6")
#: ... or when more than this share of it came from returning customers ...
RETURNING_BOUND_SHARE = Decimal("0.7")
#: ... or when fewer partners than this grew.
MIN_GROWING_PARTNERS = 4
#: How many of the partners that grew most count as "few".
TOP_PARTNERS = 3

VERDICT_RULES = (
    "Growth is promotion-bound when more than %(promotion)s of it came on promotion days; "
    "otherwise it is lasting.",
    "Growth is narrow when more than %(concentrated)s of it came from the %(top)s partners "
    "that grew most, or more than %(returning)s from returning customers, or fewer than "
    "%(min_partners)s partners grew; otherwise it is broad.",
)


class Breadth(StrEnum):
    BROAD = "broad"
    NARROW = "narrow"


class Durability(StrEnum):
    LASTING = "lasting"
    PROMOTION_BOUND = "promotion_bound"


class Verdict(StrEnum):
    BROAD_LASTING = "broad_lasting"
    BROAD_PROMOTION = "broad_promotion"
    NARROW_LASTING = "narrow_lasting"
    NARROW_PROMOTION = "narrow_promotion"
    DECLINE = "decline"
    FLAT = "flat"


# --- Decomposition ----------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthCell:
    """Aggregated net revenue (minor units) of one period side ("current" or "previous"),
    one partner (None: no partner) and one customer status, either on one UTC day (`day`)
    or on the promotion days or the steady days of the side (`promotion`, when the
    database has already told them apart)."""

    side: str
    day: date | None
    partner_id: str | None
    partner_name: str | None
    partner_type: str | None
    customer_status: str
    revenue_minor: int
    conversions: int = 0
    promotion: bool | None = None


@dataclass(frozen=True)
class Part:
    """One component of the change: its key, the revenue before and after, the change."""

    key: str
    previous_minor: int
    current_minor: int
    label: str | None = None

    @property
    def change_minor(self) -> int:
        return self.current_minor - self.previous_minor


@dataclass(frozen=True)
class PartnerChange:
    partner_id: str
    name: str
    partner_type: str | None
    previous_minor: int
    current_minor: int

    @property
    def change_minor(self) -> int:
        return self.current_minor - self.previous_minor


@dataclass
class Decomposition:
    """The change in revenue split four ways; each split's parts sum to `change_minor`."""

    previous_minor: int
    current_minor: int
    customers: list[Part]
    days: list[Part]
    partners: list[Part]
    types: list[Part]
    top_partners: list[PartnerChange]
    partners_grew: int
    partners_shrank: int
    partners_active: int
    promotion_days_current: int
    promotion_days_previous: int
    previous_conversions: int = 0
    current_conversions: int = 0

    @property
    def change_minor(self) -> int:
        return self.current_minor - self.previous_minor

    def part(self, split: str, key: str) -> Part:
        return next(p for p in getattr(self, split) if p.key == key)


def _parts(sums: dict[str, list[int]], order: Sequence[str]) -> list[Part]:
    keys = list(order) + sorted(k for k in sums if k not in order)
    return [Part(k, *sums.get(k, [0, 0])) for k in keys]


def decompose(
    cells: Iterable[GrowthCell],
    periods: Sequence[DayRange],
    *,
    current_days: Sequence[date] = (),
    previous_days: Sequence[date] = (),
) -> Decomposition:
    """Split the change between the previous and the current side of `cells`."""
    totals = [0, 0]
    conversions = [0, 0]
    customers: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    days: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    types: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    partners: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    names: dict[str, tuple[str, str | None]] = {}
    no_partner = [0, 0]
    for cell in cells:
        if cell.side not in ("previous", "current"):
            raise ValueError(Text("unknown side %(side)s", side=repr(cell.side)))
        i = 1 if cell.side == "current" else 0
        amount = int(cell.revenue_minor)
        totals[i] += amount
        conversions[i] += cell.conversions
        status = "new" if cell.customer_status == "new" else "returning"
        customers[status][i] += amount
        promoted = cell.promotion
        if promoted is None:
            promoted = cell.day is not None and is_promotion_day(cell.day, periods)
        kind = "promotion" if promoted else "steady"
        days[kind][i] += amount
        types[cell.partner_type or "none"][i] += amount
        if cell.partner_id is None:
            no_partner[i] += amount
        else:
            partners[cell.partner_id][i] += amount
            names[cell.partner_id] = (cell.partner_name or cell.partner_id, cell.partner_type)
    changes = [
        PartnerChange(pid, names[pid][0], names[pid][1], prev, cur)
        for pid, (prev, cur) in partners.items()
    ]
    changes.sort(key=lambda c: (-c.change_minor, c.name, c.partner_id))
    top = [c for c in changes[:TOP_PARTNERS] if c.change_minor > 0]
    top_ids = {c.partner_id for c in top}
    top_sum = [sum(c.previous_minor for c in top), sum(c.current_minor for c in top)]
    rest = [
        sum(c.previous_minor for c in changes if c.partner_id not in top_ids),
        sum(c.current_minor for c in changes if c.partner_id not in top_ids),
    ]
    return Decomposition(
        previous_minor=totals[0],
        current_minor=totals[1],
        customers=_parts(customers, ("new", "returning")),
        days=_parts(days, ("promotion", "steady")),
        partners=[
            Part("top", *top_sum),
            Part("others", *rest),
            Part("none", *no_partner),
        ],
        types=_parts(types, ()),
        top_partners=top,
        partners_grew=sum(1 for c in changes if c.change_minor > 0),
        partners_shrank=sum(1 for c in changes if c.change_minor < 0),
        partners_active=len(changes),
        promotion_days_current=sum(1 for d in current_days if is_promotion_day(d, periods)),
        promotion_days_previous=sum(1 for d in previous_days if is_promotion_day(d, periods)),
        previous_conversions=conversions[0],
        current_conversions=conversions[1],
    )


def share(part: int, whole: int) -> Decimal | None:
    """`part / whole` to four places (None when `whole` is zero)."""
    if whole == 0:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    breadth: Breadth | None
    durability: Durability | None
    promotion_share: Decimal | None
    top_share: Decimal | None
    returning_share: Decimal | None
    new_share: Decimal | None
    reasons: tuple[str, ...] = ()


def judge(d: Decomposition) -> Judgement:
    """Apply the verdict rules to a decomposition."""
    change = d.change_minor
    promo = share(d.part("days", "promotion").change_minor, change)
    top = share(d.part("partners", "top").change_minor, change)
    returning = share(d.part("customers", "returning").change_minor, change)
    new = share(d.part("customers", "new").change_minor, change)
    if change <= 0:
        verdict = Verdict.DECLINE if change < 0 else Verdict.FLAT
        return Judgement(verdict, None, None, promo, top, returning, new)
    reasons = []
    bound = promo is not None and promo > PROMOTION_BOUND_SHARE
    if bound:
        reasons.append("promotion")
    if top is not None and top > CONCENTRATED_SHARE:
        reasons.append("concentrated")
    if returning is not None and returning > RETURNING_BOUND_SHARE:
        reasons.append("returning")
    if d.partners_grew < MIN_GROWING_PARTNERS:
        reasons.append("few_partners")
    narrow = any(r != "promotion" for r in reasons)
    verdict = {
        (False, False): Verdict.BROAD_LASTING,
        (False, True): Verdict.BROAD_PROMOTION,
        (True, False): Verdict.NARROW_LASTING,
        (True, True): Verdict.NARROW_PROMOTION,
    }[(narrow, bound)]
    return Judgement(
        verdict,
        Breadth.NARROW if narrow else Breadth.BROAD,
        Durability.PROMOTION_BOUND if bound else Durability.LASTING,
        promo,
        top,
        returning,
        new,
        tuple(reasons),
    )


# --- Sentences --------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A number in a sentence: money (minor units), a share, or a count."""

    kind: str  # money, share, count
    value: int | Decimal | None


@dataclass(frozen=True)
class Sentence:
    """One finding: an English message id (the catalog key) with named values, and the
    address of the rows behind it."""

    text: str
    values: dict[str, Value] = field(default_factory=dict)
    link: str = ""


VERDICT_TEXT = {
    Verdict.BROAD_LASTING: "Growth is broad and lasting: revenue rose by %(change)s "
    "(%(rate)s), spread over %(grew)s partners, with %(new)s of it from new customers and "
    "%(promotion)s on promotion days.",
    Verdict.BROAD_PROMOTION: "Growth is broad but promotion-bound: revenue rose by %(change)s "
    "(%(rate)s) over %(grew)s partners, but %(promotion)s of it came on promotion days.",
    Verdict.NARROW_LASTING: "Growth is narrow but lasting: revenue rose by %(change)s "
    "(%(rate)s), %(top)s of it from the top partners and %(returning)s from returning "
    "customers; only %(grew)s partners grew.",
    Verdict.NARROW_PROMOTION: "Growth is narrow and promotion-bound: revenue rose by "
    "%(change)s (%(rate)s), %(promotion)s of it on promotion days, %(returning)s from "
    "returning customers and %(top)s from the top partners; only %(grew)s partners grew.",
    Verdict.DECLINE: "Revenue fell by %(change)s (%(rate)s): there is no growth to judge.",
    Verdict.FLAT: "Revenue did not change: there is no growth to judge.",
}

CUSTOMERS_TEXT = (
    "New customers brought %(new)s of the change (%(new_share)s); returning customers "
    "%(returning)s (%(returning_share)s)."
)
DAYS_TEXT = (
    "Promotion days brought %(promotion)s of the change (%(promotion_share)s) over "
    "%(days)s promotion days in the current period; steady days %(steady)s."
)
PARTNERS_TEXT = (
    "The %(top_count)s partners that grew most brought %(top)s (%(top_share)s); "
    "%(grew)s of %(active)s active partners grew and %(shrank)s shrank."
)
TYPE_TEXT = "The partner type that grew most, %(type)s, brought %(change)s (%(type_share)s)."


def sentences(d: Decomposition, j: Judgement, links: dict[str, str]) -> list[Sentence]:
    """The findings behind the verdict, each with its numbers and the rows' address.
    `links` maps "performance", "partners", "types", "customers", "days" to addresses."""
    change = d.change_minor
    rate = share(change, d.previous_minor)
    money = lambda m: Value("money", m)  # noqa: E731
    pct = lambda s: Value("share", s)  # noqa: E731
    count = lambda n: Value("count", n)  # noqa: E731
    new = d.part("customers", "new").change_minor
    ret = d.part("customers", "returning").change_minor
    promo = d.part("days", "promotion").change_minor
    steady = d.part("days", "steady").change_minor
    top = d.part("partners", "top").change_minor
    out = [
        Sentence(
            VERDICT_TEXT[j.verdict],
            {
                "change": money(abs(change)),
                "rate": pct(None if rate is None else abs(rate)),
                "grew": count(d.partners_grew),
                "new": pct(j.new_share),
                "returning": pct(j.returning_share),
                "promotion": pct(j.promotion_share),
                "top": pct(j.top_share),
            },
            links.get("performance", ""),
        )
    ]
    if change == 0:
        return out
    out += [
        Sentence(
            CUSTOMERS_TEXT,
            {
                "new": money(new),
                "new_share": pct(share(new, change)),
                "returning": money(ret),
                "returning_share": pct(share(ret, change)),
            },
            links.get("customers", ""),
        ),
        Sentence(
            DAYS_TEXT,
            {
                "promotion": money(promo),
                "promotion_share": pct(share(promo, change)),
                "days": count(d.promotion_days_current),
                "steady": money(steady),
            },
            links.get("days", ""),
        ),
        Sentence(
            PARTNERS_TEXT,
            {
                "top_count": count(len(d.top_partners)),
                "top": money(top),
                "top_share": pct(share(top, change)),
                "grew": count(d.partners_grew),
                "active": count(d.partners_active),
                "shrank": count(d.partners_shrank),
            },
            links.get("partners", ""),
        ),
    ]
    best = max((p for p in d.types if p.key != "none"), key=lambda p: p.change_minor, default=None)
    if best is not None and best.change_minor > 0:
        out.append(
            Sentence(
                TYPE_TEXT,
                {
                    "type": Value("word", best.key),  # type: ignore[arg-type]
                    "change": money(best.change_minor),
                    "type_share": pct(share(best.change_minor, change)),
                },
                links.get("types", ""),
            )
        )
    return out


def render(
    sentence: Sentence,
    gettext: Callable[[str], str],
    money: Callable[[int], str],
    percent: Callable[[Decimal | None], str],
    number: Callable[[int], str],
) -> str:
    """A sentence in the reader's language: the message translated by `gettext`, the
    values formatted by the given functions (money from minor units)."""
    formatted: dict[str, str] = {}
    for name, value in sentence.values.items():
        if value.kind == "money":
            formatted[name] = money(int(value.value or 0))
        elif value.kind == "share":
            formatted[name] = percent(value.value)  # type: ignore[arg-type]
        elif value.kind == "word":
            formatted[name] = gettext(str(value.value))
        else:
            formatted[name] = number(int(value.value or 0))
    return gettext(sentence.text) % formatted


def rules_text(gettext: Callable[[str], str], percent: Callable[[Decimal], str]) -> list[str]:
    """The verdict rules as sentences, with the constants filled in."""
    values = {
        "promotion": percent(PROMOTION_BOUND_SHARE),
        "concentrated": percent(CONCENTRATED_SHARE),
        "returning": percent(RETURNING_BOUND_SHARE),
        "top": str(TOP_PARTNERS),
        "min_partners": str(MIN_GROWING_PARTNERS),
    }
    return [gettext(rule) % values for rule in VERDICT_RULES]


def plain_percent(value: Decimal | None) -> str:
    """A share as English text writes it: 0.4567 -> 45.7%."""
    if value is None:
        return "\u2013"
    return f"{(value * 100).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"


# --- Partner mix ------------------------------------------------------------------------


class Stage(StrEnum):
    """How far a partner program has come."""

    STARTING = "starting"
    GROWING = "growing"
    MATURE = "mature"


#: A program is starting while it is younger than this many days or has fewer approved
#: partners than STARTING_PARTNERS ...
STARTING_DAYS = 180
STARTING_PARTNERS = 10
#: ... mature once it is at least this old and has at least this many approved partners;
#: growing in between.
MATURE_DAYS = 730
MATURE_PARTNERS = 50

STAGE_RULES = (
    "A program is starting while it is younger than %(starting_days)s days or has fewer "
    "than %(starting_partners)s approved partners; mature once it is at least %(mature_days)s "
    "days old with at least %(mature_partners)s approved partners; growing in between.",
)


def infer_stage(age_days: int, approved_partners: int) -> Stage:
    """The stage a program's age and approved partners suggest (rules above)."""
    if age_days < STARTING_DAYS or approved_partners < STARTING_PARTNERS:
        return Stage.STARTING
    if age_days >= MATURE_DAYS and approved_partners >= MATURE_PARTNERS:
        return Stage.MATURE
    return Stage.GROWING


#: Recommended revenue share by partner type at each stage (each column sums to 1).
#: Starting: content sites and reviews, influencers and advocates tell the brand's story
#: (and content links help search ranking); a little affiliate and coupon reach.
#: Growing: add coupon and cashback sites to convert the demand the story made.
#: Mature: loyalty (cashback), B2B referrals, resellers and agencies running sub-networks
#: widen a program whose storytelling and conversion partners are in place.
RECOMMENDED_SHARES: dict[Stage, dict[str, Decimal]] = {
    Stage.STARTING: {
        "content_and_reviews": Decimal("0.40"),
        "creators": Decimal("0.30"),
        "advocates": Decimal("0.10"),
        "coupons_and_deals": Decimal("0.05"),
        "cashback_and_loyalty": Decimal("0.05"),
        "email_and_newsletters": Decimal("0.05"),
        "media_and_publishers": Decimal("0.05"),
    },
    Stage.GROWING: {
        "content_and_reviews": Decimal("0.25"),
        "creators": Decimal("0.15"),
        "advocates": Decimal("0.05"),
        "coupons_and_deals": Decimal("0.15"),
        "cashback_and_loyalty": Decimal("0.15"),
        "comparison_and_shopping": Decimal("0.05"),
        "email_and_newsletters": Decimal("0.05"),
        "search": Decimal("0.05"),
        "media_and_publishers": Decimal("0.05"),
        "business_partners": Decimal("0.05"),
    },
    Stage.MATURE: {
        "content_and_reviews": Decimal("0.20"),
        "creators": Decimal("0.10"),
        "advocates": Decimal("0.05"),
        "coupons_and_deals": Decimal("0.10"),
        "cashback_and_loyalty": Decimal("0.15"),
        "comparison_and_shopping": Decimal("0.05"),
        "media_and_publishers": Decimal("0.05"),
        "business_partners": Decimal("0.25"),
        "networks": Decimal("0.05"),
    },
}

#: A group is under-represented when its revenue share is this far below the recommendation.
UNDER_BY = Decimal("0.10")

#: The groups of partner types, in the taxonomy's order (`accord.partners.taxonomy`).
ALL_GROUPS = tuple(g.code for g in taxonomy.GROUPS)


@dataclass(frozen=True)
class MixRow:
    partner_type: str
    partners: int
    revenue_minor: int
    share: Decimal | None
    recommended: Decimal
    lacking: bool
    under: bool


def mix(
    by_type: dict[str, tuple[int, int]], stage: Stage, own: dict[str, str] | None = None
) -> tuple[list[MixRow], list[str]]:
    """Each group of partner types with its approved partners and revenue (from `by_type`:
    type -> (partners, revenue minor); `own`: a brand's own types -> their group) against
    the stage's recommended share; and the recommended groups the program has no approved
    partner in. A row's `partner_type` is the group's code."""
    by_group: dict[str, tuple[int, int]] = {}
    for kind, (partners, revenue) in by_type.items():
        group = taxonomy.group_of(kind, own) or "content_and_reviews"
        had_partners, had_revenue = by_group.get(group, (0, 0))
        by_group[group] = (had_partners + partners, had_revenue + revenue)
    recommended = RECOMMENDED_SHARES[stage]
    total = sum(revenue for _, revenue in by_group.values())
    rows = []
    for group in ALL_GROUPS:
        partners, revenue = by_group.get(group, (0, 0))
        want = recommended.get(group, Decimal(0))
        if not want and not partners:
            continue
        actual = share(revenue, total)
        rows.append(
            MixRow(
                group,
                partners,
                revenue,
                actual,
                want,
                lacking=want > 0 and partners == 0,
                under=want > 0 and partners > 0 and (actual or Decimal(0)) < want - UNDER_BY,
            )
        )
    return rows, [r.partner_type for r in rows if r.lacking]


def goal_gaps(by_type: dict[str, tuple[int, int]], goal: str, own=None) -> list[str]:
    """The groups that serve a recruiting goal (best first) in which the program has no
    approved partner."""
    if goal not in taxonomy.GOAL_BY_CODE:
        raise ValueError(goal)
    present = {taxonomy.group_of(k, own) for k, (n, _) in by_type.items() if n}
    return [g for g in taxonomy.GOAL_BY_CODE[goal].groups if g not in present]


# --- Diagnostic metrics -----------------------------------------------------------------

DIAGNOSTIC_DEFINITIONS = (
    "Engagement rate: the share of approved partners with at least one click or conversion "
    "in the period.",
    "Partner lifetime value: net revenue of the partner's orders since joining minus the "
    "commissions earned on them (revenue net of commission).",
    "New customers: the share of the period's conversions from new customers.",
    "Assist rate: the share of the partner's touches in the period's customer journeys that "
    "were not the credited one.",
)


@dataclass(frozen=True)
class PartnerFacts:
    """One approved partner's aggregated numbers."""

    partner_id: str
    name: str
    partner_type: str
    clicks: int
    conversions: int
    new_conversions: int
    revenue_minor: int
    lifetime_revenue_minor: int
    lifetime_commissions_minor: int
    touches: int
    assists: int


@dataclass(frozen=True)
class Diagnostics:
    key: str
    name: str
    partner_type: str | None
    partners: int
    engaged: int
    clicks: int
    conversions: int
    revenue_minor: int
    lifetime_value_minor: int
    new_customer_share: Decimal | None
    assist_rate: Decimal | None

    @property
    def engagement_rate(self) -> Decimal | None:
        return share(self.engaged, self.partners)


def _diagnose(key: str, name: str, kind: str | None, facts: Sequence[PartnerFacts]) -> Diagnostics:
    return Diagnostics(
        key,
        name,
        kind,
        partners=len(facts),
        engaged=sum(1 for f in facts if f.clicks or f.conversions),
        clicks=sum(f.clicks for f in facts),
        conversions=sum(f.conversions for f in facts),
        revenue_minor=sum(f.revenue_minor for f in facts),
        lifetime_value_minor=sum(
            f.lifetime_revenue_minor - f.lifetime_commissions_minor for f in facts
        ),
        new_customer_share=share(
            sum(f.new_conversions for f in facts), sum(f.conversions for f in facts)
        ),
        assist_rate=share(sum(f.assists for f in facts), sum(f.touches for f in facts)),
    )


def diagnostics(
    facts: Sequence[PartnerFacts],
) -> tuple[list[Diagnostics], list[Diagnostics], Diagnostics]:
    """Per partner, per partner type, and for the whole program."""
    partners = [_diagnose(f.partner_id, f.name, f.partner_type, [f]) for f in facts]
    grouped: dict[str, list[PartnerFacts]] = defaultdict(list)
    for f in facts:
        grouped[f.partner_type].append(f)
    types = [_diagnose(k, k, k, grouped[k]) for k in sorted(grouped)]
    return partners, types, _diagnose("program", "program", None, facts)
