"""Where each partner is in its life with a program: the rules, over aggregated numbers.

Time is cut into periods of `PERIOD_DAYS` whole days (UTC) counted back from today: period 0
is today and the 29 days before it (today up to now), period 1 the 30 days before those, and
so on. "The last 30 days" means the same whole days everywhere below, so a partner's segment
does not change with the hour a report runs, and every period bound falls on a midnight. A
partner's activity in a period is its conversions there (fully reversed orders left out).
The rules are tried in the order of `SEGMENTS`; the first that holds names the partner's
segment. Every threshold is a constant below, and `rules()` states them in words for the
page.

Pure: no database, no web; the numbers come from `accord.reports.lifecycle`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from statistics import median

#: One period: the activity series are counted in periods of this many days.
PERIOD_DAYS = 30
#: How many periods each partner's series holds (a year).
PERIODS = 12
#: New: first conversion within this many days (or joined within it, no conversion yet).
NEW_DAYS = 30
#: Ramping: conversions grew by at least this fraction over the period before ...
RAMP_GROWTH = Fraction(1, 5)
#: ... for this many periods in a row.
RAMP_PERIODS = 2
#: Steady: conversions in each of the last this many periods ...
STEADY_PERIODS = 3
#: ... with a coefficient of variation (standard deviation / mean) at most this.
STEADY_MAX_CV = Fraction(1, 2)
#: Declining: this period's conversions down by at least this fraction from the average
#: of the `DECLINE_BASE` periods before it.
DECLINE_DROP = Fraction(3, 10)
DECLINE_BASE = 3
#: Dormant: no conversion for at least this many days, after having converted.
DORMANT_DAYS = 60
#: Reactivated: converting again in the last `NEW_DAYS` days after at least this many
#: days without a conversion.
REACTIVATED_GAP_DAYS = 90
#: Churned: no conversion for at least this many days, or suspended from the program.
CHURNED_DAYS = 180
CHURNED_STATUSES = ("suspended", "declined")
#: Woken by a promotion: no conversion for at least this many days before the period
#: started, and a conversion inside it.
PROMOTION_DORMANT_DAYS = 90
#: Steady performers worth a deeper deal: conversions in each of the last this many
#: periods, variation at most `STEADY_MAX_CV`, and at most this share of their sales
#: amount reversed.
DEEPER_DEAL_PERIODS = 6
DEEPER_DEAL_MAX_REVERSED = Fraction(1, 10)

NEW = "new"
RAMPING = "ramping"
STEADY = "steady"
ACTIVE = "active"
DECLINING = "declining"
DORMANT = "dormant"
REACTIVATED = "reactivated"
CHURNED = "churned"
NOT_STARTED = "not_started"
#: Segments in the order their rules are tried.
SEGMENTS = (
    CHURNED,
    DORMANT,
    NEW,
    NOT_STARTED,
    REACTIVATED,
    RAMPING,
    DECLINING,
    STEADY,
    ACTIVE,
)
#: Segments in the order a page shows them (a partner's life, from first to last).
DISPLAY_ORDER = (
    NEW,
    NOT_STARTED,
    RAMPING,
    STEADY,
    ACTIVE,
    REACTIVATED,
    DECLINING,
    DORMANT,
    CHURNED,
)


def rules() -> dict[str, str]:
    """Each segment's rule in words, with its thresholds (English; pages translate)."""
    return {
        NEW: f"First conversion within the last {NEW_DAYS} days, or joined within the last "
        f"{NEW_DAYS} days and not converting yet.",
        NOT_STARTED: f"Joined more than {NEW_DAYS} days ago and has never converted.",
        RAMPING: f"Conversions grew by at least {_pct(RAMP_GROWTH)} over the period before, "
        f"{RAMP_PERIODS} periods of {PERIOD_DAYS} days in a row.",
        STEADY: f"Conversions in each of the last {STEADY_PERIODS} periods of {PERIOD_DAYS} "
        f"days, varying little (coefficient of variation at most {float(STEADY_MAX_CV):.2f}).",
        ACTIVE: f"Converted within the last {DORMANT_DAYS} days, with no clear trend.",
        REACTIVATED: f"Converting again in the last {NEW_DAYS} days after at least "
        f"{REACTIVATED_GAP_DAYS} days without a conversion.",
        DECLINING: f"Conversions in the last {PERIOD_DAYS} days down by at least "
        f"{_pct(DECLINE_DROP)} from the average of the {DECLINE_BASE} periods before.",
        DORMANT: f"No conversion for {DORMANT_DAYS} days or more, after having converted.",
        CHURNED: f"No conversion for {CHURNED_DAYS} days or more, or suspended from the program.",
    }


def _pct(value: Fraction) -> str:
    return f"{int(value * 100)}%"


@dataclass(frozen=True)
class PartnerActivity:
    """What the database says about one enrolled partner."""

    partner_id: str
    name: str
    partner_type: str
    status: str
    joined_at: datetime
    first_at: datetime | None = None
    last_at: datetime | None = None
    #: Conversions and net revenue (minor units) per period; index 0 is the last 30 days.
    conversions: tuple[int, ...] = ()
    revenue: tuple[int, ...] = ()
    #: The first conversion in the last `NEW_DAYS` days, and the last one before them.
    first_recent_at: datetime | None = None
    last_before_recent_at: datetime | None = None
    #: Sales amount and the part of it reversed, over the series' periods.
    amount_minor: int = 0
    reversed_minor: int = 0

    def series(self, periods: int) -> tuple[int, ...]:
        padded = tuple(self.conversions) + (0,) * max(0, periods - len(self.conversions))
        return padded[:periods]

    @property
    def reversed_share(self) -> Fraction:
        if self.amount_minor <= 0:
            return Fraction(0)
        return Fraction(self.reversed_minor, self.amount_minor)


def _spread(values: Sequence[int]) -> tuple[int, int]:
    """(n * sum of squares - sum squared, sum): the coefficient of variation (population
    standard deviation over the mean) is sqrt(first) / second, in integers throughout."""
    total = sum(values)
    return len(values) * sum(v * v for v in values) - total * total, total


def variation(values: Sequence[int]) -> Decimal | None:
    """The coefficient of variation (population standard deviation over the mean), to two
    places, for display; None when the mean is zero."""
    if not values:
        return None
    spread, total = _spread(values)
    if total == 0:
        return None
    return (Decimal(spread).sqrt() / Decimal(total)).quantize(Decimal("0.01"))


def cv_at_most(values: Sequence[int], limit: Fraction) -> bool:
    """Whether the coefficient of variation is at most `limit`, exactly (compared squared,
    in integers: spread * q^2 <= p^2 * total^2 for limit = p/q)."""
    if not values:
        return False
    spread, total = _spread(values)
    if total <= 0:
        return False
    return spread * limit.denominator**2 <= limit.numerator**2 * total * total


def _end_of_today(now: datetime) -> datetime:
    """Where period 0 ends: the next UTC midnight, or `now` itself when it is one."""
    midnight = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    return midnight if midnight == now else midnight + timedelta(days=1)


def period_bounds(now: datetime) -> list[datetime]:
    """`now`, then where each period starts going back: period k holds [bounds[k + 1],
    bounds[k]). Every bound but `now` is a UTC midnight."""
    end = _end_of_today(now)
    return [now, *(end - timedelta(days=PERIOD_DAYS * k) for k in range(1, PERIODS + 1))]


@lru_cache(maxsize=8)
def _recent_since(now: datetime) -> datetime:
    return recent_since(now)


def recent_since(now: datetime) -> datetime:
    """The start of "the last `NEW_DAYS` days": today and the days before it, whole."""
    return _end_of_today(now) - timedelta(days=NEW_DAYS)


def segment(p: PartnerActivity, now: datetime) -> str:
    """The partner's segment: the first rule of `SEGMENTS` that holds."""
    c = p.series(PERIODS)
    if p.status in CHURNED_STATUSES:
        return CHURNED
    if p.last_at is not None and now - p.last_at >= timedelta(days=CHURNED_DAYS):
        return CHURNED
    if p.last_at is not None and now - p.last_at >= timedelta(days=DORMANT_DAYS):
        return DORMANT
    recent = _recent_since(now)
    if p.first_at is None:
        return NEW if p.joined_at >= recent else NOT_STARTED
    if p.first_at >= recent:
        return NEW
    if (
        p.first_recent_at is not None
        and p.last_before_recent_at is not None
        and p.first_recent_at - p.last_before_recent_at >= timedelta(days=REACTIVATED_GAP_DAYS)
    ):
        return REACTIVATED
    # in integers: c[i] >= c[i + 1] * (1 + g) and c[0] <= mean(base) * (1 - d), exactly
    grow, drop = RAMP_GROWTH, DECLINE_DROP
    if all(
        c[i + 1] > 0
        and c[i] * grow.denominator >= c[i + 1] * (grow.denominator + grow.numerator)
        and c[i] > c[i + 1]
        for i in range(RAMP_PERIODS)
    ):
        return RAMPING
    base = sum(c[1 : 1 + DECLINE_BASE])
    if base > 0 and c[0] * DECLINE_BASE * drop.denominator <= base * (
        drop.denominator - drop.numerator
    ):
        return DECLINING
    if all(v > 0 for v in c[:STEADY_PERIODS]) and cv_at_most(c[:STEADY_PERIODS], STEADY_MAX_CV):
        return STEADY
    return ACTIVE


def deserves_deeper_deal(p: PartnerActivity) -> bool:
    """Steady for `DEEPER_DEAL_PERIODS` periods with few reversals, still in the program."""
    c = p.series(DEEPER_DEAL_PERIODS)
    return (
        p.status not in CHURNED_STATUSES
        and all(v > 0 for v in c)
        and cv_at_most(c, STEADY_MAX_CV)
        and p.reversed_share <= DEEPER_DEAL_MAX_REVERSED
    )


def days_to_first_conversion(p: PartnerActivity) -> Decimal | None:
    """Days from joining to the first conversion (one decimal; 0 if it came first)."""
    if p.first_at is None:
        return None
    seconds = max((p.first_at - p.joined_at).total_seconds(), 0)
    return (Decimal(seconds) / 86400).quantize(Decimal("0.1"))


def median_days(values: Sequence[Decimal]) -> Decimal | None:
    if not values:
        return None
    return Decimal(median(values)).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Wakeup:
    """A partner dormant before a promotion period that converted inside it."""

    partner_id: str
    first_in_period_at: datetime
    last_before_at: datetime

    @property
    def dormant_days(self) -> int:
        return (self.first_in_period_at - self.last_before_at).days


def woke_in(starts_at: datetime, first_in: datetime | None, last_before: datetime | None) -> bool:
    """Dormant at least `PROMOTION_DORMANT_DAYS` days when the period started (having
    converted before) and converting inside it."""
    return (
        first_in is not None
        and last_before is not None
        and starts_at - last_before >= timedelta(days=PROMOTION_DORMANT_DAYS)
    )


@dataclass
class Segmented:
    """Partners by segment, with each one's segment."""

    by_segment: dict[str, list[PartnerActivity]] = field(default_factory=dict)
    segment_of: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {s: len(self.by_segment.get(s, [])) for s in DISPLAY_ORDER}


def segment_all(partners: Sequence[PartnerActivity], now: datetime) -> Segmented:
    """Every partner in its segment, each segment by revenue in the last year (largest
    first), then name."""
    out = Segmented({s: [] for s in DISPLAY_ORDER})
    for p in partners:
        s = segment(p, now)
        out.by_segment[s].append(p)
        out.segment_of[p.partner_id] = s
    for members in out.by_segment.values():
        members.sort(key=lambda p: (-sum(p.revenue), p.name.lower(), p.partner_id))
    return out
